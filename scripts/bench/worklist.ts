// Worklist benchmark (issue 18). Run with `npm run bench -- worklist`.
//
// An organization of `patients` patients generated in SQL (open alerts, paused programs, RTM
// episodes with data days and care time, STarT Back screenings), one clinician with
// `clinicianPatients` of them; the real worker computes every patient's entry (all marked at
// once, as a change of the organization's data-day setting does); then `GET /v1/worklist`
// through the real API, sequential requests, for the clinician and for the admin.
import { evaluationDay } from '@app/domain';
import { Client } from 'pg';
import {
  api,
  BENCH_ADMIN_TOKEN,
  dropDatabase,
  flushQueue,
  fmt,
  percentile,
  type Service,
  startBenchApi,
  startService,
  waitFor,
} from './harness';

export interface WorklistOptions {
  patients: number;
  clinicianPatients: number;
  clinicians: number;
  requests: number;
  targetP95Ms: number;
}

const PREFIX = 'sct-bench-worklist';

async function timed(base: string, path: string, key: string, n: number): Promise<number[]> {
  for (let i = 0; i < 10; i++) await api(base, path, { key });
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await api(base, path, { key });
    ms.push(performance.now() - t0);
  }
  return ms;
}

export async function benchWorklist(opts: WorklistOptions): Promise<string> {
  const { databaseUrl, env, base, api: apiService } = await startBenchApi(PREFIX);
  let worker: Service | null = null;
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const org = await api<{ id: string; adminKey: string }>(base, '/v1/admin/organizations', {
      method: 'POST',
      key: BENCH_ADMIN_TOKEN,
      body: JSON.stringify({ name: 'Worklist clinic' }),
    });
    const clinicianIds: string[] = [];
    for (let i = 0; i < opts.clinicians; i++) {
      const c = await api<{ id: string }>(base, '/v1/clinicians', {
        method: 'POST',
        key: org.adminKey,
        body: JSON.stringify({
          name: `Clinician ${i}`,
          email: `w${i}-${Date.now()}@bench.example`,
        }),
      });
      clinicianIds.push(c.id);
    }
    const clinicianKey = await api<{ key: string }>(base, '/v1/api-keys', {
      method: 'POST',
      key: org.adminKey,
      body: JSON.stringify({ name: 'bench', role: 'clinician', clinicianId: clinicianIds[0] }),
    });
    const today = evaluationDay(new Date(), 'UTC');
    const started = performance.now();
    // The first clinician follows `clinicianPatients`; the others share the rest.
    await db.query(
      `INSERT INTO patients (organization_id, external_ref, timezone, clinician_id, created_at)
       SELECT $1, 'WL-' || g, (ARRAY['Europe/Paris','America/New_York','Asia/Tokyo','UTC'])[1 + g % 4],
              CASE WHEN g <= $3 THEN ($2::uuid[])[1]
                   ELSE ($2::uuid[])[2 + g % (cardinality($2::uuid[]) - 1)] END,
              now() - make_interval(days => g % 30)
       FROM generate_series(1, $4) g`,
      [org.id, clinicianIds, opts.clinicianPatients, opts.patients],
    );
    // 3 % with an urgent red flag, 8 % with a warning (and their program paused), each from a
    // pain report and its finding, as the rules write them.
    await db.query(
      `WITH chosen AS (
         SELECT id, organization_id, CASE WHEN abs(hashtext(id::text)) % 100 < 3 THEN 'urgent' ELSE 'warning' END AS severity
         FROM patients WHERE organization_id = $1 AND abs(hashtext(id::text)) % 100 < 11
       ), reports AS (
         INSERT INTO pain_reports (id, organization_id, patient_id, client_ref, request_hash, reported_at, local_date,
                                   intensity, most_distal_site, side, context)
         SELECT gen_random_uuid(), organization_id, id, 'wl-' || id, '\\x00',
                now() - make_interval(hours => abs(hashtext(id::text)) % 48), current_date, 6, 'calf', 'left', 'baseline'
         FROM chosen RETURNING id, organization_id, patient_id
       ), found AS (
         INSERT INTO findings (id, organization_id, patient_id, rule, severity, action, program_effect, evidence, pain_report_id)
         SELECT gen_random_uuid(), r.organization_id, r.patient_id,
                CASE WHEN c.severity = 'urgent' THEN 'RED_FLAG_SYSTEMIC' ELSE 'PERIPHERALIZATION' END, c.severity,
                CASE WHEN c.severity = 'urgent' THEN 'urgent_medical_care' ELSE 'contact_clinician' END,
                CASE WHEN c.severity = 'warning' THEN 'pause' END, '{}', r.id
         FROM reports r JOIN chosen c ON c.id = r.patient_id RETURNING id, organization_id, patient_id, rule, severity
       )
       , alerted AS (
         INSERT INTO alerts (organization_id, patient_id, rule, severity, finding_id, last_finding_id, created_at)
         SELECT organization_id, patient_id, rule, severity, id, id, now() - make_interval(mins => abs(hashtext(id::text)) % 2000)
         FROM found
       )
       -- The warnings' programs paused, as PERIPHERALIZATION does.
       INSERT INTO programs (organization_id, patient_id, version, start_date, status, status_reason)
       SELECT organization_id, id, 1, current_date - 20, 'paused', 'PERIPHERALIZATION' FROM chosen WHERE severity = 'warning'`,
      [org.id],
    );
    // Half the patients in an RTM episode that began 0–40 days ago, with sessions on about
    // half their days and some care time (a call for a third of them) this month.
    await db.query(
      `INSERT INTO rtm_episodes (id, organization_id, patient_id, start_date)
       SELECT gen_random_uuid(), organization_id, id, $2::date - abs(hashtext(id::text)) % 40
       FROM patients WHERE organization_id = $1 AND abs(hashtext(id::text || 'rtm')) % 2 = 0`,
      [org.id, today],
    );
    await db.query(
      `INSERT INTO sessions (organization_id, patient_id, client_ref, request_hash, performed_at, local_date, items)
       SELECT e.organization_id, e.patient_id, 'wl-' || d::date, '\\x00', d::date + time '09:00', d::date,
              '[{"exerciseCode":"prone_press_up","reps":10}]'::jsonb
       FROM rtm_episodes e CROSS JOIN generate_series(e.start_date, $2::date, interval '1 day') d
       WHERE e.organization_id = $1 AND random() < 0.5`,
      [org.id, today],
    );
    await db.query(
      `INSERT INTO care_time_entries (id, organization_id, patient_id, clinician_id, started_at, local_date, minutes,
                                      interactive, kind)
       SELECT gen_random_uuid(), p.organization_id, p.id, p.clinician_id, date_trunc('month', now()) + interval '9 hours',
              date_trunc('month', now())::date, 5 + abs(hashtext(p.id::text)) % 20,
              abs(hashtext(p.id::text)) % 3 = 0, CASE WHEN abs(hashtext(p.id::text)) % 3 = 0 THEN 'call' ELSE 'data_review' END
       FROM rtm_episodes e JOIN patients p ON p.organization_id = e.organization_id AND p.id = e.patient_id
       WHERE e.organization_id = $1 AND abs(hashtext(p.id::text)) % 4 = 0`,
      [org.id],
    );
    await db.query(
      `INSERT INTO questionnaires (id, organization_id, patient_id, instrument, completed_at, local_date, answers, score)
       SELECT gen_random_uuid(), organization_id, id, 'startback', now() - interval '3 days', current_date - 3, '{}',
              jsonb_build_object('stratum', (ARRAY['low','medium','high'])[1 + abs(hashtext(id::text)) % 3])
       FROM patients WHERE organization_id = $1 AND abs(hashtext(id::text || 'sb')) % 3 = 0`,
      [org.id],
    );
    await db.query('ANALYZE');
    const generated = (performance.now() - started) / 1000;

    // Every patient's entry computed by the real worker: all marked, as a setting change does.
    worker = startService('worker', env);
    const computeStart = performance.now();
    await db.query(
      `INSERT INTO adherence_dirty (organization_id, patient_id) SELECT organization_id, id FROM patients WHERE organization_id = $1`,
      [org.id],
    );
    await waitFor(
      async () => {
        const [{ n }] = (
          await db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM worklist_entries WHERE organization_id = $1`,
            [org.id],
          )
        ).rows;
        const [{ left }] = (
          await db.query<{ left: number }>(`SELECT count(*)::int AS left FROM adherence_dirty`)
        ).rows;
        return n === opts.patients && left === 0;
      },
      600_000,
      'every worklist entry computed',
    );
    const computeSeconds = (performance.now() - computeStart) / 1000;
    await db.query('ANALYZE worklist_entries');
    const bands = (
      await db.query<{ band: number; n: number }>(
        `SELECT band, count(*)::int AS n FROM worklist_entries WHERE organization_id = $1 GROUP BY band ORDER BY band`,
        [org.id],
      )
    ).rows;

    // A deep page: the cursor after walking 400 of the clinician's 500.
    let cursor: string | null = null;
    for (let i = 0; i < 4; i++) {
      const page: { nextCursor: string | null } = await api(
        base,
        `/v1/worklist?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
        { key: clinicianKey.key },
      );
      cursor = page.nextCursor;
    }
    const cases: [string, string, string][] = [
      ['clinician (500 patients), first page of 20', '/v1/worklist', clinicianKey.key],
      ['clinician, page of 100', '/v1/worklist?limit=100', clinicianKey.key],
      [
        'clinician, page of 100 after 400 (cursor)',
        `/v1/worklist?limit=100&cursor=${cursor}`,
        clinicianKey.key,
      ],
      [`admin (${fmt(opts.patients)} patients), first page of 20`, '/v1/worklist', org.adminKey],
      ['admin, page of 100', '/v1/worklist?limit=100', org.adminKey],
    ];
    const rows: string[] = [];
    let worst = 0;
    for (const [label, path, key] of cases) {
      const ms = await timed(base, path, key, opts.requests);
      const p95 = percentile(ms, 95);
      worst = Math.max(worst, p95);
      rows.push(
        `| ${label} | ${fmt(percentile(ms, 50), 1)} | **${fmt(p95, 1)}** | ${fmt(Math.max(...ms), 1)} |`,
      );
    }
    return [
      `${fmt(opts.patients)} patients in one organization (${opts.clinicians} clinicians; the first follows ${fmt(opts.clinicianPatients)}), generated in ${fmt(generated, 1)} s: ${bands.map((b) => `${fmt(b.n)} ${['urgent', 'attention', 'routine'][b.band]}`).join(', ')}. The worker computed every entry in ${fmt(computeSeconds, 1)} s (all marked at once; ${fmt(opts.patients / computeSeconds)} patients/s, facts, RTM ledgers and the upsert, with the adherence update they ride on).`,
      '',
      `${opts.requests} sequential requests per case after 10 unmeasured, through the API (its key cache warm):`,
      '',
      '| `GET /v1/worklist` | p50 ms | p95 ms | max ms |',
      '|---|---|---|---|',
      ...rows,
      '',
      `| target (issue 18) | measured | status |`,
      `|---|---|---|`,
      `| p95 < ${opts.targetP95Ms} ms for a clinician with 500 patients and an organization of 10,000 | worst p95 ${fmt(worst, 1)} ms | ${worst < opts.targetP95Ms && opts.patients >= 10_000 ? 'met' : opts.patients < 10_000 ? 'not measured at full size (BENCH_QUICK)' : '**not met**'} |`,
    ].join('\n');
  } finally {
    await db.end();
    await worker?.stop();
    await apiService.stop();
    await dropDatabase(databaseUrl);
    await flushQueue(PREFIX);
  }
}
