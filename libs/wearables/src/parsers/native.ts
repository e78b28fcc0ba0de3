import type { ActivitySample, ParseContext, ParsedBatch, Payload, Rejection } from '../types';
import { readJson } from './json-fields';
import { instantOrProblem } from './time-fields';

// Our own batch format (the fast path): { source: { name, device? }, samples: [...] }.

interface NativeSample {
  start?: unknown;
  end?: unknown;
  steps?: unknown;
  activeMinutes?: unknown;
  activityType?: unknown;
  origin?: unknown;
}

function numberOf(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)))
    return Number(value);
  return null;
}

export async function* parseNative(
  payload: Payload,
  ctx: ParseContext,
): AsyncIterable<ParsedBatch> {
  yield nativeBatchOf(await readJson(payload, ctx));
}

/** A native body already parsed from JSON (the API parses it to check it): its samples. */
export function nativeBatchOf(parsed: unknown): ParsedBatch {
  const body = (parsed ?? {}) as {
    source?: { name?: unknown; device?: unknown };
    samples?: unknown;
  };
  const name = typeof body.source?.name === 'string' ? body.source.name : '';
  const device = typeof body.source?.device === 'string' ? body.source.device : null;
  if (!name || !Array.isArray(body.samples)) {
    return {
      samples: [],
      pains: [],
      retractions: [],
      rejections: [{ reason: 'body needs source.name and a samples array' }],
    };
  }
  const source = { name, device };
  const samples: ActivitySample[] = [];
  const rejections: Rejection[] = [];
  (body.samples as NativeSample[]).forEach((raw, index) => {
    const start = instantOrProblem(raw?.start, 'start');
    const end = instantOrProblem(raw?.end, 'end');
    const steps = numberOf(raw?.steps);
    if (typeof start === 'string' || typeof end === 'string') {
      rejections.push({ index, reason: typeof start === 'string' ? start : (end as string) });
      return;
    }
    if (steps === null) {
      rejections.push({ index, reason: 'steps must be a number' });
      return;
    }
    const activeMinutes =
      raw.activeMinutes === undefined || raw.activeMinutes === null
        ? null
        : numberOf(raw.activeMinutes);
    if (activeMinutes === null && raw.activeMinutes !== undefined && raw.activeMinutes !== null) {
      rejections.push({ index, reason: 'activeMinutes must be a number' });
      return;
    }
    samples.push({
      source,
      start,
      end,
      steps,
      activeMinutes,
      activityType: typeof raw.activityType === 'string' ? raw.activityType.toLowerCase() : null,
      manual: raw.origin === 'user_input',
      granularity: end.getTime() - start.getTime() >= 20 * 3_600_000 ? 'day' : 'interval',
      record: null,
      ref: { index },
    });
  });
  return { samples, pains: [], retractions: [], rejections };
}
