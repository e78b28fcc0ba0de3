// FHIR Bulk Data export benchmark (issue 19). Run with `npm run bench -- fhir-export`.
//
// An organization of `patients` patients with `days` days of daily steps each, a program of
// three exercises and a walking goal, two pain reports a week, a session every other day and an
// ODI, generated in SQL. The real API takes the kick-off (`Patient/$export`, every type), the
// real worker writes the files; the clock runs from the kick-off to the manifest, and the
// worker's peak RSS (VmHWM) is read from /proc. Baseline, in the same run: PostgreSQL itself
// writing the same rows as JSON lines with `psql \copy (SELECT row_to_json(…)) TO file`, the
// fastest dump of the same data with no FHIR mapping at all.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import {
  api,
  BENCH_ADMIN_TOKEN,
  cpuReading,
  cpuSpent,
  dropDatabase,
  flushQueue,
  fmt,
  type Service,
  startBenchApi,
  startService,
  waitFor,
} from './harness';

export interface FhirExportOptions {
  patients: number;
  days: number;
  targetSeconds: number;
  targetRssMb: number;
}

const PREFIX = 'sct-bench-fhir';
const run = promisify(execFile);

/** The tables the export reads, as `psql \copy` dumps them (one JSON line per row). */
const BASELINE_TABLES = [
  'patients',
  'programs',
  'program_items',
  'activity_daily',
  'pain_reports',
  'questionnaires',
  'sessions',
  'findings',
  'alerts',
];

