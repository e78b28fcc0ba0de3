import { addDays, localDateOf, localDayBounds } from '@app/domain';
import { ACTIVITY_ROLLUP_SQL, rollupParams } from '@app/persistence';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

// Properties of the cross-source merge, run against the real rollup SQL on the run's database
// (each case in a transaction that is rolled back). CI runs a fixed seed; elsewhere each run
// draws a new one, printed by fast-check when a property fails so that it can be replayed with
// MERGE_SEED.
const RUNS = Number(process.env.MERGE_RUNS ?? 1000);
const SEED = process.env.MERGE_SEED
  ? Number(process.env.MERGE_SEED)
  : process.env.CI
    ? 20261202
    : undefined;
const params = { numRuns: RUNS, seed: SEED };

/** A sample as stored: times in whole milliseconds, as every source sends them. */
interface Sample {
  source: string;
  start: number;
  end: number;
  steps: number;
  granularity: 'interval' | 'day' | 'point';
}

type Days = Record<string, { steps: number; sources: { name: string; steps: number }[] }>;

// Zones with 23- and 25-hour days (Paris, New York), a half-hour DST shift (Lord Howe), a
// quarter-hour offset (Kathmandu, Chatham) and none (UTC); each with a window of days around a
// DST change of 2026.
const ZONES: { zone: string; first: string }[] = [
  { zone: 'Europe/Paris', first: '2026-03-28' },
  { zone: 'Europe/Paris', first: '2026-10-24' },
  { zone: 'America/New_York', first: '2026-03-07' },
  { zone: 'America/New_York', first: '2026-10-31' },
  { zone: 'Australia/Lord_Howe', first: '2026-04-04' },
  { zone: 'Pacific/Chatham', first: '2026-09-26' },
  { zone: 'Asia/Kathmandu', first: '2026-06-10' },
  { zone: 'UTC', first: '2026-06-10' },
];
const WINDOW_DAYS = 3;
const SOURCES = ['phone|', 'watch|Apple Watch', 'band|'];
const MAX_SAMPLE_MS = 48 * 3_600_000;

const windowOf = (zone: string, first: string) => ({
  from: localDayBounds(first, zone).start.getTime(),
  to: localDayBounds(addDays(first, WINDOW_DAYS - 1), zone).end.getTime(),
});

/**
 * A sample whose steps are in proportion to time, one every `msPerStep`, so that it can be cut
 * at any step into pieces that keep whole steps (how a device re-chunking one stream cuts it).
 * Walks of a few minutes, and longer spans of hours, some crossing midnight.
 */
const sampleArb = (source: fc.Arbitrary<string>, from: number, to: number) =>
  fc
    .record({
      source,
      offset: fc.integer({ min: 0, max: to - from - 1 }),
      long: fc.boolean(),
      steps: fc.integer({ min: 0, max: 3000 }),
      msPerStep: fc.integer({ min: 10, max: 4000 }),
      idleMs: fc.integer({ min: 1, max: 6 * 3_600_000 }),
    })
    .map(({ source, offset, long, steps, msPerStep, idleMs }): Sample => {
      const start = from + offset;
      const perStep = long ? msPerStep * 40 : msPerStep;
      const duration = Math.min(steps === 0 ? idleMs : steps * perStep, MAX_SAMPLE_MS);
      const count = Math.floor(duration / perStep) || (steps === 0 ? 0 : 1);
      return {
        source,
        start,
        end: start + (steps === 0 ? duration : count * perStep),
        steps: steps === 0 ? 0 : count,
        granularity: 'interval',
      };
    });

/** Back-to-back records of one source that share their boundaries, as phones write them. */
const runArb = (source: fc.Arbitrary<string>, from: number, to: number) =>
  fc
    .record({
      source,
      offset: fc.integer({ min: 0, max: to - from - 1 }),
      pieces: fc.array(
        fc.record({
          steps: fc.integer({ min: 1, max: 200 }),
          msPerStep: fc.integer({ min: 300, max: 2000 }),
        }),
        { minLength: 2, maxLength: 8 },
      ),
    })
    .map(({ source, offset, pieces }) => {
      let at = from + offset;
      return pieces.map(({ steps, msPerStep }): Sample => {
        const start = at;
        at += steps * msPerStep;
        return { source, start, end: at, steps, granularity: 'interval' };
      });
    });

