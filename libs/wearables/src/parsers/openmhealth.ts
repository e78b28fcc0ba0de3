import type { ParseContext, ParsedBatch, Payload, SampleRecord, SampleSource } from '../types';
import { BatchBuilder } from './batch-builder';
import { type JsonObject, numberOf, objectOf, readJson, textOf } from './json-fields';
import { granularityOf, instantOf } from './time-fields';

// Open mHealth step-count 1.0–3.0 and physical-activity, and their IEEE 1752.1 versions.
type MeasureKind = 'step-count' | 'physical-activity';

// duration-unit-value 1.0: ps ns us ms sec min h d wk Mo yr. Months and years have no fixed
// length, so a duration in them cannot place an interval.
const DURATION_UNIT_MS = new Map([
  ['ps', 1e-9],
  ['ns', 1e-6],
  ['us', 1e-3],
  ['ms', 1],
  ['sec', 1_000],
  ['min', 60_000],
  ['h', 3_600_000],
  ['d', 86_400_000],
  ['wk', 604_800_000],
]);
const DURATION_UNITS = 'ps, ns, us, ms, sec, min, h, d or wk';
// length-unit-value 1.0 (`um` is ASCII for micrometres).
const LENGTH_UNITS = new Set([
  'fm',
  'pm',
  'nm',
  'um',
  'mm',
  'cm',
  'm',
  'km',
  'in',
  'ft',
  'yd',
  'mi',
]);

interface TimeSpan {
  start: Date;
  end: Date;
}

/** The data points of a body: an array of them, one, or one bare measure body. */
function dataPointsOf(body: unknown): unknown[] {
  return Array.isArray(body) ? body : [body];
}

/** `omh:step-count:2.0` from `{namespace, name, version}`, or the IEEE schema URL as is. */
function schemaLabel(schemaId: unknown): string | null {
  const id = objectOf(schemaId);
  if (id) {
    const parts = [id.namespace, id.name, id.version].map((p) => textOf(p) ?? '?');
    return parts.join(':');
  }
  return textOf(schemaId);
}

function kindOfSchema(label: string): MeasureKind | null {
  if (/(^|[:/])step-count([:.]|$)/.test(label)) return 'step-count';
  if (/(^|[:/])physical-activity([:.]|$)/.test(label)) return 'physical-activity';
  return null;
}

function kindOfFields(measure: JsonObject): MeasureKind | null {
  if (measure.step_count !== undefined) return 'step-count';
  if (measure.activity_name !== undefined) return 'physical-activity';
  return null;
}

function durationMs(value: unknown): number | null {
  const duration = objectOf(value);
  const amount = numberOf(duration?.value);
  const unitMs = DURATION_UNIT_MS.get(textOf(duration?.unit) ?? '');
  return amount === null || unitMs === undefined ? null : amount * unitMs;
}

function timeSpanOf(frame: unknown): TimeSpan | string {
  const timeFrame = objectOf(frame);
  if (!timeFrame) return 'effective_time_frame is missing';
  const interval = objectOf(timeFrame.time_interval);
  if (!interval) {
    return timeFrame.date_time !== undefined
      ? 'effective_time_frame is a single date_time: a count needs a time_interval'
      : 'effective_time_frame.time_interval is missing';
  }
  const start = instantOf(interval.start_date_time);
  const end = instantOf(interval.end_date_time);
  if (interval.start_date_time !== undefined && !start)
    return 'start_date_time must be an RFC 3339 time with an offset';
  if (interval.end_date_time !== undefined && !end)
    return 'end_date_time must be an RFC 3339 time with an offset';
  const duration = interval.duration === undefined ? null : durationMs(interval.duration);
  if (interval.duration !== undefined && duration === null)
    return `duration must be { value, unit } with unit ${DURATION_UNITS}`;
  if (start && end) return { start, end };
  if (start && duration !== null) return { start, end: new Date(start.getTime() + duration) };
  if (end && duration !== null) return { start: new Date(end.getTime() - duration), end };
  return 'time_interval needs two of start_date_time, end_date_time and duration';
}

/** `step_count: 7939` (1.0, 2.0) or `step_count: { value: 7939, unit: 'steps' }` (3.0). */
function stepCountOf(value: unknown): number | string {
  const unitValue = objectOf(value);
  if (!unitValue) return numberOf(value) ?? 'step_count must be a number';
  const unit = textOf(unitValue.unit);
  if (unit !== 'steps') return `step_count.unit must be steps, not ${unit ?? 'missing'}`;
  return numberOf(unitValue.value) ?? 'step_count.value must be a number';
}

/**
 * A body that summarizes counts (`descriptive_statistic`: the average or the maximum of daily
 * counts, say) is not a count itself: adding it up would invent steps.
 */
