import { createHash } from 'node:crypto';
import type { ActivitySample, ParseContext, ParsedBatch, Payload, SampleSource } from '../types';
import { BatchBuilder } from './batch-builder';
import { type JsonObject, numberOf, objectOf, readJson, textOf } from './json-fields';
import { granularityOf, instantOrProblem } from './time-fields';

// Google Health API v4, one page of `GET v4/users/me/dataTypes/steps/dataPoints` as fetched
// (discovery revision 20260527): a ListDataPointsResponse
// `{ dataPoints: [DataPoint], nextPageToken? }`, newest first. A DataPoint holds `dataSource`
// { platform, recordingMethod, device { displayName, manufacturer, formFactor }, application },
// the union member `steps` { count (int64, a JSON string), interval { startTime, startUtcOffset,
// endTime, endUtcOffset, civilStartTime, civilEndTime } }, and a `name` that is empty for most
// data types.
//
// - Each data point is one interval sample (storage resolution 1 minute); back-to-back points
//   share their boundaries.
// - A point is identified by its `name` when it has one; otherwise by its data source (platform,
//   device display name and manufacturer, application) and its interval, so that re-fetching an
//   overlapping window brings the same records again (no double count) and a changed count for
//   the same interval replaces the stored one (the same revision received later wins).
// - Two points of one page that are the same record with different counts: the larger is kept
//   (as the database keeps of one batch), the other rejected saying so.
const SOURCE_NAME = 'google-health';
/** A source identity longer than this is hashed into the record id (MAX_RECORD_ID_LENGTH). */
const MAX_READABLE_SOURCE_KEY = 300;
const INT64 = /^\d{1,19}$/;

const PLATFORMS = new Map([
  ['FITBIT', 'Fitbit'],
  ['HEALTH_CONNECT', 'Health Connect'],
  ['HEALTH_KIT', 'HealthKit'],
  ['FIT', 'Google Fit'],
  ['FITBIT_WEB_API', 'Fitbit Web API'],
  ['NEST', 'Nest'],
  ['GOOGLE_WEB_API', 'Google Health API'],
  ['GOOGLE_PARTNER_INTEGRATION', 'Google partner integration'],
]);
const UNSPECIFIED = new Set(['PLATFORM_UNSPECIFIED', 'FORM_FACTOR_UNSPECIFIED']);

/**
 * Why a body is not one page of `dataPoints.list`, or null. Google's JSON leaves out an empty
 * repeated field, so `{}` (or a lone `nextPageToken`) is a page without data points.
 */
export function googleHealthBodyProblem(body: unknown): string | null {
  const page = objectOf(body);
  if (!page) return 'the body must be a ListDataPointsResponse { "dataPoints": [...] }';
  if (Array.isArray(page.dataPoints)) return null;
  const error = objectOf(page.error);
  if (error) {
    const code = numberOf(error.code);
    const status = [code === null ? null : String(code), textOf(error.status)]
      .filter((part) => part !== null)
      .join(' ');
    return `the body is a Google API error (${status || 'no status'}): ${textOf(error.message) ?? 'no message'}`;
  }
  if (page.dataPoints === undefined && Object.keys(page).every((key) => key === 'nextPageToken')) {
    return null;
  }
  return 'the body needs a dataPoints array (a ListDataPointsResponse of dataPoints.list)';
}

/** `WATCH` → `watch`, `FITNESS_BAND` → `fitness band`; null when unspecified. */
function enumLabel(value: unknown): string | null {
  const text = textOf(value);
  if (!text || UNSPECIFIED.has(text)) return null;
  return text.toLowerCase().replace(/_/g, ' ');
}

interface DataSourceOf {
  source: SampleSource;
  /** platform, device display name, manufacturer, application: what tells sources apart. */
  key: string;
  manual: boolean;
}

