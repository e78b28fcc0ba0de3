// Ingest benchmark (issue: wearable imports). Run with `npm run bench` (or `npm run bench -- ingest`).
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { once } from 'node:events';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import {
  benchRuntimeUrl,
  startBenchApi,
  cpuReading,
  cpuSpent,
  dropDatabase,
  flushQueue,
  fmt,
  percentile,
  seedClinic,
  Service,
  startService,
  waitFor,
} from './harness';

export interface IngestOptions {
  samples: number;
  batch: number;
  clients: number;
  appleMegabytes: number;
  /** How many baseline + end-to-end pairs are measured; the median pair is reported. */
  runs: number;
}

interface Run {
  /** `psql \copy` of the same rows: the baseline of the target. */
  copySeconds: number;
  /** COPY streamed from this process (pg-copy-streams): the baseline of earlier runs. */
  nodeCopySeconds: number;
  seconds: number;
  cpu: Record<string, number>;
  latencies: number[];
  importPatient: string;
}

interface NativeSample {
  start: string;
  end: string;
  steps: number;
}

const PREFIX = 'sct-bench';

export function makeSamples(count: number, offsetDays: number): NativeSample[] {
  const start = Date.parse('2026-01-01T00:00:00Z') + offsetDays * 86_400_000;
  return Array.from({ length: count }, (_, i) => ({
    start: new Date(start + i * 60_000).toISOString(),
    end: new Date(start + (i + 1) * 60_000).toISOString(),
    steps: 20 + ((i * 37) % 80),
  }));
}

/** The values a native import stores besides the patient and the sample's times and steps. */
interface StoredAs {
  sourceKey: string;
  activeMinutes: number | null;
  activityType: string | null;
  manual: boolean;
  granularity: string;
  importId: string;
}

const COPY_COLUMNS =
  'organization_id, patient_id, source_key, start_at, end_at, steps, active_minutes, activity_type, manual, granularity, import_id';

/** A value in COPY's text format. */
function copyText(value: string | number | boolean | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return String(value).replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

/** The rows a native import of `samples` writes for `patient`, as COPY text lines. */
function copyLines(org: string, patient: string, samples: NativeSample[], as: StoredAs): string[] {
  const tail = [as.activeMinutes, as.activityType, as.manual, as.granularity, as.importId]
    .map(copyText)
    .join('\t');
  const head = [org, patient, as.sourceKey].map(copyText).join('\t');
  return samples.map((s) => `${head}\t${s.start}\t${s.end}\t${s.steps}\t${tail}\n`);
}

/**
 * The baseline: `psql` run as a child process, `\copy` of a file that holds the rows, as the
 * runtime role. The file is written before the clock starts; the time is the psql process's
 * wall time, start-up and connection included.
 */
async function psqlCopy(url: string, lines: string[]): Promise<number> {
  const path = join(tmpdir(), `sciatrack-bench-copy-${process.pid}.tsv`);
  writeFileSync(path, lines.join(''));
  try {
    return await psqlSeconds(url, `\\copy activity_samples (${COPY_COLUMNS}) FROM '${path}'`);
  } finally {
    unlinkSync(path);
  }
}

/** Wall time of `psql -c command` against `url`, which must succeed. */
async function psqlSeconds(url: string, command: string): Promise<number> {
  const started = process.hrtime.bigint();
  const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', command], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`psql exited with ${code}: ${stderr.trim()}`);
  return seconds;
}

/** The same rows COPYed from this process through the driver (the baseline of earlier runs). */
async function nodeCopy(db: Client, lines: string[]): Promise<number> {
  const started = process.hrtime.bigint();
  const stream = db.query(copyFrom(`COPY activity_samples (${COPY_COLUMNS}) FROM STDIN`));
  const source = Readable.from(lines.map((l) => Buffer.from(l)));
  source.pipe(stream);
  await once(stream, 'finish');
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/**
 * What the import stored for `patient` beside times and steps (one combination expected), so
 * that the baseline writes the very same rows; and that it left the newer columns (record id,
 * revision, received at) to their defaults, as the baseline does.
 */
async function storedAs(db: Client, patient: string): Promise<StoredAs> {
  const { rows } = await db.query<StoredAs & { defaults: boolean }>(
    `SELECT source_key AS "sourceKey", active_minutes AS "activeMinutes",
            activity_type AS "activityType", manual, granularity,
            min(import_id::text) AS "importId",
            bool_and(record_id = '' AND revision = 0 AND received_at IS NULL) AS defaults
     FROM activity_samples WHERE patient_id = $1
     GROUP BY source_key, active_minutes, activity_type, manual, granularity`,
    [patient],
  );
  if (rows.length !== 1 || !rows[0].defaults)
    throw new Error(`the warm-up import stored other rows than expected: ${JSON.stringify(rows)}`);
  const { sourceKey, activeMinutes, activityType, manual, granularity, importId } = rows[0];
  return { sourceKey, activeMinutes, activityType, manual, granularity, importId };
}

/** Native import bodies of `batch` samples each, as an app would post them. */
export function nativeBodies(samples: NativeSample[], batch: number): string[] {
  const bodies: string[] = [];
  for (let i = 0; i < samples.length; i += batch) {
    bodies.push(
      JSON.stringify({
        source: { name: 'Bench phone', device: 'Pixel' },
        samples: samples.slice(i, i + batch),
      }),
    );
  }
  return bodies;
}

export async function postAll(
  base: string,
  key: string,
  patient: string,
  bodies: string[],
  clients: number,
): Promise<{ ids: string[]; latencies: number[] }> {
  const ids: string[] = new Array<string>(bodies.length);
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (;;) {
        const i = next++;
        if (i >= bodies.length) return;
        const t0 = performance.now();
        const res = await fetch(`${base}/v1/patients/${patient}/activity-imports?format=native`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
          body: bodies[i],
        });
        const body = (await res.json()) as { id: string };
        latencies.push(performance.now() - t0);
        if (res.status !== 202) throw new Error(`import answered ${res.status}`);
        ids[i] = body.id;
      }
    }),
  );
  return { ids, latencies };
}

