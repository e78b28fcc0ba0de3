import { isValidTimeZone, localDayBounds } from '@app/domain';
import type { ParseContext, ParsedBatch, Payload, SampleSource } from '../types';
import { BatchBuilder } from './batch-builder';
import { arrayOf, type JsonObject, numberOf, objectOf, readJson, textOf } from './json-fields';
import { bareDateOf } from './time-fields';

// Withings Public API, one response of Measure v2 as fetched (`POST /v2/measure`, developer
// OpenAPI): `{ status, body }`, with `status` 0 for success and an error family otherwise.
//
// - `action=getactivity`: `body.activities` [{ date, timezone, deviceid, hash_deviceid, brand,
//   is_tracker, model, modelid, modified, steps, … }], one row per device and day: a daily total
//   over that local day in its own `timezone` (23 or 25 hours on a DST day). Re-fetched as the
//   day fills in: its device and date identify it, `modified` is its revision.
// - `action=getintradayactivity`: `body.series` { "<unix seconds>": { steps, duration,
//   deviceid, model, model_id, … } }, an interval [t, t + duration) each. Entries without a
//   `steps` field (heart rate, SpO2 readings…) are not step records and are skipped. Device and
//   start identify an entry.
const SOURCE_NAME = 'withings';

/** The error families of Withings' status table that say what to do (the rest: see the table). */
const STATUS_FAMILIES: [number, number, string][] = [
  [100, 102, 'authentication failed'],
  [200, 200, 'authentication failed'],
  [401, 401, 'authentication failed'],
  [214, 214, 'unauthorized'],
  [277, 277, 'unauthorized'],
  [522, 522, 'timeout'],
  [524, 524, 'bad state'],
  [601, 601, 'too many requests'],
  [2553, 2553, 'unauthorized'],
  [2554, 2554, 'not implemented'],
  [2555, 2555, 'unauthorized'],
];

function statusText(status: number): string {
  const family = STATUS_FAMILIES.find(([from, to]) => status >= from && status <= to)?.[2];
  return family ? `status ${status} (${family})` : `status ${status}`;
}

/**
 * Why a body is not a successful Getactivity or Getintradayactivity response, or null. An
 * error response (`status` other than 0) is refused whole, naming its status.
 */
export function withingsBodyProblem(body: unknown): string | null {
  const response = objectOf(body);
  const status = numberOf(response?.status);
  if (!response || status === null) {
    return 'the body must be a Withings response { "status": 0, "body": { ... } }';
  }
  if (status !== 0) {
    const error = textOf(response.error);
    return `Withings answered ${statusText(status)}${error ? `: ${error}` : ''}; nothing imported`;
  }
  const inner = objectOf(response.body);
  // An empty series is sometimes written as [] (an empty PHP array).
  const series = objectOf(inner?.series) ?? (Array.isArray(inner?.series) ? {} : null);
  if (!inner || (!Array.isArray(inner.activities) && !series)) {
    return 'body needs body.activities (Getactivity) or body.series (Getintradayactivity)';
  }
  return null;
}

/** Labels the device: its model, else its model id, else the start of its id. */
function deviceOf(model: unknown, modelId: unknown, deviceId: string | null): string | null {
  const id = numberOf(modelId);
  return (
    textOf(model) ??
    (id !== null ? `model ${id}` : null) ??
    (deviceId ? `device ${deviceId.slice(0, 8)}` : null)
  );
}

function readActivities(activities: unknown[], ctx: ParseContext, out: BatchBuilder): void {
  activities.forEach((raw, index) => {
    const reject = (reason: string) =>
      out.reject({ index, reason: `activities[${index}]: ${reason}` });
    const activity = objectOf(raw);
    if (!activity) return reject('activity must be an object');
    const date = bareDateOf(activity.date);
    if (!date) return reject('date must be a date YYYY-MM-DD');
    const zone = textOf(activity.timezone);
    if (zone !== null && !isValidTimeZone(zone)) {
      return reject(`timezone ${zone} is not an IANA time zone`);
    }
    if (activity.steps === undefined || activity.steps === null) {
      return reject('steps is missing (ask for it in data_fields)');
    }
    const steps = numberOf(activity.steps);
    if (steps === null) return reject('steps must be a number');
    const modified = numberOf(activity.modified);
    if (activity.modified !== undefined && activity.modified !== null && modified === null) {
      return reject('modified must be a unix time in seconds');
    }
    const deviceId = textOf(activity.hash_deviceid) ?? textOf(activity.deviceid);
    // Without a device (the app's own count, an external source): its brand tells it apart.
    const deviceKey = deviceId ?? `brand-${numberOf(activity.brand) ?? ''}`;
    const source: SampleSource = {
      name: SOURCE_NAME,
      device: deviceOf(activity.model, activity.modelid, deviceId),
    };
    out.sample({
      source,
      // The day in its own zone (the patient's when the row does not say).
      ...localDayBounds(date, zone ?? ctx.timezone),
      steps,
      activeMinutes: null,
      activityType: null,
      manual: false,
      granularity: 'day',
      record: {
        id: `withings:daily:${deviceKey}:${date}`,
        revision: modified === null ? 0 : Math.round(modified * 1000),
      },
      ref: { index },
    });
  });
}

function readSeries(series: JsonObject, out: BatchBuilder): void {
  // Keys that are unix seconds come out of JSON.parse in ascending order.
  Object.entries(series).forEach(([key, raw], index) => {
    const reject = (reason: string) => out.reject({ index, reason: `series[${key}]: ${reason}` });
    const entry = objectOf(raw);
    if (!entry) return reject('entry must be an object');
    if (entry.steps === undefined || entry.steps === null) return;
    if (!/^\d{1,12}$/.test(key)) return reject('the key must be a unix time in seconds');
    const start = Number(key);
    const steps = numberOf(entry.steps);
    if (steps === null) return reject('steps must be a number');
    const duration = numberOf(entry.duration);
    if (duration === null || !Number.isInteger(duration) || duration < 0) {
      return reject('duration must be a whole number of seconds');
    }
    // A zero-length entry counts nothing when it holds no steps: nothing to keep.
    if (duration === 0 && steps === 0) return;
    if (duration === 0) return reject('duration must be above 0 for steps to count');
    const deviceId = textOf(entry.deviceid);
    out.sample({
      source: { name: SOURCE_NAME, device: deviceOf(entry.model, entry.model_id, deviceId) },
      start: new Date(start * 1000),
      end: new Date((start + duration) * 1000),
      steps,
      activeMinutes: null,
      activityType: null,
      manual: false,
      granularity: 'interval',
      record: { id: `withings:intraday:${deviceId ?? ''}:${start}`, revision: 0 },
      ref: { index },
    });
  });
}

export async function* parseWithings(
  payload: Payload,
  ctx: ParseContext,
): AsyncIterable<ParsedBatch> {
  const out = new BatchBuilder();
  const response = await readJson(payload, ctx);
  const problem = withingsBodyProblem(response);
  if (problem) {
    out.reject({ reason: problem });
    yield* out.finish();
    return;
  }
  const body = objectOf(objectOf(response)?.body);
  readActivities(arrayOf(body?.activities), ctx, out);
  const series = objectOf(body?.series);
  if (series) readSeries(series, out);
  yield* out.finish();
}
