// Adherence benchmark (issue: adherence, flags and dashboards). Run with `npm run bench -- adherence`.
//
// A synthetic population generated set-based in SQL (patients, programs, sessions and daily
// steps over `days` days), then: the full recompute through the real worker (a `full-` period,
// chunk jobs, set-based SQL); the same computation as a per-patient loop (one transaction per
// patient, as a naive job would) on a sample, extrapolated; and the dashboard endpoint's
// latency for one organization, through the real API.
import { AdherenceComputeService, WorklistComputeService } from '@app/adherence';
import { loadConfig } from '@app/config';
import { addDays, evaluationDay } from '@app/domain';
import {
  AdherenceInputsRepository,
  AdherenceRepository,
  Db,
  ReadReplica,
  dataSourceOptions,
  RtmRepository,
  WorklistRepository,
} from '@app/persistence';
import { Queue } from 'bullmq';
import { queueKeyPrefix } from '@app/queue';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import {
  startBenchApi,
  api,
  benchDatabaseUrl,
  dropDatabase,
  flushQueue,
  withAdmin,
  BENCH_ADMIN_TOKEN,
  cpuReading,
  cpuSpent,
  fmt,
  percentile,
  Service,
  startService,
  waitFor,
} from './harness';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FULL_WEEKS_DAYS, periodOfTick } from '../../apps/worker/src/adherence/adherence-periods';

export interface AdherenceOptions {
  /** Patients in all; `dashboardPatients` of them in the organization the dashboard reads. */
  patients: number;
  dashboardPatients: number;
  days: number;
  /** Patients computed one by one, extrapolated to `patients`. */
  loopPatients: number;
  dashboardRequests: number;
  /** Worker processes (replicas) sharing the queue; on 2 cores, one per core. */
  workers: number;
}

const PREFIX = 'sct-bench-adh';
const ZONES = [
  'Pacific/Auckland',
  'America/Los_Angeles',
  'Europe/Paris',
  'Asia/Kolkata',
  'America/New_York',
];

interface Org {
  id: string;
  adminKey: string;
  clinicianIds: string[];
}

async function seedOrg(base: string, name: string, clinicians: number): Promise<Org> {
  const org = await api<{ id: string; adminKey: string }>(base, '/v1/admin/organizations', {
    method: 'POST',
    key: BENCH_ADMIN_TOKEN,
    body: JSON.stringify({ name }),
  });
  const clinicianIds: string[] = [];
  for (let i = 0; i < clinicians; i++) {
    const c = await api<{ id: string }>(base, '/v1/clinicians', {
      method: 'POST',
      key: org.adminKey,
      body: JSON.stringify({ name: `Clinician ${i}`, email: `c${i}-${Date.now()}@bench.example` }),
    });
    clinicianIds.push(c.id);
  }
  return { id: org.id, adminKey: org.adminKey, clinicianIds };
}

/**
 * Patients spread over five zones (both sides of the date line and a half-hour one), each with
 * a program that started `days` days ago: press-ups 3×/day, a stretch 2×/day, stabilization
 * 2 days a week and a walking goal. Every patient has an adherence profile (how many rounds a
 * day, how often the device is worn), so the figures spread like a real clinic's.
 */
/** Statements side by side on the two cores: each takes one part of the patients. */
const GENERATION_PARTS = 2;

/** Runs `statement` once per part of the patients, each on a connection of its own, together. */
async function inParts(databaseUrl: string, statement: string, params: unknown[]): Promise<void> {
  await Promise.all(
    Array.from({ length: GENERATION_PARTS }, async (_, part) => {
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        await client.query(statement, [...params, GENERATION_PARTS, part]);
      } finally {
        await client.end();
      }
    }),
  );
}

