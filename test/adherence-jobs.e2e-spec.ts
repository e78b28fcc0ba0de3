import { JobQueueService } from '@app/queue';
import { chunkIds } from '../apps/worker/src/adherence/adherence-periods';
import { Client } from 'pg';
import { createTestApp, TestApp } from './support/app';
import { bearer, Clinic, factory, seedClinic } from './support/factories';
import { finished, start } from './support/processes';
import { isolated } from './support/isolated';
import { eventually } from './support/worker';

// A database and a queue prefix of its own: other specs' workers must neither compute these
// patients nor take these jobs, or "computed once" and "changes no row" would mean nothing.
const space = isolated('adherence');
const env = space.env;

// Period 2026-11-20T11: 11:00 UTC is midnight in Auckland (UTC+13 in November), 03:00 in
// Los Angeles. Auckland's patients close 2026-11-20 in it; Los Angeles' do not.
const PERIOD = '2026-11-20T11';

describe('scheduled adherence with two workers', () => {
  let t: TestApp;
  let c: Clinic;
  let db: Client;
  let workers: ReturnType<typeof start>[] = [];
  const auckland: string[] = [];
  const losAngeles: string[] = [];

  const rows = async <T>(sql: string, params: unknown[] = []): Promise<T[]> =>
    (await db.query(sql, params)).rows as T[];

  async function program(patientId: string, startDate: string): Promise<void> {
    await t.http
      .post(`/v1/patients/${patientId}/programs`)
      .set(bearer(c.clinicianKey))
      .send({
        startDate,
        items: [{ exerciseCode: 'prone_press_up', timesPerDay: 2 }],
        walkingGoal: { dailySteps: 4000 },
      })
      .expect(201);
  }

  /** Two rounds (09:00, 18:00) on each of the given local days, as the API would write them. */
  async function sessionsOn(patientId: string, days: string[], zone: string): Promise<void> {
    await db.query(
      `INSERT INTO sessions (organization_id, patient_id, client_ref, request_hash, performed_at, local_date, items)
       SELECT $1, $2, 'seed-' || d || '-' || h, '\\x00', (d::date + make_time(h, 0, 0)) AT TIME ZONE $4, d::date,
              '[{"exerciseCode":"prone_press_up","sets":1,"reps":10}]'
       FROM unnest($3::text[]) AS d, unnest(ARRAY[9, 18]) AS h`,
      [c.org.id, patientId, days, zone],
    );
  }

  async function stepsOn(patientId: string, days: string[], steps: number): Promise<void> {
    await db.query(
      `INSERT INTO activity_daily (organization_id, patient_id, local_date, steps, active_minutes, manual_steps, sample_count, sources)
       SELECT $1, $2, d::date, $3, 0, 0, 1, '[]' FROM unnest($4::text[]) AS d`,
      [c.org.id, patientId, steps, days],
    );
  }

  const days = (from: string, count: number) =>
    Array.from({ length: count }, (_, i) =>
      new Date(Date.parse(`${from}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10),
    );

  beforeAll(async () => {
    await space.setUp();
    t = await createTestApp(env);
    db = new Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    c = await seedClinic(t.http);
    const f = factory(t.http);
    for (const [zone, list] of [
      ['Pacific/Auckland', auckland],
      ['America/Los_Angeles', losAngeles],
    ] as const) {
      for (let i = 0; i < 2; i++) {
        const p = await f.patient(c.adminKey, { clinicianId: c.clinician.id, timezone: zone });
        await program(p.id, '2026-11-02');
        list.push(p.id);
      }
    }
    // Auckland 0: two rounds every day. Auckland 1: walked too little for a week, then nothing
    // logged: more than 2 days without an active day.
    await sessionsOn(auckland[0], days('2026-11-02', 19), 'Pacific/Auckland');
    await stepsOn(auckland[1], days('2026-11-13', 8), 500);
    await sessionsOn(losAngeles[0], days('2026-11-02', 18), 'America/Los_Angeles');
    // Creating the programs marked the patients for an update as of now, which would be newer
    // than the period under test and so left standing by it. This test is about the period.
    await db.query(`DELETE FROM adherence_dirty`);
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    try {
      await db?.end();
      await t?.close();
    } finally {
      await space.tearDown();
    }
  });

  it('computes a period once although both workers queue it, and a rerun changes no row', async () => {
    workers = [start('worker', env), start('worker', env)];
    // Both replicas queue the period at their tick (same job id), and once more under another
    // id, as if the first job had been completed and removed before the second tick.
    const jobs = t.app.get(JobQueueService);
    await Promise.all([
      jobs.add('adherence.period', { period: PERIOD }, { jobId: `adherence-${PERIOD}` }),
      jobs.add('adherence.period', { period: PERIOD }, { jobId: `adherence-${PERIOD}` }),
      jobs.add('adherence.period', { period: PERIOD }, { jobId: `adherence-${PERIOD}-again` }),
    ]);
    const [period] = await eventually(
      async () => {
        const r = await rows<{ chunks: number; chunks_done: number; patients: number }>(
          `SELECT chunks, chunks_done, patients FROM adherence_periods WHERE period = $1 AND completed_at IS NOT NULL`,
          [PERIOD],
        );
        return r.length ? r : null;
      },
      30_000,
      'period completed',
    );
    expect(period).toEqual({ chunks: 1, chunks_done: 1, patients: 2 });
    expect(
      await rows(`SELECT chunk, patients FROM adherence_period_chunks WHERE period = $1`, [PERIOD]),
    ).toEqual([{ chunk: 0, patients: 2 }]);
    // The worker that completed it vacuumed the results (the dashboards' index-only scans).
    await eventually(
      async () =>
        (
          await rows(
            `SELECT 1 FROM pg_stat_user_tables t, adherence_periods p
             WHERE p.period = $1 AND t.relname IN ('adherence_weeks', 'patient_progress')
             HAVING count(*) FILTER (WHERE t.last_vacuum >= p.completed_at) = 2`,
            [PERIOD],
          )
        ).length > 0,
      30_000,
      'results vacuumed',
    );

    // Auckland's patients, as of their new day 2026-11-21; Los Angeles' were not due.
    const progress = await rows<{ patient_id: string; as_of: string; flags: { flag: string }[] }>(
      `SELECT patient_id, as_of::text, flags FROM patient_progress WHERE as_of = '2026-11-21' ORDER BY patient_id`,
    );
    expect(progress.map((p) => p.patient_id).sort()).toEqual([...auckland].sort());
    const flagsOf = (id: string) =>
      progress.find((p) => p.patient_id === id)?.flags.map((f) => f.flag) ?? [];
    expect(flagsOf(auckland[1])).toContain('REST_GAP_EXCEEDED');
    expect(flagsOf(auckland[0])).not.toContain('REST_GAP_EXCEEDED');
    expect(
      await rows(
        `SELECT 1 FROM patient_progress WHERE patient_id = ANY($1) AND as_of = '2026-11-20'`,
        [losAngeles],
      ),
    ).toEqual([]);
    // Auckland 0's weeks, recomputed whole from the week of 14 days back: Mon 2026-11-16 to
    // Fri 2026-11-20 closed so far, two rounds a day done.
    expect(
      await rows(
        `SELECT week_start::text, prescribed_sessions, completed_sessions, active_days, data_days
         FROM adherence_weeks WHERE patient_id = $1 ORDER BY week_start`,
        [auckland[0]],
      ),
    ).toEqual([
      {
        week_start: '2026-11-02',
        prescribed_sessions: 14,
        completed_sessions: 14,
        active_days: 7,
        data_days: 7,
      },
      {
        week_start: '2026-11-09',
        prescribed_sessions: 14,
        completed_sessions: 14,
        active_days: 7,
        data_days: 7,
      },
      {
        week_start: '2026-11-16',
        prescribed_sessions: 10,
        completed_sessions: 10,
        active_days: 5,
        data_days: 5,
      },
    ]);

    // Rerun: forget that the period ran and queue it again; every row keeps its version.
    const versions = async () =>
      rows(
        `SELECT patient_id, xmin::text AS v FROM patient_progress
         UNION ALL SELECT patient_id, xmin::text FROM adherence_weeks ORDER BY 1, 2`,
      );
    // Each worker also queued the period of the hour it started in (the scheduler's catch-up
    // at start): in some hours of the real day that period closes a day of these patients too
    // (08:00 UTC is midnight in Los Angeles). Its writes are done before the rerun is compared.
    await eventually(
      async () =>
        (
          await rows(
            `SELECT 1 FROM adherence_periods HAVING count(*) FILTER (WHERE period <> $1) > 0
               AND count(*) FILTER (WHERE completed_at IS NULL) = 0`,
            [PERIOD],
          )
        ).length > 0,
      30_000,
      'the workers’ own start-up period completed',
    );
    const before = await versions();
    await db.query(`DELETE FROM adherence_periods WHERE period = $1`, [PERIOD]);
    await jobs.add('adherence.period', { period: PERIOD }, { jobId: `adherence-${PERIOD}-rerun` });
    await eventually(
      async () =>
        (
          await rows(
            `SELECT 1 FROM adherence_periods WHERE period = $1 AND completed_at IS NOT NULL`,
            [PERIOD],
          )
        ).length > 0,
      30_000,
      'period rerun',
    );
    expect(await versions()).toEqual(before);

    // A period of an hour still to come is refused: it would count days not yet lived.
    const future = new Date(Date.now() + 86_400_000).toISOString().slice(0, 13);
    await jobs.add('adherence.period', { period: future }, { jobId: `adherence-${future}` });
    const state = await eventually(
      async () => {
        const s = await jobs.queue('adherence').getJobState(`adherence-${future}`);
        return s === 'failed' || s === 'completed' ? s : null;
      },
      30_000,
      'future period settled',
    );
    expect(state).toBe('failed');
    expect(await rows(`SELECT 1 FROM adherence_periods WHERE period = $1`, [future])).toEqual([]);
  }, 90_000);

  it('clears a rest-gap flag within a minute of a session being logged, without the nightly run', async () => {
    // A patient in UTC whose last closed days were all short of steps, as of today.
    const f = factory(t.http);
    const p = await f.patient(c.adminKey, { clinicianId: c.clinician.id, timezone: 'UTC' });
    await f.enroll(c.adminKey, p.id, c.clientApp.id);
    const today = new Date().toISOString().slice(0, 10);
    const start = new Date(Date.parse(`${today}T00:00:00Z`) - 6 * 86_400_000)
      .toISOString()
      .slice(0, 10);
    await program(p.id, start);
    await stepsOn(p.id, days(start, 6), 300);
    await db.query(`INSERT INTO adherence_dirty (organization_id, patient_id) VALUES ($1, $2)`, [
      c.org.id,
      p.id,
    ]);
    const flags = async () =>
      (
        await rows<{ flags: { flag: string }[] }>(
          `SELECT flags FROM patient_progress WHERE patient_id = $1`,
          [p.id],
        )
      )[0]?.flags.map((x) => x.flag);
    await eventually(
      async () => (await flags())?.includes('REST_GAP_EXCEEDED'),
      60_000,
      'rest gap flagged',
    );

    const logged = Date.now();
    await t.http
      .post(`/v1/patients/${p.id}/sessions`)
      .set(bearer(c.appKey))
      .send({
        clientRef: 'now-1',
        performedAt: new Date().toISOString(),
        items: [{ exerciseCode: 'prone_press_up', sets: 1, reps: 10 }],
      })
      .expect(201);
    await eventually(
      async () => {
        const current = await flags();
        return current !== undefined && !current.includes('REST_GAP_EXCEEDED');
      },
      60_000,
      'rest gap cleared',
    );
    expect(Date.now() - logged).toBeLessThan(60_000);
  }, 150_000);

  it("puts every patient id in one chunk's range, in PostgreSQL's uuid order", async () => {
    const chunks = 7;
    const ranges = Array.from({ length: chunks }, (_, k) => chunkIds(k, chunks));
    const [counts] = await rows<{ ids: number; once: number }>(
      `WITH id AS (
         SELECT gen_random_uuid() AS id FROM generate_series(1, 5000)
         UNION ALL SELECT unnest(ARRAY['00000000-0000-0000-0000-000000000000',
                                       'ffffffff-ffff-ffff-ffff-ffffffffffff']::uuid[])
         UNION ALL SELECT unnest($1::uuid[])
       )
       SELECT count(*)::int AS ids,
              count(*) FILTER (WHERE (SELECT count(*) FROM unnest($1::uuid[], $2::uuid[]) AS r(lo, hi)
                                      WHERE id.id >= r.lo AND (r.hi IS NULL OR id.id < r.hi)) = 1)::int AS once
       FROM id`,
      [ranges.map((r) => r.from), ranges.map((r) => r.to)],
    );
    expect(counts).toEqual({ ids: 5009, once: 5009 });
  });

  it('lets both workers stop cleanly', async () => {
    for (const w of workers) w.kill('SIGTERM');
    for (const w of workers) expect((await finished(w)).code).toBe(0);
  });
});
