import { localDayBounds } from '@app/domain';
import type { ParseContext, ParsedBatch, Payload } from '../types';
import { BatchBuilder } from './batch-builder';
import { type JsonObject, numberOf, objectOf, readJson, textOf } from './json-fields';
import { bareDateOf } from './time-fields';

// Garmin Health API push: daily summaries and 15-minute epochs, times in UTC epoch seconds.
type SummaryList = 'dailies' | 'epochs';

const DEFAULT_DURATION_SECONDS: Record<SummaryList, number> = { dailies: 86_400, epochs: 900 };

function spanOf(
  summary: JsonObject,
  list: SummaryList,
  timeZone: string,
): { start: Date; end: Date } | string {
  const duration = numberOf(summary.durationInSeconds);
  if (summary.durationInSeconds !== undefined && duration === null) {
    return 'durationInSeconds must be a number';
  }
  const startSeconds = numberOf(summary.startTimeInSeconds);
  if (startSeconds !== null) {
    const start = new Date(startSeconds * 1000);
    const seconds = duration ?? DEFAULT_DURATION_SECONDS[list];
    return { start, end: new Date(start.getTime() + seconds * 1000) };
  }
  if (summary.startTimeInSeconds !== undefined) return 'startTimeInSeconds must be a number';
  // A daily without its start time still names its day.
  const date = list === 'dailies' ? bareDateOf(summary.calendarDate) : null;
  if (!date) return 'startTimeInSeconds is missing';
  const offset = numberOf(summary.startTimeOffsetInSeconds);
  if (offset === null) return localDayBounds(date, timeZone);
  const start = new Date(Date.parse(`${date}T00:00:00Z`) - offset * 1000);
  return { start, end: new Date(start.getTime() + (duration ?? 86_400) * 1000) };
}

export async function* parseGarmin(
  payload: Payload,
  ctx: ParseContext,
): AsyncIterable<ParsedBatch> {
  const out = new BatchBuilder();
  const body = objectOf(await readJson(payload));
  const lists = (['dailies', 'epochs'] as const).filter((list) => Array.isArray(body?.[list]));
  if (lists.length === 0) out.reject({ reason: 'body needs a dailies or epochs array' });
  for (const list of lists) {
    (body?.[list] as unknown[]).forEach((raw, index) => {
      // Each list counts from 0: the reason says which list the index is in.
      const reject = (reason: string) =>
        out.reject({ index, reason: `${list}[${index}]: ${reason}` });
      const summary = objectOf(raw);
      if (!summary) return reject('summary must be an object');
      const span = spanOf(summary, list, ctx.timezone);
      if (typeof span === 'string') return reject(span);
      const steps = numberOf(summary.steps);
      if (steps === null) return reject('steps must be a number');
      const activeSeconds = numberOf(summary.activeTimeInSeconds);
      if (summary.activeTimeInSeconds !== undefined && activeSeconds === null) {
        return reject('activeTimeInSeconds must be a number');
      }
      out.sample({
        source: { name: 'garmin', device: textOf(summary.deviceName) },
        ...span,
        steps,
        activeMinutes: activeSeconds === null ? null : Math.round(activeSeconds / 60),
        activityType: textOf(summary.activityType)?.toLowerCase() ?? null,
        // Garmin marks typed-in activities with `manual`; summaries rarely carry it.
        manual: summary.manual === true || summary.manual === 'true',
        granularity: list === 'dailies' ? 'day' : 'interval',
        ref: { index },
      });
    });
  }
  yield* out.finish();
}
