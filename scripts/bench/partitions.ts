// Partitioned samples benchmark (issue: beyond one machine). `npm run bench -- partitions`.
// The same service, the same data, two databases side by side: activity_samples partitioned by
// month (as migrated), and the same table unpartitioned (same columns, keys and indexes). Ingest
// and a full adherence recompute are measured on each in alternating pairs within one run.
import { loadConfig } from '@app/config';
import { queueKeyPrefix } from '@app/queue';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { allCompleted, nativeBodies, postAll } from './ingest';
import {
  api,
  dropDatabase,
  flushQueue,
  fmt,
  percentile,
  seedClinic,
  type BenchApi,
  type Clinic,
  type Service,
  startBenchApi,
  startService,
  waitFor,
} from './harness';

export interface PartitionsOptions {
  /** Patients per database, each with a program: the full recompute computes them all. */
  patients: number;
  /** Of them, the patients with samples; each ingest run writes into its own share. */
  ingestPatients: number;
  /** Days of samples per patient, ending today (over several monthly partitions). */
  days: number;
  /** Minutes between a patient's samples (each one minute long). */
  everyMinutes: number;
  runs: number;
  /** Full recomputes per side (each of every patient). */
  recomputeRuns: number;
  clients: number;
}

interface Side {
  label: string;
  bench: BenchApi;
  worker: Service;
  db: Client;
  clinic: Clinic;
}

/** One patient's samples: a minute every `everyMinutes`, over `days` days ending now. */
function samplesOf(days: number, everyMinutes: number, offset: number) {
  const end = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
  const count = Math.floor((days * 24 * 60) / everyMinutes);
  return Array.from({ length: count }, (_, i) => {
    const start = end - (count - i) * everyMinutes * 60_000 + (offset % everyMinutes) * 60_000;
    return {
      start: new Date(start).toISOString(),
      end: new Date(start + 60_000).toISOString(),
      steps: 10 + ((i * 31 + offset) % 90),
    };
  });
}

/** The samples table of `databaseUrl` made a plain table with the same keys and indexes. */
async function unpartition(databaseUrl: string): Promise<void> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query('BEGIN');
    await db.query(`ALTER TABLE activity_samples RENAME TO activity_samples_partitioned`);
    await db.query(
      `ALTER TABLE activity_samples_partitioned RENAME CONSTRAINT activity_samples_pkey TO activity_samples_partitioned_pkey`,
    );
    await db.query(
      `ALTER INDEX activity_samples_record_idx RENAME TO activity_samples_partitioned_record_idx`,
    );
    await db.query(
      `CREATE TABLE activity_samples (LIKE activity_samples_partitioned INCLUDING ALL)`,
    );
    await db.query(
      `ALTER TABLE activity_samples ADD FOREIGN KEY (organization_id, patient_id)
         REFERENCES patients (organization_id, id) ON DELETE CASCADE`,
    );
    await db.query(`DROP TABLE activity_samples_partitioned`);
    await db.query('COMMIT');
    const { rows } = await db.query<{ kind: string }>(
      `SELECT relkind AS kind FROM pg_class WHERE relname = 'activity_samples'`,
    );
    if (rows[0].kind !== 'r') throw new Error('activity_samples is still partitioned');
  } finally {
    await db.end();
  }
}

async function startSide(label: string, prefix: string, database: string, patients: number) {
  const bench = await startBenchApi(prefix, undefined, database);
  if (label === 'unpartitioned') await unpartition(bench.databaseUrl);
  const worker = startService('worker', bench.env);
  const db = new Client({ connectionString: bench.databaseUrl });
  await db.connect();
  const clinic = await seedClinic(bench.base, patients, 'UTC');
  const { rows } = await db.query<{ relkind: string }>(
    `SELECT relkind FROM pg_class WHERE relname = 'activity_samples'`,
  );
  process.stdout.write(`${label}: activity_samples relkind ${rows[0].relkind}\n`);
  // Programs, so that the full recompute computes every patient.
  const clinicianKey = await api<{ key: string }>(bench.base, '/v1/api-keys', {
    method: 'POST',
    key: clinic.adminKey,
    body: JSON.stringify({ name: 'bench', role: 'clinician', clinicianId: clinic.clinicianId }),
  });
  const startDate = new Date(Date.now() - 120 * 86_400_000).toISOString().slice(0, 10);
  for (const id of clinic.patientIds) {
    await api(bench.base, `/v1/patients/${id}/programs`, {
      method: 'POST',
      key: clinicianKey.key,
      body: JSON.stringify({
        startDate,
        items: [{ exerciseCode: 'prone_press_up', timesPerDay: 2 }],
        walkingGoal: { dailySteps: 4000 },
      }),
    });
  }
  return { label, bench, worker, db, clinic } satisfies Side;
}

/** Posts every patient's samples of `share` and waits until imported and rolled up. */
async function ingest(side: Side, share: string[], opts: PartitionsOptions): Promise<number> {
  const started = performance.now();
  const ids: string[] = [];
  await Promise.all(
    share.map(async (patient, i) => {
      const bodies = nativeBodies(samplesOf(opts.days, opts.everyMinutes, i), 1000);
      const posted = await postAll(
        side.bench.base,
        side.clinic.appKey,
        patient,
        bodies,
        Math.max(1, Math.floor(opts.clients / share.length)),
      );
      ids.push(...posted.ids);
    }),
  );
  await allCompleted(side.db, ids, 1_800_000);
  await waitFor(
    async () => {
      const { rows } = await side.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM activity_dirty_days',
      );
      return rows[0].n === 0;
    },
    1_800_000,
    'days rolled up',
  );
  return (performance.now() - started) / 1000;
}