/** A day's total that a source did not break down (Garmin dailies), on one of the window's days. */
const dailyArb = (source: fc.Arbitrary<string>, zone: string, first: string) =>
  fc
    .record({
      source,
      day: fc.integer({ min: 0, max: WINDOW_DAYS - 1 }),
      steps: fc.integer({ min: 0, max: 30000 }),
    })
    .map(({ source, day, steps }): Sample => {
      const { start, end } = localDayBounds(addDays(first, day), zone);
      return { source, start: start.getTime(), end: end.getTime(), steps, granularity: 'day' };
    });

/** A manual entry at one instant (Apple Health's user-entered steps). */
const pointArb = (source: fc.Arbitrary<string>, from: number, to: number) =>
  fc
    .record({
      source,
      offset: fc.integer({ min: 0, max: to - from - 1 }),
      steps: fc.integer({ min: 1, max: 5000 }),
    })
    .map(({ source, offset, steps }): Sample => ({
      source,
      start: from + offset,
      end: from + offset,
      steps,
      granularity: 'point',
    }));

/** A patient's data: a zone, a window of days, and samples of up to three sources. */
const scenarioArb = (sources: readonly string[] = SOURCES) =>
  fc.constantFrom(...ZONES).chain(({ zone, first }) => {
    const { from, to } = windowOf(zone, first);
    const source = fc.constantFrom(...sources);
    return fc
      .record({
        singles: fc.array(sampleArb(source, from, to), { maxLength: 25 }),
        runs: fc.array(runArb(source, from, to), { maxLength: 4 }),
        dailies: fc.array(dailyArb(source, zone, first), { maxLength: 2 }),
        points: fc.array(pointArb(source, from, to), { maxLength: 2 }),
      })
      .map(({ singles, runs, dailies, points }) => ({
        zone,
        first,
        samples: uniqueByKey([...singles, ...runs.flat(), ...dailies, ...points]),
      }));
  });