async function generate(
  db: Client,
  databaseUrl: string,
  org: Org,
  count: number,
  days: number,
  today: string,
) {
  const start = addDays(today, -days);
  // The patients of one part (inParts appends $4 the number of parts, $5 the part).
  const part = `abs(hashtext(pa.id::text)) % $4 = $5`;
  await db.query(
    `INSERT INTO patients (organization_id, external_ref, timezone, clinician_id)
     SELECT $1, 'SYN-' || g, ($2::text[])[1 + g % cardinality($2::text[])],
            ($3::uuid[])[1 + g % cardinality($3::uuid[])]
     FROM generate_series(1, $4) g`,
    [org.id, ZONES, org.clinicianIds, count],
  );
  await db.query(
    `INSERT INTO programs (organization_id, patient_id, version, start_date, walking_goal_daily_steps)
     SELECT organization_id, id, 1, $2::date, 3000 + (abs(hashtext(id::text)) % 6) * 1000
     FROM patients WHERE organization_id = $1`,
    [org.id, start],
  );
  await db.query(
    `INSERT INTO program_items (organization_id, program_id, position, exercise_code, sets, reps, hold_seconds, hold_goal_seconds, times_per_day, days_per_week)
     SELECT pr.organization_id, pr.id, i.position, i.code, i.sets, i.reps, i.hold, i.hold_goal, i.times_per_day, i.days_per_week
     FROM programs pr,
          (VALUES (0, 'prone_press_up', 1, 10, 5, 30, 3, NULL),
                  (1, 'knee_to_chest', 1, 3, 20, NULL, 2, NULL),
                  (2, 'bird_dog', 2, 10, NULL, NULL, NULL, 2))
            AS i(position, code, sets, reps, hold, hold_goal, times_per_day, days_per_week)
     WHERE pr.organization_id = $1`,
    [org.id],
  );
  // Rounds per day: 0–3, more for a more adherent patient; a stabilization session on about
  // two days in seven; sessions at 08:00, 12:00, 16:00 and 20:00 local time.
  await inParts(
    databaseUrl,
    `INSERT INTO sessions (organization_id, patient_id, client_ref, request_hash, performed_at, local_date, items)
     SELECT pa.organization_id, pa.id, 'syn-' || d::date || '-' || r, '\\x00',
            (d::date + make_time(8 + 4 * r, 0, 0)) AT TIME ZONE pa.timezone, d::date,
            CASE WHEN r = 3
              THEN '[{"exerciseCode":"bird_dog","sets":2,"reps":10}]'::jsonb
              ELSE '[{"exerciseCode":"prone_press_up","sets":1,"reps":10,"holdSeconds":10},{"exerciseCode":"knee_to_chest","sets":1,"reps":3}]'::jsonb
            END
     FROM patients pa
     CROSS JOIN generate_series($2::date, $3::date, interval '1 day') d
     CROSS JOIN generate_series(0, 3) r
     WHERE pa.organization_id = $1 AND ${part}
       AND CASE WHEN r = 3 THEN random() < 0.3
                ELSE random() < 0.35 + (abs(hashtext(pa.id::text)) % 60) / 100.0 - r * 0.1 END`,
    [org.id, start, addDays(today, -1)],
  );
  await inParts(
    databaseUrl,
    `INSERT INTO activity_daily (organization_id, patient_id, local_date, steps, active_minutes, manual_steps, sample_count, sources)
     SELECT pa.organization_id, pa.id, d::date, (1000 + random() * 8000)::int, (random() * 60)::int, 0, 96, '[]'
     FROM patients pa
     CROSS JOIN generate_series($2::date, $3::date, interval '1 day') d
     WHERE pa.organization_id = $1 AND ${part}
       AND random() < 0.6 + (abs(hashtext(pa.id::text)) % 40) / 100.0`,
    [org.id, start, addDays(today, -1)],
  );
}

async function count(db: Client, table: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0].n;
}

/** A generated population kept as a template database (`BENCH_REUSE_POPULATION=true`). */
interface SavedPopulation {
  template: string;
  patients: number;
  dashboardPatients: number;
  days: number;
  today: string;
  dashboardOrg: Org;
  sessions: number;
  daily: number;
  generatedSeconds: number;
}

function populationFile(size: { patients: number; days: number }): string {
  return join(tmpdir(), `sciatrack-bench-population-${size.patients}-${size.days}.json`);
}

/** The population saved by an earlier run with the same sizes, if its template still exists. */
async function savedPopulation(
  databaseUrl: string,
  opts: AdherenceOptions,
): Promise<SavedPopulation | null> {
  if (!existsSync(populationFile(opts))) return null;
  const saved = JSON.parse(readFileSync(populationFile(opts), 'utf8')) as SavedPopulation;
  if (saved.dashboardPatients !== opts.dashboardPatients) return null;
  const exists = await withAdmin(databaseUrl, async (c) =>
    Boolean(
      (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [saved.template])).rowCount,
    ),
  );
  return exists ? saved : null;
}