export async function allCompleted(db: Client, ids: string[], timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      const { rows } = await db.query<{ done: number; failed: number }>(
        `SELECT count(*) FILTER (WHERE status = 'completed')::int AS done, count(*) FILTER (WHERE status = 'failed')::int AS failed
         FROM activity_imports WHERE id = ANY($1)`,
        [ids],
      );
      if (rows[0].failed > 0) throw new Error(`${rows[0].failed} imports failed`);
      return rows[0].done === ids.length;
    },
    timeoutMs,
    'imports completed',
  );
}

/** Until the worker has rolled up every day the patient's imports marked. */
export async function allRolledUp(db: Client, patient: string, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      const { rows } = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM activity_dirty_days WHERE patient_id = $1',
        [patient],
      );
      return rows[0].n === 0;
    },
    timeoutMs,
    'days rolled up',
  );
}

async function countRows(db: Client, patient: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM activity_samples WHERE patient_id = $1',
    [patient],
  );
  return rows[0].n;
}

function metricSum(text: string, name: string, labels: string): number {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && labels.split(',').every((kv) => l.includes(kv)));
  return line ? Number(line.split(' ').pop()) : NaN;
}

async function writeAppleExport(path: string, megabytes: number): Promise<number> {
  const out = createWriteStream(path);
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await write(
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE HealthData [\n<!ELEMENT HealthData (ExportDate,Me,(Record|Workout)*)>\n]>\n<HealthData locale="en_GB">\n',
  );
  const start = Date.parse('2024-01-01T00:00:00Z');
  const stamp = (ms: number) =>
    new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' +0000';
  let records = 0;
  while (out.bytesWritten + out.writableLength < megabytes * 1024 * 1024) {
    const from = start + records * 60_000;
    await write(
      ` <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Bench iPhone" sourceVersion="17.1" device="&lt;&lt;HKDevice: 0x1&gt;, name:iPhone, manufacturer:Apple Inc., model:iPhone, hardware:iPhone15,2, software:17.1&gt;" unit="count" creationDate="${stamp(from + 60_000)}" startDate="${stamp(from)}" endDate="${stamp(from + 60_000)}" value="${20 + (records % 60)}"/>\n`,
    );
    // Real exports mix in many other types, which the parser skips.
    if (records % 4 === 0) {
      await write(
        ` <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Bench Watch" unit="count/min" creationDate="${stamp(from)}" startDate="${stamp(from)}" endDate="${stamp(from)}" value="72"/>\n`,
      );
    }
    records++;
  }
  await write('</HealthData>\n');
  out.end();
  await once(out, 'finish');
  return records;
}

