import { localDayBounds, offsetMinutes, zonedWallTimeToInstant } from '@app/domain';
import type { ParseContext, ParsedBatch, Payload, SampleSource } from '../types';
import { BatchBuilder } from './batch-builder';
import { arrayOf, numberOf, objectOf, readJson, textOf } from './json-fields';
import { bareDateOf, readDateTime } from './time-fields';

// Fitbit Web API `activities/steps/date/{date}/1d/{1min|15min}`: times are the account's
// local wall clock with no offset, so they are placed with the patient's zone.
const SOURCE: SampleSource = { name: 'fitbit', device: null };
const CLOCK_TIME = /^(\d{2}):(\d{2})(?::(\d{2}))?$/;
const MINUTES_PER_UNIT = new Map([
  ['second', 1 / 60],
  ['minute', 1],
  ['hour', 60],
]);

/** Whether a wall time happened in the zone (false inside a spring-forward gap). */
function wallTimeExists(instant: Date, wallMs: number, timeZone: string): boolean {
  return instant.getTime() + offsetMinutes(instant, timeZone) * 60_000 === wallMs;
}

export async function* parseFitbit(
  payload: Payload,
  ctx: ParseContext,
): AsyncIterable<ParsedBatch> {
  const out = new BatchBuilder();
  const body = objectOf(await readJson(payload, ctx));
  const intraday = objectOf(body?.['activities-steps-intraday']);
  if (!Array.isArray(body?.['activities-steps']) && !intraday) {
    out.reject({ reason: 'body needs activities-steps or activities-steps-intraday' });
  }

  const dates: string[] = [];
  arrayOf(body?.['activities-steps']).forEach((raw, index) => {
    // Each list counts from 0: the reason says which list the index is in.
    const reject = (reason: string) =>
      out.reject({ index, reason: `activities-steps[${index}]: ${reason}` });
    const day = objectOf(raw);
    const date = bareDateOf(day?.dateTime);
    if (!date) return reject('dateTime must be a date YYYY-MM-DD');
    dates.push(date);
    const steps = numberOf(day?.value);
    if (steps === null) return reject('value must be a number');
    out.sample({
      source: SOURCE,
      ...localDayBounds(date, ctx.timezone),
      steps,
      activeMinutes: null,
      activityType: null,
      manual: false,
      granularity: 'day',
      record: null,
      ref: { index },
    });
  });

  const dataset = arrayOf(intraday?.dataset);
  if (dataset.length > 0) {
    // The intraday times carry no date: the response's single day gives it.
    if (dates.length !== 1) {
      out.reject({
        reason: 'activities-steps-intraday needs exactly one day in activities-steps to date it',
      });
      yield* out.finish();
      return;
    }
    const date = dates[0];
    const interval = numberOf(intraday?.datasetInterval) ?? 1;
    const unitMinutes = MINUTES_PER_UNIT.get(textOf(intraday?.datasetType) ?? 'minute');
    if (unitMinutes === undefined || interval <= 0) {
      out.reject({ reason: 'datasetInterval and datasetType do not give an interval' });
      yield* out.finish();
      return;
    }
    const intervalMs = interval * unitMinutes * 60_000;
    dataset.forEach((raw, index) => {
      const reject = (reason: string) =>
        out.reject({ index, reason: `dataset[${index}]: ${reason}` });
      const entry = objectOf(raw);
      const clock = CLOCK_TIME.exec(textOf(entry?.time) ?? '');
      if (!clock) return reject('time must be HH:MM:SS');
      const wall = readDateTime(`${date}T${clock[1]}:${clock[2]}:${clock[3] ?? '00'}`);
      const start = wall && zonedWallTimeToInstant(`${date}T${clock[0]}`, ctx.timezone);
      if (!wall || !start) return reject('time must be HH:MM:SS');
      const steps = numberOf(entry?.value);
      if (steps === null) return reject('value must be a number');
      if (!wallTimeExists(start, wall.wallMs, ctx.timezone)) {
        // A spring-forward hour that never happened: a zero there is filler, not data.
        if (steps === 0) return;
        return reject(`${clock[0]} does not exist on ${date} in ${ctx.timezone}`);
      }
      out.sample({
        source: SOURCE,
        start,
        end: new Date(start.getTime() + intervalMs),
        steps,
        activeMinutes: null,
        activityType: null,
        manual: false,
        granularity: 'interval',
        record: null,
        ref: { index },
      });
    });
  }
  yield* out.finish();
}