/** The natural key (start, source, end) is unique: a second sample with the same key is a replay. */
function uniqueByKey(samples: Sample[]): Sample[] {
  const seen = new Set<string>();
  return samples.filter((s) => {
    const key = `${s.start}|${s.source}|${s.end}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Cuts a sample at the given steps into pieces that keep its pace. */
function cut(sample: Sample, atSteps: number[]): Sample[] {
  const perStep = (sample.end - sample.start) / sample.steps;
  const bounds = [0, ...[...new Set(atSteps)].sort((a, b) => a - b), sample.steps];
  const pieces: Sample[] = [];
  for (let i = 1; i < bounds.length; i++) {
    pieces.push({
      ...sample,
      start: sample.start + bounds[i - 1] * perStep,
      end: sample.start + bounds[i] * perStep,
      steps: bounds[i] - bounds[i - 1],
    });
  }
  return pieces;
}

/** Shuffles deterministically from a seed: the order samples arrive in must not matter. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let state = seed || 1;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('cross-source merge (properties, against the rollup SQL)', () => {
  const db = new Client({ connectionString: process.env.DATABASE_URL });
  const organizationId = randomUUID();
  const patientIds = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];

  beforeAll(async () => {
    await db.connect();
    const clinicianId = randomUUID();
    await db.query(`INSERT INTO organizations (id, name) VALUES ($1, 'Merge properties')`, [
      organizationId,
    ]);
    await db.query(
      `INSERT INTO clinicians (id, organization_id, name, email) VALUES ($1, $2, 'Dr. Merge', 'merge@clinic.example')`,
      [clinicianId, organizationId],
    );
    for (const [i, id] of patientIds.entries()) {
      await db.query(
        `INSERT INTO patients (id, organization_id, external_ref, timezone, clinician_id) VALUES ($1, $2, $3, 'UTC', $4)`,
        [id, organizationId, `merge-${i}`, clinicianId],
      );
    }
    const twin = SOURCES.map((key) => `twin-${key}`);
    await db.query(
      `INSERT INTO activity_sources (organization_id, patient_id, source_key, name, device)
       SELECT $1, p, k, split_part(k, '|', 1), nullif(split_part(k, '|', 2), '')
       FROM unnest($2::uuid[]) p, unnest($3::text[]) k`,
      [organizationId, patientIds, [...SOURCES, ...twin]],
    );
  });
  afterAll(async () => {
    await db.query('DELETE FROM organizations WHERE id = $1', [organizationId]);
    await db.end();
  });

  /**
   * Rolls up each list of samples as one patient's data (in `zone`) and answers each patient's
   * days, inside a transaction that is then rolled back.
   */
  async function rollUp(zone: string, first: string, ...patients: Sample[][]): Promise<Days[]> {
    const days = Array.from({ length: WINDOW_DAYS + 2 }, (_, i) => addDays(first, i - 1));
    const ids = patientIds.slice(0, patients.length);
    const rows = patients.flatMap((samples, i) =>
      samples.map((s) => ({ ...s, patientId: ids[i] })),
    );
    await db.query('BEGIN');
    try {
      await db.query('UPDATE patients SET timezone = $2 WHERE id = ANY($1)', [ids, zone]);
      await db.query(
        `INSERT INTO activity_samples (organization_id, patient_id, source_key, start_at, end_at, steps, granularity)
         SELECT $1, p, k, to_timestamp(s / 1000.0), to_timestamp(e / 1000.0), n, g
         FROM unnest($2::uuid[], $3::text[], $4::float8[], $5::float8[], $6::int[], $7::text[]) AS t(p, k, s, e, n, g)`,
        [
          organizationId,
          rows.map((s) => s.patientId),
          rows.map((s) => s.source),
          rows.map((s) => s.start),
          rows.map((s) => s.end),
          rows.map((s) => s.steps),
          rows.map((s) => s.granularity),
        ],
      );
      for (const patientId of ids) {
        // Prepared once: the same statement, planned once instead of 5,000 times.
        await db.query({
          name: 'rollup',
          text: ACTIVITY_ROLLUP_SQL,
          values: rollupParams(organizationId, patientId, days),
        });
      }
      const { rows: daily } = await db.query<{
        patientId: string;
        date: string;
        steps: number;
        sources: Days[string]['sources'];
      }>(
        `SELECT patient_id AS "patientId", local_date::text AS date, steps, sources
         FROM activity_daily WHERE patient_id = ANY($1)`,
        [ids],
      );
      return ids.map((id) =>
        Object.fromEntries(
          daily
            .filter((r) => r.patientId === id)
            .map((r) => [r.date, { steps: r.steps, sources: r.sources }]),
        ),
      );
    } finally {
      await db.query('ROLLBACK');
    }
  }

  const stepsOf = (days: Days) =>
    Object.fromEntries(Object.entries(days).map(([date, day]) => [date, day.steps]));

  it('(a) cutting a sample of any source into pieces at any instants changes no day', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenarioArb().filter((s) =>
          s.samples.some((x) => x.granularity === 'interval' && x.steps > 1),
        ),
        fc.nat(),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }),
        async ({ zone, first, samples }, pick, fractions) => {
          const cuttable = samples.filter((x) => x.granularity === 'interval' && x.steps > 1);
          const target = cuttable[pick % cuttable.length];
          const atSteps = fractions.map((f) =>
            Math.min(target.steps - 1, 1 + Math.floor(f * (target.steps - 1))),
          );
          const pieces = cut(target, atSteps);
          const rest = samples.filter((x) => x !== target);
          const split = uniqueByKey([...rest, ...pieces]);
          fc.pre(split.length === rest.length + pieces.length);
          const [whole, cutUp] = await rollUp(zone, first, samples, shuffled(split, pick));
          expect(stepsOf(cutUp)).toEqual(stepsOf(whole));
        },
      ),
      params,
    );
  });

  it('(b) adding a second source identical to the first changes no day', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb(), async ({ zone, first, samples }) => {
        const original = samples[0]?.source ?? SOURCES[0];
        const copy = samples
          .filter((s) => s.source === original)
          .map((s) => ({ ...s, source: `twin-${original}` }));
        const [alone, twinned] = await rollUp(zone, first, samples, [...samples, ...copy]);
        expect(stepsOf(twinned)).toEqual(stepsOf(alone));
      }),
      params,
    );
  });

  it('(c) a merged day is at least the largest source’s day and at most the sum of the sources', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb(), async ({ zone, first, samples }) => {
        // Each source's own days come from rolling that source up alone.
        const [merged, ...alone] = await rollUp(
          zone,
          first,
          samples,
          ...SOURCES.map((key) => samples.filter((s) => s.source === key)),
        );
        const dates = new Set([...Object.keys(merged), ...alone.flatMap((d) => Object.keys(d))]);
        for (const date of dates) {
          const own = alone.map((days) => days[date]?.steps ?? 0);
          const day = merged[date]?.steps ?? 0;
          expect(day).toBeGreaterThanOrEqual(Math.max(...own));
          expect(day).toBeLessThanOrEqual(own.reduce((a, b) => a + b, 0));
        }
      }),
      params,
    );
  });

  it('(d) a day with one source is that source’s sum', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb([SOURCES[0]]), async ({ zone, first, samples }) => {
        // Samples within one local day each, so that the sum per day is plain arithmetic.
        const within = samples.filter(
          (s) =>
            s.granularity !== 'day' &&
            localDateOf(new Date(s.start), zone) ===
              localDateOf(new Date(Math.max(s.start, s.end - 1)), zone),
        );
        const expected: Record<string, number> = {};
        for (const s of within) {
          const date = localDateOf(new Date(s.start), zone);
          expected[date] = (expected[date] ?? 0) + s.steps;
        }
        const [days] = await rollUp(zone, first, shuffled(within, within.length));
        expect(stepsOf(days)).toEqual(expected);
      }),
      params,
    );
  });

  it('(e) the days of a sample crossing local midnight add up to it, each in proportion to its hours', async () => {
    const crossing = fc.constantFrom(...ZONES).chain(({ zone, first }) => {
      const midnights = Array.from({ length: WINDOW_DAYS - 1 }, (_, i) =>
        localDayBounds(addDays(first, i + 1), zone).start.getTime(),
      );
      return fc
        .record({
          midnight: fc.constantFrom(...midnights),
          before: fc.integer({ min: 1, max: 26 * 3_600_000 }),
          after: fc.integer({ min: 1, max: 22 * 3_600_000 }),
          steps: fc.integer({ min: 0, max: 100_000 }),
        })
        .map(({ midnight, before, after, steps }) => ({
          zone,
          first,
          sample: {
            source: SOURCES[1],
            start: midnight - before,
            end: midnight + after,
            steps: Math.min(steps, Math.floor((before + after) / 10)),
            granularity: 'interval' as const,
          },
        }));
    });
    await fc.assert(
      fc.asyncProperty(crossing, async ({ zone, first, sample }) => {
        const [days] = await rollUp(zone, first, [sample]);
        const total = Object.values(days).reduce((sum, day) => sum + day.steps, 0);
        expect(total).toBe(sample.steps);
        for (const [date, day] of Object.entries(days)) {
          const { start, end } = localDayBounds(date, zone);
          const overlap =
            Math.min(end.getTime(), sample.end) - Math.max(start.getTime(), sample.start);
          const share = (sample.steps * overlap) / (sample.end - sample.start);
          expect(Math.abs(day.steps - share)).toBeLessThan(1);
        }
      }),
      params,
    );
  });
});