/** Keeps the benchmark database as a template (nothing may be connected to it meanwhile). */
async function savePopulation(databaseUrl: string, saved: SavedPopulation): Promise<void> {
  const source = new URL(databaseUrl).pathname.slice(1);
  await withAdmin(databaseUrl, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS "${saved.template}"`);
    await c.query(`CREATE DATABASE "${saved.template}" TEMPLATE "${source}"`);
  });
  writeFileSync(populationFile(saved), JSON.stringify(saved, null, 2));
}

export async function benchAdherence(opts: AdherenceOptions): Promise<string> {
  // Generating 100,000 patients takes 13 minutes or more: BENCH_REUSE_POPULATION=true keeps the
  // generated database as a template and later runs with the same sizes start from a copy.
  const reuse = process.env.BENCH_REUSE_POPULATION === 'true';
  const saved = reuse ? await savedPopulation(benchDatabaseUrl(), opts) : null;
  const bench = await startBenchApi(PREFIX, saved?.template);
  const { databaseUrl, env, base } = bench;
  let apiService = bench.api;
  let db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const redis = new IORedis(loadConfig().REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('adherence', {
    connection: redis,
    prefix: queueKeyPrefix(PREFIX, 'adherence'),
  });
  let workers: Service[] = [];
  const rows: string[][] = [];
  /** Starts the workers and waits for the hourly period each queues at boot to be computed. */
  const startWorkers = async () => {
    const hour = () => periodOfTick(new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000));
    const periods = [hour()];
    workers = Array.from({ length: opts.workers }, () => startService('worker', env));
    await waitFor(
      async () => {
        periods.push(hour());
        return (
          await db.query(
            `SELECT 1 FROM adherence_periods WHERE period = ANY($1) AND completed_at IS NOT NULL`,
            [periods],
          )
        ).rowCount;
      },
      120_000,
      'worker ready',
    );
  };
  try {
    // The workers first, so that their boot-time hourly period runs before the data exists.
    await startWorkers();

    let population: SavedPopulation;
    const now = new Date();
    if (saved) {
      population = saved;
    } else {
      const dashboardOrg = await seedOrg(base, 'Dashboard clinic', 20);
      const otherOrg = await seedOrg(base, 'Other clinics', 50);
      const today = evaluationDay(now, 'UTC');
      const started = Date.now();
      await generate(db, databaseUrl, dashboardOrg, opts.dashboardPatients, opts.days, today);
      await generate(
        db,
        databaseUrl,
        otherOrg,
        opts.patients - opts.dashboardPatients,
        opts.days,
        today,
      );
      await db.query('VACUUM ANALYZE');
      population = {
        template: `sciatrack_bench_population_${opts.patients}`,
        patients: opts.patients,
        dashboardPatients: opts.dashboardPatients,
        days: opts.days,
        today,
        dashboardOrg,
        sessions: await count(db, 'sessions'),
        daily: await count(db, 'activity_daily'),
        generatedSeconds: (Date.now() - started) / 1000,
      };
      if (reuse) {
        await Promise.all([...workers.map((w) => w.stop()), apiService.stop()]);
        await db.end();
        await savePopulation(databaseUrl, population);
        db = new Client({ connectionString: databaseUrl });
        await db.connect();
        apiService = startService('api', env);
        await waitFor(async () => (await fetch(`${base}/health/ready`)).ok, 60_000, 'api ready');
        await startWorkers();
      }
    }
    const { dashboardOrg, today } = population;
    rows.push([
      `synthetic population, generated set-based in SQL`,
      `${fmt(opts.patients)} patients × ${opts.days} days: ${fmt(population.sessions)} sessions, ${fmt(population.daily)} daily step rows (${fmt(population.generatedSeconds, 0)} s${saved ? `; generated on ${saved.today} and reused` : ''})`,
    ]);

    // Full recompute: every patient, weeks over the last FULL_WEEKS_DAYS days and current flags.
    const period = `full-${now.toISOString().slice(0, 13)}`;
    const services: Record<string, Service> = { api: apiService };
    workers.forEach((w, i) => (services[workers.length > 1 ? `worker ${i + 1}` : 'worker'] = w));
    const cpuBefore = cpuReading(services);
    let started = Date.now();
    await queue.add('adherence.period', { period }, { jobId: `adherence-${period}` });
    const done = await waitFor(
      async () =>
        (
          await db.query<{ chunks: number; patients: number; seconds: number }>(
            `SELECT chunks, patients, extract(epoch FROM completed_at - started_at)::float8 AS seconds
             FROM adherence_periods WHERE period = $1 AND completed_at IS NOT NULL`,
            [period],
          )
        ).rows[0],
      30 * 60_000,
      'full recompute',
    );
    const fullSeconds = (Date.now() - started) / 1000;
    const cpu = cpuSpent(cpuBefore, cpuReading(services));
    const weeks = await count(db, 'adherence_weeks');
    rows.push([
      `full recompute through the worker (${opts.workers} process${opts.workers > 1 ? 'es' : ''}, ${loadConfig().WORKER_CONCURRENCY} jobs at a time each): a \`full-\` period, ${done.chunks} chunk jobs (target < 60 s)`,
      `**${fmt(fullSeconds, 1)} s** for ${fmt(done.patients)} patients, ${fmt(weeks)} patient-weeks written (${fmt(done.patients / fullSeconds)} patients/s)`,
    ]);
    rows.push([
      `CPU seconds during the full recompute (${fmt(fullSeconds * 2, 0)} available on 2 cores)`,
      Object.entries(cpu)
        .map(([name, s]) => `${name} ${fmt(s, 1)}`)
        .join(', '),
    ]);

    // Dashboard: 13 weeks of the 10,000-patient organization, by week and by clinician, once
    // the worker that completed the period has vacuumed the results (index-only scans need the
    // pages it marks all-visible).
    const vacuumSeconds = await waitFor(
      async () =>
        (
          await db.query<{ seconds: number }>(
            `SELECT extract(epoch FROM max(t.last_vacuum) - p.completed_at)::float8 AS seconds
             FROM pg_stat_user_tables t, adherence_periods p
             WHERE p.period = $1 AND t.relname IN ('adherence_weeks', 'patient_progress')
             GROUP BY p.completed_at
             HAVING count(*) FILTER (WHERE t.last_vacuum >= p.completed_at) = 2`,
            [period],
          )
        ).rows[0],
      5 * 60_000,
      "the worker's VACUUM",
    );
    rows.push([
      `then the worker's \`VACUUM (ANALYZE)\` of adherence_weeks and patient_progress`,
      `done ${fmt(vacuumSeconds.seconds, 1)} s after the period completed`,
    ]);
    const to = addDays(today, -1);
    const from = addDays(to, -7 * 13 + 1);
    for (const groupBy of ['week', 'clinician'] as const) {
      const path = `/v1/dashboard/adherence?groupBy=${groupBy}&from=${from}&to=${to}`;
      for (let i = 0; i < 10; i++) await api(base, path, { key: dashboardOrg.adminKey });
      const latencies: number[] = [];
      for (let i = 0; i < opts.dashboardRequests; i++) {
        const t0 = process.hrtime.bigint();
        await api(base, path, { key: dashboardOrg.adminKey });
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      rows.push([
        `dashboard \`GET /v1/dashboard/adherence?groupBy=${groupBy}\`, 13 weeks of ${fmt(opts.dashboardPatients)} patients, ${opts.dashboardRequests} sequential requests: p50 / p95 (target p95 < 50 ms)`,
        `${fmt(percentile(latencies, 50), 1)} ms / **${fmt(percentile(latencies, 95), 1)} ms**`,
      ]);
    }

    // The per-patient loop: the same computation, one patient per transaction, on a sample of
    // patients whose stored results were removed first (so it writes what the full run wrote).
    await Promise.all(workers.map((w) => w.stop()));
    workers = [];
    await db.query('TRUNCATE adherence_weeks, patient_progress');
    await db.query('VACUUM ANALYZE adherence_weeks, patient_progress');
    const sample = (
      await db.query<{ organization_id: string; id: string }>(
        `SELECT organization_id, id FROM patients ORDER BY hashtext(id::text) LIMIT $1`,
        [opts.loopPatients],
      )
    ).rows.map((p) => ({ organizationId: p.organization_id, patientId: p.id }));
    const dataSource = await new DataSource({
      // As the services run: the runtime role.
      ...dataSourceOptions({ ...loadConfig(), DATABASE_URL: env.DATABASE_URL }),
      migrationsRun: false,
    }).initialize();
    try {
      const tx = new Db(dataSource, new ReadReplica(loadConfig(), dataSource));
      const compute = new AdherenceComputeService(
        new AdherenceRepository(tx),
        new AdherenceInputsRepository(tx),
        new WorklistComputeService(
          tx,
          new WorklistRepository(tx),
          new RtmRepository(tx),
          new AdherenceRepository(tx),
        ),
      );
      const at = new Date(`${now.toISOString().slice(0, 13)}:00:00Z`);
      const weeksFrom = addDays(evaluationDay(at, 'UTC'), -FULL_WEEKS_DAYS - 1);
      started = Date.now();
      for (const patient of sample) {
        await tx.transaction(() => compute.compute([patient], at, { weeksFrom }));
      }
      const loopSeconds = (Date.now() - started) / 1000;
      const extrapolated = (loopSeconds * opts.patients) / sample.length;
      rows.push([
        `per-patient loop (one transaction per patient, same code) on ${fmt(sample.length)} patients, extrapolated to ${fmt(opts.patients)}`,
        `${fmt(loopSeconds, 1)} s → ${fmt(extrapolated, 0)} s (${fmt(sample.length / loopSeconds)} patients/s)`,
      ]);
      rows.push([
        `per-patient loop ÷ full recompute (target ≥ 10×)`,
        `**${fmt(extrapolated / fullSeconds, 1)}×**`,
      ]);
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await apiService.stop();
    await queue.close();
    redis.disconnect();
    await db.end();
    await dropDatabase(databaseUrl);
    await flushQueue(PREFIX);
  }
  return ['| measure | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join(
    '\n',
  );
}