function statisticProblem(measure: JsonObject, field: string): string | null {
  if (measure.descriptive_statistic === undefined) return null;
  const statistic = textOf(measure.descriptive_statistic) ?? 'statistic';
  const per = textOf(measure.descriptive_statistic_denominator);
  return `${field} is the ${statistic}${per ? ` per ${per}` : ''} (descriptive_statistic), not a count: only counts are imported`;
}

/** `distance` is a length-unit-value: a number in one of the schema's length units. */
function distanceProblem(value: unknown): string | null {
  if (value === undefined) return null;
  const distance = objectOf(value);
  if (!distance || numberOf(distance.value) === null) {
    return 'distance must be { value, unit }';
  }
  const unit = textOf(distance.unit);
  return unit !== null && LENGTH_UNITS.has(unit)
    ? null
    : `distance unit ${unit ?? 'missing'} is not a length unit of the schema (${[...LENGTH_UNITS].join(', ')})`;
}

/**
 * A data point's `header.id` identifies it: sent again with other values (a correction), it
 * replaces what it stored. Its revision is `source_last_modification_date_time` (header 1.2).
 */
function recordOf(header: JsonObject | null): SampleRecord | null {
  const id = textOf(header?.id);
  if (!id) return null;
  const modified = instantOf(header?.source_last_modification_date_time);
  return { id: `openmhealth:${id}`, revision: modified ? modified.getTime() : 0 };
}

export async function* parseOpenMhealth(
  payload: Payload,
  ctx: ParseContext,
): AsyncIterable<ParsedBatch> {
  const out = new BatchBuilder();
  dataPointsOf(await readJson(payload, ctx)).forEach((point, index) => {
    const reject = (reason: string) => out.reject({ index, reason });
    const object = objectOf(point);
    if (!object) return reject('data point must be an object');
    // A data point wraps its measure in `body`; a bare measure has the fields at the top.
    const header = objectOf(object.body) ? objectOf(object.header) : null;
    const measure = objectOf(object.body) ?? object;
    const schema = schemaLabel(header?.schema_id);
    const kind = schema ? kindOfSchema(schema) : kindOfFields(measure);
    if (!kind) {
      return reject(
        schema ? `unsupported schema ${schema}` : 'not a step-count or physical-activity body',
      );
    }
    const provenance = objectOf(header?.acquisition_provenance);
    const modality = textOf(provenance?.modality) ?? textOf(header?.modality);
    const source: SampleSource = {
      name: textOf(provenance?.source_name) ?? textOf(header?.source_name) ?? 'openmhealth',
      device: null,
    };
    const span = timeSpanOf(measure.effective_time_frame);
    if (typeof span === 'string') return reject(span);
    const manual = modality !== null && /^self[- _]?reported$/i.test(modality);

    const record = recordOf(header);
    if (kind === 'step-count') {
      const statistic = statisticProblem(measure, 'step_count');
      if (statistic) return reject(statistic);
      const steps = stepCountOf(measure.step_count);
      if (typeof steps === 'string') return reject(steps);
      return out.sample({
        source,
        ...span,
        steps,
        activeMinutes: null,
        activityType: null,
        manual,
        granularity: granularityOf(span.start, span.end),
        record,
        ref: { index },
      });
    }

    const activityName = textOf(measure.activity_name);
    if (!activityName) return reject('activity_name is missing');
    const problem = statisticProblem(measure, 'the activity') ?? distanceProblem(measure.distance);
    if (problem) return reject(problem);
    // Steps only when the base movement is counted in steps (not strokes or metres).
    const movement = objectOf(measure.base_movement_quantity);
    const steps = textOf(movement?.unit) === 'steps' ? numberOf(movement?.value) : 0;
    if (steps === null) return reject('base_movement_quantity.value must be a number');
    // IEEE 1752.1 names it `duration`, Open mHealth 2.0 `effective_duration`.
    const stated = measure.duration ?? measure.effective_duration;
    const duration =
      stated === undefined ? span.end.getTime() - span.start.getTime() : durationMs(stated);
    if (duration === null)
      return reject(`duration must be { value, unit } with unit ${DURATION_UNITS}`);
    out.sample({
      source,
      ...span,
      steps,
      activeMinutes: Math.round(duration / 60_000),
      activityType: activityName.toLowerCase(),
      manual,
      granularity: granularityOf(span.start, span.end),
      // Without a header id, an activity is named apart from a step count of the same interval
      // (which the natural key would take it for a replay of).
      record: record ?? {
        id: `openmhealth:activity:${source.name}:${span.start.toISOString()}:${span.end.toISOString()}:${activityName}`,
        revision: 0,
      },
      ref: { index },
    });
  });
  yield* out.finish();
}