export async function benchIngest(opts: IngestOptions): Promise<string> {
  const { databaseUrl, env, base, api: apiService } = await startBenchApi(PREFIX);
  let worker: Service = startService('worker', env);
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const clinic = await seedClinic(base, 4 + 3 * opts.runs);
    const [applePatient, warmPatient, warmCopyPatient, warmNodePatient, ...runPatients] =
      clinic.patientIds;
    const { rows } = await db.query<{ organization_id: string }>(
      'SELECT organization_id FROM patients WHERE id = $1',
      [applePatient],
    );
    const org = rows[0].organization_id;
    // psql connects as the runtime role, the role the worker's inserts run as (see BENCHMARKS.md).
    const copyUrl = benchRuntimeUrl();

    const samples = makeSamples(opts.samples, 0);
    const bodies = nativeBodies(samples, opts.batch);

    // Warm-up, not measured: connection pools fill, V8 compiles the hot paths, caches fill. The
    // first pair of a cold start ran 10–15 points below the others.
    const warmBodies = bodies.slice(0, Math.max(1, Math.floor(bodies.length / 4)));
    const warm = await postAll(base, clinic.appKey, warmPatient, warmBodies, opts.clients);
    await allCompleted(db, warm.ids, 600_000);
    await allRolledUp(db, warmPatient, 600_000);
    // The baselines write exactly what the import wrote: its source key, kind, granularity and
    // an import id, the newer columns left to their defaults.
    const as = await storedAs(db, warmPatient);
    const warmSamples = samples.slice(0, warmBodies.length * opts.batch);
    await psqlCopy(copyUrl, copyLines(org, warmCopyPatient, warmSamples, as));
    await nodeCopy(db, copyLines(org, warmNodePatient, warmSamples, as));
    // psql's own start-up, connection and exit, for scale (included in every baseline time).
    const psqlAlone: number[] = [];
    for (let i = 0; i < 5; i++) psqlAlone.push(await psqlSeconds(copyUrl, 'SELECT 1'));

    // The VM's speed drifts within a run, so the baseline and the end-to-end run are measured
    // in pairs, one right after the other, each pair into fresh patients; the median pair is
    // reported. The node-streamed COPY of earlier runs follows each pair, for comparison.
    const runs: Run[] = [];
    for (let r = 0; r < opts.runs; r++) {
      const [copyPatient, importPatient, nodePatient] = runPatients.slice(3 * r, 3 * r + 3);
      const copyFile = copyLines(org, copyPatient, samples, as);
      // Baseline: the same rows, \copy'd by psql into the samples table (same keys, indexes,
      // constraints, server).
      const copySeconds = await psqlCopy(copyUrl, copyFile);
      // End to end: HTTP → checked and written in the request → rollup job → the worker's
      // rollup of every marked day; the clock stops when no day of the patient waits.
      const services = { api: apiService, worker };
      const cpuBefore = cpuReading(services);
      const started = performance.now();
      const posted = await postAll(base, clinic.appKey, importPatient, bodies, opts.clients);
      await allCompleted(db, posted.ids, 600_000);
      await allRolledUp(db, importPatient, 600_000);
      const seconds = (performance.now() - started) / 1000;
      const cpu = cpuSpent(cpuBefore, cpuReading(services));
      const nodeCopySeconds = await nodeCopy(db, copyLines(org, nodePatient, samples, as));
      for (const patient of [copyPatient, importPatient, nodePatient]) {
        const stored = await countRows(db, patient);
        if (stored !== opts.samples)
          throw new Error(`expected ${opts.samples} rows, found ${stored}`);
      }
      runs.push({
        copySeconds,
        nodeCopySeconds,
        seconds,
        cpu,
        latencies: posted.latencies,
        importPatient,
      });
      process.stdout.write(
        `pair ${r + 1}: psql \\copy ${fmt(copySeconds, 2)} s, end to end ${fmt(seconds, 2)} s (node COPY ${fmt(nodeCopySeconds, 2)} s)\n`,
      );
    }
    const ratio = (run: Run) => run.copySeconds / run.seconds;
    const byRatio = [...runs].sort((a, b) => ratio(a) - ratio(b));
    const nodeCopies = runs.map((run) => run.nodeCopySeconds);
    const nodeRatios = runs.map((run) => run.nodeCopySeconds / run.seconds);
    const median = byRatio[Math.floor((byRatio.length - 1) / 2)];

    // Replay: the median run's imports again, into the same patient.
    const before = await countRows(db, median.importPatient);
    const replayStart = performance.now();
    const replay = await postAll(base, clinic.appKey, median.importPatient, bodies, opts.clients);
    await allCompleted(db, replay.ids, 600_000);
    const replaySeconds = (performance.now() - replayStart) / 1000;
    const added = (await countRows(db, median.importPatient)) - before;

    // The share of request time spent validating, from the API's own histograms.
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const validation = metricSum(
      metrics,
      'sciatrack_import_validation_seconds_sum',
      'format="native"',
    );
    const requests = metricSum(
      metrics,
      'sciatrack_http_request_duration_seconds_sum',
      'method="POST",route="/v1/patients/:id/activity-imports"',
    );
    const rate = (seconds: number) =>
      `${fmt(opts.samples / seconds)} rows/s (${fmt(seconds, 2)} s)`;

    const table = [
      `| measure | value |`,
      `|---|---|`,
      `| **baseline: \`psql \\copy\`** of the same ${fmt(opts.samples)} rows into \`activity_samples\` (psql as a child process, text COPY from a file, connected as the runtime role; psql process wall time, median pair) | ${rate(median.copySeconds)} |`,
      `| end to end: ${bodies.length} native imports of ${fmt(opts.batch)} samples, ${opts.clients} concurrent clients, until every import is completed and its days rolled up (median pair) | ${rate(median.seconds)} |`,
      `| **end to end ÷ \`psql \\copy\`** (target ≥ 60 %), median of ${runs.length} alternating pairs (\`\\copy\` then end to end) | **${fmt(ratio(median) * 100)} %** (pairs in order: ${runs.map((run) => `${fmt(ratio(run) * 100)} % (${fmt(run.copySeconds, 2)} s / ${fmt(run.seconds, 2)} s)`).join(', ')}) |`,
      `| psql alone: start, connect, \`SELECT 1\`, exit (part of every baseline time), median of ${psqlAlone.length} | ${fmt(percentile(psqlAlone, 50) * 1000, 0)} ms |`,
      `| for comparison: the same rows COPYed from the benchmark process through the driver (pg-copy-streams, the baseline of earlier runs), right after each pair; median, and end to end ÷ it | ${rate(percentile(nodeCopies, 50))}; ${fmt(percentile(nodeRatios, 50) * 100)} % (pairs: ${nodeRatios.map((r) => `${fmt(r * 100)} %`).join(', ')}) |`,
      `| CPU seconds during the median end-to-end run (${fmt(median.seconds * cpus().length, 1)} available on ${cpus().length} cores) | ${Object.entries(
        median.cpu,
      )
        .map(([name, seconds]) => `${name} ${fmt(seconds, 1)}`)
        .join(', ')} |`,
      `| POST latency p50 / p99 (median run) | ${fmt(percentile(median.latencies, 50), 1)} ms / ${fmt(percentile(median.latencies, 99), 1)} ms |`,
      `| replay of the same imports: rows added | **${fmt(added)}** |`,
      `| replay time ÷ first run (target ≤ 100 %) | **${fmt((replaySeconds / median.seconds) * 100)} %** (${fmt(replaySeconds, 2)} s) |`,
      `| validation share of the import request time (target < 10 %) | **${fmt((validation / requests) * 100, 1)} %** (${fmt(validation * 1000, 0)} ms of ${fmt(requests * 1000, 0)} ms over ${bodies.length * (runs.length + 1)} requests) |`,
    ];
    if (opts.appleMegabytes === 0) return table.join('\n');

    // Apple Health: a fresh worker, so its peak RSS is this import's alone.
    await worker.stop();
    worker = startService('worker', env);
    const exportPath = join(tmpdir(), `sciatrack-bench-export-${process.pid}.xml`);
    const appleRecords = await writeAppleExport(exportPath, opts.appleMegabytes);
    const exportBytes = statSync(exportPath).size;
    const appleStart = performance.now();
    const upload = await fetch(
      `${base}/v1/patients/${applePatient}/activity-imports?format=apple-health-xml`,
      {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${clinic.appKey}`,
          'Content-Type': 'application/xml',
          'Content-Length': String(exportBytes),
        },
        body: Readable.toWeb(createReadStream(exportPath)) as ReadableStream,
        duplex: 'half',
      },
    );
    const appleImport = (await upload.json()) as { id: string };
    if (upload.status !== 202) throw new Error(`apple upload answered ${upload.status}`);
    const uploadSeconds = (performance.now() - appleStart) / 1000;
    await allCompleted(db, [appleImport.id], 1_800_000);
    const appleSeconds = (performance.now() - appleStart) / 1000;
    const workerPeak = worker.peakRss();
    const apiPeak = apiService.peakRss();
    unlinkSync(exportPath);
    const appleRows = await countRows(db, applePatient);

    const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024)} MB`;
    return [
      ...table,
      `| Apple Health export: ${mb(exportBytes)}, ${fmt(appleRecords)} step records, stored ${fmt(appleRows)} samples | upload ${fmt(uploadSeconds, 1)} s, imported in ${fmt(appleSeconds, 1)} s |`,
      `| worker peak RSS (VmHWM) during that import (target < 300 MB) | **${mb(workerPeak)}** (API: ${mb(apiPeak)}) |`,
    ].join('\n');
  } finally {
    await db.end();
    await worker.stop();
    await apiService.stop();
    await dropDatabase(databaseUrl);
    await flushQueue(PREFIX);
  }
}
