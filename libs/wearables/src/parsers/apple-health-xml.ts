import { StringDecoder } from 'node:string_decoder';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import type { ActivitySample, ParseContext, ParsedBatch, Payload } from '../types';
import { BatchBuilder } from './batch-builder';
import { numberOf, textOf } from './json-fields';
import { granularityOf, instantOf } from './time-fields';

// Apple Health export.xml, streamed: exports reach gigabytes, so the document is never held
// whole and samples leave in batches as the chunks are parsed.
const STEP_COUNT = 'HKQuantityTypeIdentifierStepCount';
const WALKING_WORKOUTS = new Map([
  ['HKWorkoutActivityTypeWalking', 'walking'],
  ['HKWorkoutActivityTypeHiking', 'hiking'],
]);
const MINUTES_PER_DURATION_UNIT = new Map([
  ['s', 1 / 60],
  ['min', 1],
  ['h', 60],
  ['hr', 60],
]);

interface OpenItem {
  element: 'Record' | 'Workout';
  attributes: Record<string, string>;
  line: number;
  manual: boolean;
}

/** `name:Apple Watch` out of `<<HKDevice: 0x…>, name:Apple Watch, manufacturer:Apple Inc., …>`. */
export function appleDeviceName(device: string | undefined): string | null {
  const match = /(?:^|[\s,>])name:([^,>]*)/.exec(device ?? '');
  return textOf(match?.[1]);
}

const sourceKeyOf = (source: { name: string; device: string | null }) =>
  `${source.name}|${source.device ?? ''}`;

function sampleOf(item: OpenItem): ActivitySample | string {
  const { attributes } = item;
  const start = instantOf(attributes.startDate);
  const end = instantOf(attributes.endDate);
  if (!start || !end) {
    return 'startDate and endDate must be times like 2026-11-01 09:00:00 +0100';
  }
  const common = {
    source: {
      name: textOf(attributes.sourceName) ?? 'apple-health',
      device: appleDeviceName(attributes.device),
    },
    start,
    end,
    manual: item.manual,
    granularity: granularityOf(start, end),
    record: null,
    ref: { line: item.line },
  };
  if (item.element === 'Record') {
    // Steps typed into the Health app are dated to the minute with no duration, and iPhones
    // write some zero-length records too: a count at one instant, on the day it names.
    if (start.getTime() === end.getTime()) common.granularity = 'point';
    const steps = numberOf(attributes.value);
    if (steps === null) return 'value must be a number';
    return { ...common, steps, activeMinutes: null, activityType: null };
  }
  // A walk recorded as a workout: its minutes count as activity; its steps are in the
  // StepCount records of the same time.
  let minutes = (end.getTime() - start.getTime()) / 60_000;
  if (attributes.duration !== undefined) {
    const duration = numberOf(attributes.duration);
    const perUnit = MINUTES_PER_DURATION_UNIT.get(attributes.durationUnit ?? 'min');
    if (duration === null || perUnit === undefined) {
      return 'duration must be a number of s, min or h';
    }
    minutes = duration * perUnit;
  }
  return {
    ...common,
    steps: 0,
    activeMinutes: Math.round(minutes),
    activityType: WALKING_WORKOUTS.get(attributes.workoutActivityType) ?? null,
    // A workout spans the same times as the step records of its walk: named apart from them,
    // so that neither is taken for a replay of the other.
    record: {
      id: `apple-health:workout:${sourceKeyOf(common.source)}:${attributes.startDate}:${attributes.endDate}`,
      revision: 0,
    },
  };
}

export async function* parseAppleHealthXml(
  payload: Payload,
  _ctx: ParseContext,
): AsyncIterable<ParsedBatch> {
  const out = new BatchBuilder();
  const parser = new SaxesParser({ xmlns: false, position: true });
  // Chunks may split a multi-byte character ("Anne’s iPhone"): decode across them.
  const decoder = new StringDecoder('utf8');
  const state: { tagLine: number; open: OpenItem | null; error: Error | null; errorLine: number } =
    { tagLine: 1, open: null, error: null, errorLine: 0 };

  parser.on('opentagstart', () => {
    state.tagLine = parser.line;
  });
  // Past a well-formedness error the rest of the document cannot be trusted: ignore it.
  parser.on('opentag', (tag: SaxesTagPlain) => {
    if (state.error) return;
    const { name, attributes } = tag;
    if (name === 'Record' || name === 'Workout') {
      // Exports hold hundreds of record types: all but step counts and walks are skipped.
      const wanted =
        name === 'Record'
          ? attributes.type === STEP_COUNT
          : WALKING_WORKOUTS.has(attributes.workoutActivityType);
      state.open = wanted
        ? { element: name, attributes, line: state.tagLine, manual: false }
        : null;
    } else if (name === 'MetadataEntry' && state.open && attributes.key === 'HKWasUserEntered') {
      state.open.manual = attributes.value === '1' || attributes.value === 'true';
    }
  });
  parser.on('closetag', (tag: SaxesTagPlain) => {
    const open = state.open;
    if (!open || tag.name !== open.element || state.error) return;
    state.open = null;
    const sample = sampleOf(open);
    if (typeof sample === 'string') out.reject({ line: open.line, reason: sample });
    else out.sample(sample);
  });
  parser.on('error', (error: Error) => {
    if (state.error) return;
    state.error = error;
    state.errorLine = parser.line;
  });

  for await (const chunk of payload) {
    parser.write(decoder.write(chunk));
    yield* out.drain();
    if (state.error) break;
  }
  if (!state.error) parser.write(decoder.end()).close();
  if (state.error) {
    const message = state.error.message.replace(/^\d+:\d+: /, '');
    out.reject({ line: state.errorLine, reason: `export.xml is not well-formed: ${message}` });
  }
  yield* out.finish();
}