function dataSourceOf(value: unknown): DataSourceOf {
  const dataSource = objectOf(value);
  const device = objectOf(dataSource?.device);
  const application = objectOf(dataSource?.application);
  const platform = textOf(dataSource?.platform);
  const displayName = textOf(device?.displayName);
  const manufacturer = textOf(device?.manufacturer);
  const app =
    textOf(application?.packageName) ??
    textOf(application?.webClientId) ??
    textOf(application?.googleWebClientId);
  // The device as named, else its maker and kind ("Google watch"); the app that wrote it, when
  // the API says, tells two apps on one phone apart (the merge takes the larger, never the sum).
  const hardware =
    displayName ??
    ([manufacturer, enumLabel(device?.formFactor)].filter((part) => part !== null).join(' ') ||
      null);
  const label =
    hardware && app
      ? `${hardware} (${app})`
      : (hardware ??
        app ??
        (platform && !UNSPECIFIED.has(platform) ? (PLATFORMS.get(platform) ?? platform) : null));
  const key = [platform, displayName, manufacturer, app]
    .map((part) => encodeURIComponent(part ?? ''))
    .join('|');
  return {
    source: { name: SOURCE_NAME, device: label },
    key:
      key.length > MAX_READABLE_SOURCE_KEY
        ? `sha256-${createHash('sha256').update(key).digest('hex')}`
        : key,
    manual: textOf(dataSource?.recordingMethod) === 'MANUAL',
  };
}

/** An int64 as Google writes it (a decimal string), or a JSON integer; null otherwise. */
function countOf(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (typeof value !== 'string' || !INT64.test(value)) return null;
  const count = Number(value);
  return Number.isSafeInteger(count) ? count : null;
}

/** The union member a data point holds instead of `steps` (`distance`, `heartRate`…). */
function otherMember(point: JsonObject): string | null {
  return (
    Object.keys(point).find(
      (key) => !['name', 'dataSource', 'steps'].includes(key) && objectOf(point[key]),
    ) ?? null
  );
}

function sampleOf(point: JsonObject, index: number): ActivitySample | string {
  const steps = objectOf(point.steps);
  if (!steps) {
    const other = otherMember(point);
    return other
      ? `not a steps data point (it holds ${other})`
      : 'not a steps data point (no steps)';
  }
  const count = countOf(steps.count);
  if (count === null) {
    return steps.count === undefined
      ? 'steps.count is missing'
      : 'steps.count must be a whole number of 0 or more, written as a string ("52")';
  }
  const interval = objectOf(steps.interval);
  if (!interval) return 'steps.interval is missing';
  const start = instantOrProblem(interval.startTime, 'steps.interval.startTime');
  if (typeof start === 'string') return start;
  const end = instantOrProblem(interval.endTime, 'steps.interval.endTime');
  if (typeof end === 'string') return end;
  if (end.getTime() < start.getTime()) return 'steps.interval ends before it starts';
  const { source, key, manual } = dataSourceOf(point.dataSource);
  const name = textOf(point.name);
  return {
    source,
    start,
    end,
    steps: count,
    activeMinutes: null,
    activityType: null,
    manual,
    granularity: granularityOf(start, end),
    // No modification time in a DataPoint: of two versions, the one received later wins.
    record: {
      id: name
        ? `google-health:name:${name}`
        : `google-health:source:${key}:${start.toISOString()}/${end.toISOString()}`,
      revision: 0,
    },
    ref: { index },
  };
}

export async function* parseGoogleHealth(
  payload: Payload,
  ctx: ParseContext,
): AsyncIterable<ParsedBatch> {
  const out = new BatchBuilder();
  const body = await readJson(payload, ctx);
  const problem = googleHealthBodyProblem(body);
  if (problem) {
    out.reject({ reason: problem });
    yield* out.finish();
    return;
  }
  const points = (objectOf(body)?.dataPoints as unknown[] | undefined) ?? [];
  const reject = (index: number, reason: string) =>
    out.reject({ index, reason: `dataPoints[${index}]: ${reason}` });

  const samples: (ActivitySample | null)[] = points.map((raw, index) => {
    const point = objectOf(raw);
    const sample = point ? sampleOf(point, index) : 'data point must be an object';
    if (typeof sample === 'string') {
      reject(index, sample);
      return null;
    }
    return sample;
  });

  // One record twice in the page: the larger count of each record id, whatever the order.
  const largest = new Map<string, ActivitySample>();
  for (const sample of samples) {
    if (!sample?.record) continue;
    const kept = largest.get(sample.record.id);
    if (!kept || sample.steps > kept.steps) largest.set(sample.record.id, sample);
  }
  for (const sample of samples) {
    if (!sample?.record) continue;
    const kept = largest.get(sample.record.id) as ActivitySample;
    if (sample.steps === kept.steps) out.sample(sample);
    else {
      reject(
        sample.ref.index as number,
        `the same record as dataPoints[${kept.ref.index}] (source and interval) with another count: ${kept.steps} is kept, not ${sample.steps}`,
      );
    }
  }
  yield* out.finish();
}
