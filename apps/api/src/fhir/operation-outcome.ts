import type { OperationOutcome } from '@medplum/fhirtypes';
import type { ProblemDto } from '../common/problem';

/** The FHIR face's paths: their errors are OperationOutcomes, not problem details. */
export const FHIR_PATH = /^\/fhir\//;
export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

// A FHIR string is `[ \r\n\t\S]+`: no control characters, no other whitespace.
// eslint-disable-next-line no-control-regex -- control characters are what it removes
const NOT_IN_FHIR_STRING = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]|[^\S \r\n\t]/g;
const MAX_ECHO = 200;

/**
 * A text that may quote the request (a parameter's name, a path segment), made a valid FHIR
 * string of bounded length: what is not allowed becomes `?`, a long text is cut.
 */
export function fhirText(text: string): string {
  const clean = text.replace(NOT_IN_FHIR_STRING, '?');
  const cut = clean.length > MAX_ECHO ? `${clean.slice(0, MAX_ECHO)}…` : clean;
  return cut.trim() === '' ? '(blank)' : cut;
}

type IssueType = OperationOutcome['issue'][number]['code'];

/** The issue type of an HTTP status (FHIR R4 valueset issue-type). */
function issueCode(status: number, detail: string): IssueType {
  if (status === 400) return /not supported|not served/.test(detail) ? 'not-supported' : 'invalid';
  if (status === 401) return 'login';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 405 || status === 415) return 'not-supported';
  if (status === 409) return 'conflict';
  if (status === 413) return 'too-costly';
  if (status === 422) return 'processing';
  if (status === 429) return 'throttled';
  return status < 500 ? 'invalid' : 'exception';
}

/** A problem as an OperationOutcome: one issue, or one per field at fault. */
export function problemAsOperationOutcome(problem: ProblemDto): OperationOutcome {
  const code = issueCode(problem.status, problem.detail ?? '');
  const severity = problem.status >= 500 ? 'fatal' : 'error';
  const fields = problem.errors ?? [];
  return {
    resourceType: 'OperationOutcome',
    issue:
      fields.length > 0
        ? fields.map((f) => ({
            severity,
            code,
            diagnostics: fhirText(
              f.message === problem.detail ? f.message : `${f.field}: ${f.message}`,
            ),
            expression: [fhirText(f.field)],
          }))
        : [{ severity, code, diagnostics: fhirText(problem.detail ?? problem.title) }],
  };
}
