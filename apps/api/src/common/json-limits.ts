import type { NextFunction, Request, Response } from 'express';
import { type FieldError, validationProblem } from './problem';

/** Deeper than any body of this API: a few KB of brackets would exhaust the validator's stack. */
export const MAX_JSON_DEPTH = 64;

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function textProblem(text: string): string | null {
  // PostgreSQL text cannot hold NUL; a lone surrogate is not Unicode (and breaks URI checks).
  if (text.includes('\u0000')) return 'contains a NUL character';
  if (LONE_SURROGATE.test(text)) return 'is not well-formed Unicode (a lone surrogate)';
  return null;
}

/**
 * The first place where a parsed JSON value breaks what the API takes: nested deeper than
 * MAX_JSON_DEPTH, or a string (value or key) holding NUL or a lone surrogate. Iterative, so a
 * body nested thousands of levels deep is measured without recursion.
 */
export function jsonProblem(body: unknown): FieldError | null {
  const stack: { value: unknown; path: string; depth: number }[] = [
    { value: body, path: '', depth: 0 },
  ];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    const field = path || 'body';
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) return { field, message: problem };
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_JSON_DEPTH) {
      return { field, message: `is nested more than ${MAX_JSON_DEPTH} levels deep` };
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) =>
        stack.push({ value: item, path: `${path}[${i}]`, depth: depth + 1 }),
      );
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      const keyProblem = textProblem(key);
      if (keyProblem) return { field, message: `has a key that ${keyProblem}` };
      stack.push({ value: item, path: path ? `${path}.${key}` : key, depth: depth + 1 });
    }
  }
  return null;
}

/** Refuses (422, naming the field) a parsed body or query the validation could not take safely. */
export function checkJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const problem =
    (req.body === undefined ? null : jsonProblem(req.body)) ?? jsonProblem(req.query ?? {});
  next(problem ? validationProblem([problem]) : undefined);
}
