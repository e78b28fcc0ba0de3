import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { localDateOf } from '@app/domain';
import {
  type ActivitySample,
  type ImportFormat,
  type ParseContext,
  type ParsedBatch,
  parseImport,
  payloadOf,
  type Rejection,
} from '../src';

// A fixed clock: fixtures are dated around November 2026, and 'the future' is relative to it.
export const NOW = new Date('2026-11-20T12:00:00Z');

/** The parse context of the tests: the fixed clock and the default JSON limit (32 MiB). */
export function contextIn(timezone: string): ParseContext {
  return { timezone, now: NOW, jsonMaxBytes: 32 * 1024 * 1024 };
}

export function fixtureText(path: string): string {
  return readFileSync(join(__dirname, 'fixtures', path), 'utf8');
}

/** Every batch's output merged, plus how many batches there were. */
export async function collect(
  batches: AsyncIterable<ParsedBatch>,
): Promise<ParsedBatch & { batchCount: number }> {
  const all: ParsedBatch & { batchCount: number } = {
    samples: [],
    pains: [],
    retractions: [],
    rejections: [],
    batchCount: 0,
  };
  for await (const batch of batches) {
    all.samples.push(...batch.samples);
    all.pains.push(...batch.pains);
    all.retractions.push(...batch.retractions);
    all.rejections.push(...batch.rejections);
    all.batchCount += 1;
  }
  return all;
}

/** A fixture through parseImport (parser and generic checks) with the fixed clock. */
export function importFixture(
  format: ImportFormat,
  path: string,
  timezone: string,
): Promise<ParsedBatch & { batchCount: number }> {
  return collect(parseImport(format, payloadOf(fixtureText(path)), contextIn(timezone)));
}

export interface SampleRow {
  start: string;
  end: string;
  steps: number;
  source: string;
  device: string | null;
  manual: boolean;
  granularity: ActivitySample['granularity'];
  activeMinutes: number | null;
  activityType: string | null;
  at: number | undefined;
}

/** A sample as the tests state it: ISO instants, and `at` = its index or line. */
export function rowsOf(samples: ActivitySample[]): SampleRow[] {
  return samples.map((s) => ({
    start: s.start.toISOString(),
    end: s.end.toISOString(),
    steps: s.steps,
    source: s.source.name,
    device: s.source.device,
    manual: s.manual,
    granularity: s.granularity,
    activeMinutes: s.activeMinutes,
    activityType: s.activityType,
    at: s.ref.index ?? s.ref.line,
  }));
}

/** Rejections in payload order (the generic checks append theirs after the parser's). */
export function sortedRejections(rejections: Rejection[]): Rejection[] {
  return [...rejections].sort(
    (a, b) =>
      (a.index ?? a.line ?? -1) - (b.index ?? b.line ?? -1) || (a.reason < b.reason ? -1 : 1),
  );
}

/** Steps per patient-local day and source (`device` after a slash), as the daily view sums them. */
export function stepsByDayAndSource(
  samples: ActivitySample[],
  timeZone: string,
): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const s of samples) {
    const source = s.source.device ? `${s.source.name} / ${s.source.device}` : s.source.name;
    const key = `${localDateOf(s.start, timeZone)} ${source}`;
    totals[key] = (totals[key] ?? 0) + s.steps;
  }
  return totals;
}

/** A expected row: the common case (interval, sensed, no device) unless `more` says. */
export function row(
  at: number,
  start: string,
  end: string,
  steps: number,
  source: string,
  more: Partial<SampleRow> = {},
): SampleRow {
  return {
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    steps,
    source,
    device: null,
    manual: false,
    granularity: 'interval',
    activeMinutes: null,
    activityType: null,
    at,
    ...more,
  };
}
