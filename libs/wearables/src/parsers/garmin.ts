import { localDayBounds } from '@app/domain';
import type { ParseContext, ParsedBatch, Payload } from '../types';
import { BatchBuilder } from './batch-builder';
import { type JsonObject, numberOf, objectOf, readJson, textOf } from './json-fields';
import { bareDateOf } from './time-fields';

// Garmin Health API push (Health API 1.2.2, §5.1, §6 and §7.1–7.2): lists of `dailies` and
// `epochs` summaries, each naming the Garmin account (`userId`); times in UTC epoch seconds, with
// `startTimeOffsetInSeconds` to the device's displayed clock.
//
// - An epoch is one record per activity type per 15-minute window (SEDENTARY and WALKING records
//   of the same window share start and duration): they add up.
// - Garmin re-sends a summary as data arrives: an epoch synced mid-window (720 s) comes again at
//   900 s, a daily grows through the day; "the latest summary should always take precedence",
//   even at an equal duration (several devices reconciled). A summary's identity is its account,
//   its start (an epoch, with its activity type) or its calendar day (a daily); the duration is
//   its revision, then the order of arrival.
// - A daily belongs to its `calendarDate` (the day Garmin Connect shows it on).
export type GarminList = 'dailies' | 'epochs';
export const GARMIN_LISTS: readonly GarminList[] = ['dailies', 'epochs'];

const EPOCH_SECONDS = 900;
const DAY_SECONDS = 86_400;
// Epoch activity types whose active time is not activity (Health API, Appendix A).
const RESTING_TYPES = new Set(['sedentary', 'sleep']);

/** The distinct `userId`s of a push body's summaries: a body is one account's data. */
export function garminUserIds(body: JsonObject): string[] {
  const users = new Set<string>();
  for (const list of GARMIN_LISTS) {
    for (const raw of Array.isArray(body[list]) ? (body[list] as unknown[]) : []) {
      const user = textOf(objectOf(raw)?.userId);
      if (user) users.add(user);
    }
  }
  return [...users];
}

interface Summary {
  start: Date;
  end: Date;
  durationSeconds: number;
  key: string;
  granularity: 'interval' | 'day';
}

function wholeSeconds(summary: JsonObject, field: string): number | null | string {
  const value = summary[field];
  if (value === undefined || value === null) return null;
  const n = numberOf(value);
  return n !== null && Number.isInteger(n) ? n : `${field} must be a whole number of seconds`;
}

function epochOf(summary: JsonObject, activityType: string): Summary | string {
  const start = wholeSeconds(summary, 'startTimeInSeconds');
  if (typeof start === 'string') return start;
  if (start === null) return 'startTimeInSeconds is missing';
  const duration = wholeSeconds(summary, 'durationInSeconds');
  if (typeof duration === 'string') return duration;
  const seconds = duration ?? EPOCH_SECONDS;
  if (seconds <= 0 || seconds > EPOCH_SECONDS) {
    return `durationInSeconds of an epoch must be 1 to ${EPOCH_SECONDS}`;
  }
  return {
    start: new Date(start * 1000),
    end: new Date((start + seconds) * 1000),
    durationSeconds: seconds,
    key: `epoch:${start}:${activityType}`,
    granularity: 'interval',
  };
}

function dailyOf(summary: JsonObject, timeZone: string): Summary | string {
  const duration = wholeSeconds(summary, 'durationInSeconds');
  if (typeof duration === 'string') return duration;
  if (duration !== null && (duration <= 0 || duration > DAY_SECONDS + 3600)) {
    return 'durationInSeconds of a daily must be at most a day';
  }
  let date: string | null;
  if (summary.calendarDate !== undefined && summary.calendarDate !== null) {
    date = bareDateOf(summary.calendarDate);
    if (!date) return 'calendarDate must be a date like 2026-11-02';
  } else {
    // Without its calendar date, the day the device's clock showed at the start.
    const start = wholeSeconds(summary, 'startTimeInSeconds');
    const offset = wholeSeconds(summary, 'startTimeOffsetInSeconds');
    if (typeof start === 'string') return start;
    if (typeof offset === 'string') return offset;
    if (start === null || offset === null) {
      return 'a daily needs calendarDate, or startTimeInSeconds with startTimeOffsetInSeconds';
    }
    date = new Date((start + offset) * 1000).toISOString().slice(0, 10);
  }
  return {
    ...localDayBounds(date, timeZone),
    durationSeconds: duration ?? DAY_SECONDS,
    key: `daily:${date}`,
    granularity: 'day',
  };
}

export async function* parseGarmin(
  payload: Payload,
  ctx: ParseContext,
): AsyncIterable<ParsedBatch> {
  const out = new BatchBuilder();
  const body = objectOf(await readJson(payload, ctx));
  const lists = GARMIN_LISTS.filter((list) => Array.isArray(body?.[list]));
  if (!body || lists.length === 0) out.reject({ reason: 'body needs a dailies or epochs array' });
  // The API refuses a body naming several accounts; a record of another one is refused here too.
  const [account = null] = body ? garminUserIds(body) : [];
  for (const list of lists) {
    (body?.[list] as unknown[]).forEach((raw, index) => {
      // Each list counts from 0: the reason says which list the index is in.
      const reject = (reason: string) =>
        out.reject({ index, reason: `${list}[${index}]: ${reason}` });
      const summary = objectOf(raw);
      if (!summary) return reject('summary must be an object');
      const user = textOf(summary.userId);
      if (user !== account) return reject('userId differs from the other summaries');
      const activityType = textOf(summary.activityType)?.toLowerCase() ?? null;
      const span =
        list === 'epochs' ? epochOf(summary, activityType ?? '') : dailyOf(summary, ctx.timezone);
      if (typeof span === 'string') return reject(span);
      const steps = numberOf(summary.steps);
      if (steps === null) return reject('steps must be a number');
      const activeSeconds = numberOf(summary.activeTimeInSeconds);
      if (summary.activeTimeInSeconds !== undefined && activeSeconds === null) {
        return reject('activeTimeInSeconds must be a number');
      }
      const resting = list === 'epochs' && activityType !== null && RESTING_TYPES.has(activityType);
      out.sample({
        source: { name: 'garmin', device: textOf(summary.deviceName), account },
        start: span.start,
        end: span.end,
        steps,
        // A sedentary epoch's active time is the time spent sitting: not activity.
        activeMinutes: activeSeconds === null ? null : resting ? 0 : Math.round(activeSeconds / 60),
        activityType: list === 'dailies' ? null : activityType,
        // Garmin marks typed-in activities with `manual`; summaries rarely carry it.
        manual: summary.manual === true || summary.manual === 'true',
        granularity: span.granularity,
        record: { id: `garmin:${account ?? ''}:${span.key}`, revision: span.durationSeconds },
        ref: { index },
      });
    });
  }
  yield* out.finish();
}