export async function benchFhirExport(opts: FhirExportOptions): Promise<string> {
  const { databaseUrl, env, base, api: apiService } = await startBenchApi(PREFIX);
  let worker: Service | null = null;
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const dir = mkdtempSync(join(tmpdir(), 'sct-fhir-bench-'));
  try {
    const org = await api<{ id: string; adminKey: string }>(base, '/v1/admin/organizations', {
      method: 'POST',
      key: BENCH_ADMIN_TOKEN,
      body: JSON.stringify({ name: 'Export clinic' }),
    });
    const clinician = await api<{ id: string }>(base, '/v1/clinicians', {
      method: 'POST',
      key: org.adminKey,
      body: JSON.stringify({ name: 'Dr Export', email: `x-${Date.now()}@bench.example` }),
    });
    const generateStart = performance.now();
    await db.query(
      `INSERT INTO patients (organization_id, external_ref, timezone, clinician_id)
       SELECT $1, 'FX-' || g, (ARRAY['Europe/Paris','America/New_York','Asia/Tokyo','UTC'])[1 + g % 4], $2
       FROM generate_series(1, $3) g`,
      [org.id, clinician.id, opts.patients],
    );
    await db.query(
      `INSERT INTO programs (organization_id, patient_id, version, start_date, walking_goal_daily_steps)
       SELECT organization_id, id, 1, current_date - $2::int, 4000 FROM patients WHERE organization_id = $1`,
      [org.id, opts.days],
    );
    await db.query(
      `INSERT INTO program_items (organization_id, program_id, position, exercise_code, reps, hold_seconds, times_per_day)
       SELECT pr.organization_id, pr.id, i.position, i.code, 10, i.hold, 6
       FROM programs pr CROSS JOIN (VALUES (0, 'prone_press_up', 5), (1, 'bird_dog', 5), (2, 'glute_bridge', 5)) i(position, code, hold)
       WHERE pr.organization_id = $1`,
      [org.id],
    );
    await db.query(
      `INSERT INTO activity_daily (organization_id, patient_id, local_date, steps, active_minutes, manual_steps, sample_count, sources, updated_at)
       SELECT p.organization_id, p.id, current_date - d, 2000 + abs(hashtext(p.id::text || d)) % 6000, 30, 0, 96, '[]'::jsonb, now()
       FROM patients p CROSS JOIN generate_series(1, $2) d WHERE p.organization_id = $1`,
      [org.id, opts.days],
    );
    await db.query(
      `INSERT INTO pain_reports (id, organization_id, patient_id, client_ref, request_hash, reported_at, local_date,
                                 intensity, most_distal_site, side, context)
       SELECT gen_random_uuid(), p.organization_id, p.id, 'fx-' || d, '\\x00', (current_date - d) + time '08:00',
              current_date - d, abs(hashtext(p.id::text || d)) % 8, (ARRAY['low_back','buttock','thigh'])[1 + d % 3],
              'left', 'baseline'
       FROM patients p CROSS JOIN generate_series(1, $2, 3) d WHERE p.organization_id = $1`,
      [org.id, opts.days],
    );
    await db.query(
      `INSERT INTO sessions (organization_id, patient_id, client_ref, request_hash, performed_at, local_date, items)
       SELECT p.organization_id, p.id, 'fx-' || d, '\\x00', (current_date - d) + time '09:00', current_date - d,
              '[{"exerciseCode":"prone_press_up","reps":10,"holdSeconds":5},{"exerciseCode":"bird_dog","reps":10}]'::jsonb
       FROM patients p CROSS JOIN generate_series(1, $2, 2) d WHERE p.organization_id = $1`,
      [org.id, opts.days],
    );
    await db.query(
      `INSERT INTO questionnaires (id, organization_id, patient_id, instrument, completed_at, local_date, answers, score)
       SELECT gen_random_uuid(), organization_id, id, 'odi', now() - interval '3 days', current_date - 3,
              '{"sections":[2,1,2,3,1,null,2,0,1,2]}', '{"score":31,"answered":9}'
       FROM patients WHERE organization_id = $1`,
      [org.id],
    );
    await db.query('ANALYZE');
    const generated = (performance.now() - generateStart) / 1000;
    const counts = (
      await db.query<{ table: string; n: number }>(
        `SELECT 'steps' AS table, count(*)::int AS n FROM activity_daily WHERE organization_id = $1
         UNION ALL SELECT 'pain', count(*)::int FROM pain_reports WHERE organization_id = $1
         UNION ALL SELECT 'sessions', count(*)::int FROM sessions WHERE organization_id = $1`,
        [org.id],
      )
    ).rows;

    // Baseline: the same rows as JSON lines, written by PostgreSQL itself (psql \copy).
    const baselineStart = performance.now();
    let baselineBytes = 0;
    for (const table of BASELINE_TABLES) {
      const file = join(dir, `${table}.ndjson`);
      await run('psql', [
        databaseUrl,
        '-X',
        '-q',
        '-c',
        `\\copy (SELECT row_to_json(t) FROM ${table} t WHERE organization_id = '${org.id}') TO '${file}'`,
      ]);
      baselineBytes += statSync(file).size;
    }
    const baselineSeconds = (performance.now() - baselineStart) / 1000;

    worker = startService('worker', env);
    // Let it boot and settle (its queues open), so that the clock measures the export only.
    await new Promise((r) => setTimeout(r, 4000));
    const rssBefore = worker.peakRss();
    const services = { api: apiService, worker };
    const cpuBefore = cpuReading(services);
    const kickOffStart = performance.now();
    const kick = await fetch(`${base}/fhir/R4/Patient/$export`, {
      headers: {
        Authorization: `Bearer ${org.adminKey}`,
        Accept: 'application/fhir+json',
        Prefer: 'respond-async',
      },
    });
    if (kick.status !== 202) throw new Error(`kick-off answered ${kick.status}`);
    const statusUrl = kick.headers.get('content-location')!;
    const manifest = await waitFor(
      async () => {
        const r = await fetch(statusUrl, { headers: { Authorization: `Bearer ${org.adminKey}` } });
        if (r.status === 202) return null;
        if (r.status !== 200) throw new Error(`status answered ${r.status}`);
        return (await r.json()) as { output: { type: string; url: string; count: number }[] };
      },
      600_000,
      'export complete',
    );
    const exportSeconds = (performance.now() - kickOffStart) / 1000;
    const cpu = cpuSpent(cpuBefore, cpuReading(services));
    const rssPeak = worker.peakRss();

    // Download every file and count its lines, to check the manifest against the files.
    let bytes = 0;
    const downloadStart = performance.now();
    const lines: Record<string, number> = {};
    for (const file of manifest.output) {
      const r = await fetch(file.url, { headers: { Authorization: `Bearer ${org.adminKey}` } });
      const text = await r.text();
      bytes += Buffer.byteLength(text);
      lines[file.type] = text.split('\n').length - 1;
      if (lines[file.type] !== file.count) {
        throw new Error(`${file.type}: ${lines[file.type]} lines, manifest says ${file.count}`);
      }
    }
    const downloadSeconds = (performance.now() - downloadStart) / 1000;
    const resources = manifest.output.reduce((sum, f) => sum + f.count, 0);
    const mb = (n: number) => n / 2 ** 20;
    const met = exportSeconds < opts.targetSeconds && mb(rssPeak) < opts.targetRssMb;
    const full = opts.patients >= 1000 && opts.days >= 90;
    return [
      `${fmt(opts.patients)} patients × ${opts.days} days in one organization, generated in SQL in ${fmt(generated, 1)} s: ${counts.map((c) => `${fmt(c.n)} ${c.table}`).join(', ')}, a program with a walking goal and an ODI each.`,
      '',
      '| | seconds | resources | MB written | resources/s |',
      '|---|---|---|---|---|',
      `| **export** (kick-off → manifest; the worker maps every row to FHIR R4 and stores NDJSON chunks) | **${fmt(exportSeconds, 1)}** | ${fmt(resources)} | ${fmt(mb(bytes), 1)} | ${fmt(resources / exportSeconds)} |`,
      `| baseline: \`psql \\copy (SELECT row_to_json(t) …) TO file\`, the same tables' rows, no mapping | ${fmt(baselineSeconds, 1)} | — | ${fmt(mb(baselineBytes), 1)} | — |`,
      `| download of every file through the API | ${fmt(downloadSeconds, 1)} | ${fmt(resources)} | ${fmt(mb(bytes), 1)} | ${fmt(resources / downloadSeconds)} |`,
      '',
      `Export / baseline: **${fmt(exportSeconds / baselineSeconds, 1)}×** the time of PostgreSQL's own JSON dump. Files: ${manifest.output.map((f) => `${f.type} ${fmt(f.count)}`).join(', ')} (each file's lines = the manifest's count).`,
      `CPU seconds during the export: ${Object.entries(cpu)
        .map(([group, seconds]) => `${group} ${fmt(seconds, 1)}`)
        .join(', ')}.`,
      `Worker peak RSS (VmHWM): ${fmt(mb(rssBefore))} MB before the kick-off, **${fmt(mb(rssPeak))} MB** at the end (its heap capped as \`npm run start:worker\` caps it).`,
      '',
      '| target (issue 19) | measured | status |',
      '|---|---|---|',
      `| 1,000 patients × 90 days in < ${opts.targetSeconds} s, worker < ${opts.targetRssMb} MB RSS | ${fmt(exportSeconds, 1)} s, ${fmt(mb(rssPeak))} MB | ${full ? (met ? 'met' : '**not met**') : 'not measured at full size (BENCH_QUICK)'} |`,
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await db.end();
    await worker?.stop();
    await apiService.stop();
    await dropDatabase(databaseUrl);
    await flushQueue(PREFIX);
  }
}