/** Queues a full recompute of every patient and waits for it: its seconds. */
async function recompute(side: Side): Promise<number> {
  // The current hour's full period, again each run (docs/adherence.md, "Force a recompute").
  const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
  const period = `full-${hour.toISOString().slice(0, 13)}`;
  await side.db.query('DELETE FROM adherence_periods WHERE period = $1', [period]);
  const redis = new IORedis(loadConfig().REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('adherence', {
    connection: redis,
    prefix: queueKeyPrefix(side.bench.env.QUEUE_PREFIX, 'adherence'),
  });
  const started = performance.now();
  await queue.add('adherence.period', { period }, { jobId: `bench-${period}-${Date.now()}` });
  // Polled every 10 ms: the period's own timestamps are its transactions' starts, which leave
  // out the last chunk's work.
  const deadline = Date.now() + 1_800_000;
  for (;;) {
    const { rows } = await side.db.query<{ done: boolean }>(
      `SELECT completed_at IS NOT NULL AS done FROM adherence_periods WHERE period = $1`,
      [period],
    );
    if (rows[0]?.done) break;
    if (Date.now() > deadline) throw new Error(`period ${period} not done in 30 minutes`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const seconds = (performance.now() - started) / 1000;
  await queue.close();
  redis.disconnect();
  return seconds;
}

export async function benchPartitions(opts: PartitionsOptions): Promise<string> {
  const sides: Side[] = [];
  try {
    sides.push(
      await startSide('partitioned', 'sct-bench-part', 'sciatrack_bench', opts.patients),
      await startSide('unpartitioned', 'sct-bench-unpart', 'sciatrack_bench_plain', opts.patients),
    );
    const perRun = Math.floor(opts.ingestPatients / opts.runs);
    const ingestSeconds: Record<string, number[]> = { partitioned: [], unpartitioned: [] };
    const recomputeSeconds: Record<string, number[]> = { partitioned: [], unpartitioned: [] };
    for (let r = 0; r < opts.runs; r++) {
      // Alternating which side goes first, so that a drift of the machine's speed favours neither.
      const order = r % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        const share = side.clinic.patientIds.slice(r * perRun, (r + 1) * perRun);
        const seconds = await ingest(side, share, opts);
        ingestSeconds[side.label].push(seconds);
        process.stdout.write(`run ${r + 1} ${side.label}: ingest ${fmt(seconds, 2)} s\n`);
      }
    }
    for (let r = 0; r < opts.recomputeRuns; r++) {
      const order = r % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        const seconds = await recompute(side);
        recomputeSeconds[side.label].push(seconds);
        process.stdout.write(`run ${r + 1} ${side.label}: recompute ${fmt(seconds, 2)} s\n`);
      }
    }
    const counts: Record<string, { samples: number; partitions: number }> = {};
    for (const side of sides) {
      const { rows } = await side.db.query<{ samples: number; partitions: number }>(
        `SELECT (SELECT count(*)::int FROM activity_samples) AS samples,
                (SELECT count(*)::int FROM pg_inherits WHERE inhparent = 'activity_samples'::regclass) AS partitions`,
      );
      counts[side.label] = rows[0];
    }
    if (counts.partitioned.samples !== counts.unpartitioned.samples)
      throw new Error(`the sides stored different samples: ${JSON.stringify(counts)}`);
    const median = (label: string, of: Record<string, number[]>) => percentile(of[label], 50);
    const samples = counts.partitioned.samples;
    const row = (what: string, of: Record<string, number[]>, rate?: number) => {
      const p = median('partitioned', of);
      const u = median('unpartitioned', of);
      const per = (s: number) => (rate ? `${fmt(rate / s)} rows/s, ` : '');
      return `| ${what} | ${per(u)}${fmt(u, 2)} s (runs: ${of.unpartitioned.map((s) => fmt(s, 2)).join(', ')}) | ${per(p)}${fmt(p, 2)} s (runs: ${of.partitioned.map((s) => fmt(s, 2)).join(', ')}) | **${fmt((u / p) * 100)} %** |`;
    };
    return [
      `${fmt(samples)} samples per side (${opts.ingestPatients} patients, ${opts.days} days each, a one-minute sample every ${opts.everyMinutes} minutes, ${counts.partitioned.partitions} partitions); ${opts.runs} alternating ingest runs and ${opts.recomputeRuns} alternating recomputes per side, medians.`,
      '',
      `| measure | baseline: unpartitioned \`activity_samples\` (same keys and indexes) | partitioned by month | unpartitioned ÷ partitioned time (≥ 100 %: partitioned no slower) |`,
      `|---|---|---|---|`,
      row(
        `ingest: native imports of 1,000 samples, ${opts.clients} concurrent clients, ${perRun} patients per run, until imported and rolled up`,
        ingestSeconds,
        samples / opts.runs,
      ),
      row(
        `full adherence recompute of the ${opts.patients} patients (\`full-\` period; from queuing it until its row says completed, polled every 10 ms)`,
        recomputeSeconds,
      ),
    ].join('\n');
  } finally {
    for (const side of sides) {
      await side.db.end();
      await side.worker.stop();
      await side.bench.api.stop();
      await dropDatabase(side.bench.databaseUrl);
      await flushQueue(side.bench.env.QUEUE_PREFIX);
    }
  }
}
