import type { INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Job } from 'bullmq';
import { ActivityImportProcessor } from '../apps/worker/src/activity/activity-import.processor';
import { ActivityImportSweeper } from '../apps/worker/src/activity/activity-import.sweeper';
import { createTestApp, TestApp } from './support/app';
import { bearer, Clinic, factory, seedClinic } from './support/factories';
import { createTestWorker, eventually } from './support/worker';

type Sample = {
  start: string;
  end: string;
  steps: number | string;
  activeMinutes?: number;
  origin?: string;
};

const minute = (iso: string, i: number) => new Date(Date.parse(iso) + i * 60_000).toISOString();
/** `count` one-minute samples of `steps` each from `start`. */
const perMinute = (start: string, count: number, steps: number): Sample[] =>
  Array.from({ length: count }, (_, i) => ({
    start: minute(start, i),
    end: minute(start, i + 1),
    steps,
  }));

describe('activity imports', () => {
  let t: TestApp;
  let worker: INestApplicationContext;
  let c: Clinic;

  beforeAll(async () => {
    t = await createTestApp({ IMPORT_JSON_MAX_BYTES: String(2 * 1024 * 1024) });
    worker = await createTestWorker();
    c = await seedClinic(t.http);
  });
  afterAll(async () => {
    await worker.close();
    await t.close();
  });

  const post = (patientId: string, body: unknown, key = c.appKey, format = 'native') =>
    t.http
      .post(`/v1/patients/${patientId}/activity-imports?format=${format}`)
      .set(bearer(key))
      .send(body as object);

  const finished = async (id: string) =>
    eventually(
      async () => {
        const res = await t.http
          .get(`/v1/activity-imports/${id}`)
          .set(bearer(c.adminKey))
          .expect(200);
        return ['completed', 'failed'].includes(res.body.status) ? res.body : null;
      },
      20_000,
      `import ${id}`,
    );

  /** Until the worker has rolled up every day the patient's imports marked. */
  const rolledUp = (patientId: string) =>
    eventually(
      async () =>
        (
          await t.db.query<{ n: number }[]>(
            'SELECT count(*)::int AS n FROM activity_dirty_days WHERE patient_id = $1',
            [patientId],
          )
        )[0].n === 0,
      20_000,
      `the days of ${patientId} rolled up`,
    );

  /** A native batch: written in its request (completed at once), its days rolled up after. */
  const importNative = async (
    patientId: string,
    source: { name: string; device?: string },
    samples: Sample[],
    { waitForRollup = true } = {},
  ) => {
    const res = await post(patientId, { source, samples }).expect(202);
    expect(res.body).toEqual({ id: expect.any(String), status: 'completed' });
    const done = await finished(res.body.id);
    if (waitForRollup) await rolledUp(patientId);
    return done;
  };

  /** The same samples as Open mHealth step counts: a format stored and imported by the worker. */
  const asOpenMhealth = (samples: Sample[]) =>
    samples.map((s) => ({
      step_count: s.steps,
      effective_time_frame: { time_interval: { start_date_time: s.start, end_date_time: s.end } },
    }));

  const daily = async (patientId: string, from: string, to: string) =>
    (
      await t.http
        .get(`/v1/patients/${patientId}/activity/daily?from=${from}&to=${to}`)
        .set(bearer(c.clinicianKey))
        .expect(200)
    ).body.data;

  const sampleRows = async (patientId: string) =>
    (
      await t.db.query('SELECT count(*)::int AS n FROM activity_samples WHERE patient_id = $1', [
        patientId,
      ])
    )[0].n as number;

  it('imports a native batch, with a reason per rejected record and the day total', async () => {
    const p = await factory(t.http).patient(c.adminKey, {
      clinicianId: c.clinician.id,
      timezone: 'America/Chicago',
    });
    await factory(t.http).enroll(c.adminKey, p.id, c.clientApp.id);
    const samples: Sample[] = [
      ...perMinute('2026-11-10T15:00:00Z', 30, 90), // 09:00–09:30 in Chicago: 2,700 steps
      { start: '2026-11-10T16:00:00Z', end: '2026-11-10T16:10:00Z', steps: '500' }, // sent as a string
      { start: '2030-01-01T00:00:00Z', end: '2030-01-01T00:01:00Z', steps: 10 },
      { start: '2026-11-10T17:00:00Z', end: '2026-11-10T17:01:00Z', steps: -4 },
      { start: '2026-11-10T17:05:00Z', end: '2026-11-10T17:04:00Z', steps: 10 },
      { start: '2026-11-10T17:10:00Z', end: '2026-11-10T17:11:00Z', steps: 7000 },
      { start: '2026-11-10T17:20:00', end: '2026-11-10T17:21:00', steps: 10 },
    ];
    const result = await importNative(p.id, { name: 'Pixel 8', device: 'phone' }, samples);
    expect(result).toMatchObject({
      status: 'completed',
      received: 36,
      inserted: 31,
      duplicates: 0,
      rejected: 5,
    });
    expect(result.errors).toEqual([
      { index: 35, reason: expect.stringMatching(/offset/) },
      { index: 31, reason: 'starts in the future' },
      { index: 32, reason: expect.stringMatching(/whole number/) },
      { index: 33, reason: 'end is not after start' },
      { index: 34, reason: 'more than 100 steps a second' },
    ]);
    expect(await daily(p.id, '2026-11-09', '2026-11-11')).toEqual([
      {
        date: '2026-11-10',
        steps: 3200,
        activeMinutes: 0,
        manualSteps: 0,
        sources: [{ name: 'Pixel 8', device: 'phone', steps: 3200, manualSteps: 0 }],
      },
    ]);
  });

  it('inserts nothing and changes nothing when the same import is posted again', async () => {
    const p = await factory(t.http).patient(c.adminKey, {
      clinicianId: c.clinician.id,
      timezone: 'Europe/London',
    });
    await factory(t.http).enroll(c.adminKey, p.id, c.clientApp.id);
    const body = {
      source: { name: 'Apple Watch' },
      samples: perMinute('2026-11-12T10:00:00Z', 120, 60),
    };
    const first = await finished((await post(p.id, body).expect(202)).body.id);
    expect(first).toMatchObject({ received: 120, inserted: 120, duplicates: 0 });
    await rolledUp(p.id);
    const rows = await sampleRows(p.id);
    const dayBefore = await daily(p.id, '2026-11-12', '2026-11-12');

    const second = await finished((await post(p.id, body).expect(202)).body.id);
    expect(second).toMatchObject({
      status: 'completed',
      received: 120,
      inserted: 0,
      duplicates: 120,
      rejected: 0,
    });
    expect(await sampleRows(p.id)).toBe(rows);
    expect(await daily(p.id, '2026-11-12', '2026-11-12')).toEqual(dayBefore);
    expect(dayBefore[0].steps).toBe(7200);
    // Native batches are written in their request: no raw payload is ever kept.
    const [{ chunks }] = await t.db.query(
      'SELECT count(*)::int AS chunks FROM activity_import_chunks WHERE import_id = ANY($1)',
      [[first.id, second.id]],
    );
    expect(chunks).toBe(0);

    // The job of a completed import run again (a replayed or re-queued job) does nothing.
    const job = { attemptsMade: 0, opts: { attempts: 8 } } as Job;
    const again = await worker
      .get(ActivityImportProcessor)
      .importActivity({ importId: first.id }, job);
    expect(again).toEqual({ status: 'skipped' });
    expect((await finished(first.id)).status).toBe('completed');
  });

  it('does not count a walk twice when phone and watch both report it, and keeps what only one saw', async () => {
    const p = await factory(t.http).patient(c.adminKey, {
      clinicianId: c.clinician.id,
      timezone: 'Europe/Madrid',
    });
    await factory(t.http).enroll(c.adminKey, p.id, c.clientApp.id);
    // The same 30-minute walk (10:00–10:30 Madrid): the phone sums it in one interval, the watch per minute.
    await importNative(p.id, { name: 'iPhone', device: 'iPhone 15' }, [
      { start: '2026-11-13T09:00:00Z', end: '2026-11-13T09:30:00Z', steps: 3000 },
      // Only the phone was carried at 18:00.
      { start: '2026-11-13T17:00:00Z', end: '2026-11-13T17:10:00Z', steps: 900 },
    ]);
    await importNative(p.id, { name: 'Apple Watch', device: 'Watch 9' }, [
      ...perMinute('2026-11-13T09:00:00Z', 30, 95),
      // Only the watch was worn at 07:00.
      ...perMinute('2026-11-13T06:00:00Z', 10, 50),
    ]);
    const [day] = await daily(p.id, '2026-11-13', '2026-11-13');
    // walk: per minute max(100 phone, 95 watch) × 30 = 3,000; plus 900 and 500 seen by one each.
    expect(day.steps).toBe(4400);
    expect(day.sources).toEqual([
      { name: 'Apple Watch', device: 'Watch 9', steps: 3350, manualSteps: 0 },
      { name: 'iPhone', device: 'iPhone 15', steps: 3900, manualSteps: 0 },
    ]);
  });

  it.each([
    ['Europe/Paris', '2026-10-25', '2026-10-24T22:00:00Z', 25],
    ['Europe/Paris', '2026-03-29', '2026-03-28T23:00:00Z', 23],
    ['America/New_York', '2026-11-01', '2026-11-01T04:00:00Z', 25],
  ])(
    'rolls a %s DST day (%s) up over its real length',
    async (zone, date, localMidnightUtc, hours) => {
      const p = await factory(t.http).patient(c.adminKey, {
        clinicianId: c.clinician.id,
        timezone: zone,
      });
      await factory(t.http).enroll(c.adminKey, p.id, c.clientApp.id);
      // 100 steps in every hour from one local midnight to the next, and one hour of the day after.
      const hourly = Array.from({ length: hours + 1 }, (_, h) => ({
        start: new Date(Date.parse(localMidnightUtc) + h * 3_600_000).toISOString(),
        end: new Date(Date.parse(localMidnightUtc) + (h + 1) * 3_600_000).toISOString(),
        steps: 100,
      }));
      await importNative(p.id, { name: 'Fitbit Charge' }, hourly);
      const days = await daily(p.id, date, '2026-12-31');
      expect(days.map((d: { date: string; steps: number }) => [d.date, d.steps])).toEqual([
        [date, hours * 100],
        [days[1].date, 100],
      ]);
    },
  );

  it('marks manual entries, keeps freshness per source, and re-rolls only the days an import touches', async () => {
    const p = await factory(t.http).patient(c.adminKey, {
      clinicianId: c.clinician.id,
      timezone: 'UTC',
    });
    await factory(t.http).enroll(c.adminKey, p.id, c.clientApp.id);
    await importNative(p.id, { name: 'Health app' }, [
      {
        start: '2026-11-14T08:00:00Z',
        end: '2026-11-14T09:00:00Z',
        steps: 2000,
        origin: 'user_input',
      },
      { start: '2026-11-14T12:00:00Z', end: '2026-11-14T12:30:00Z', steps: 0 },
    ]);
    const [before] = await t.db.query(
      `SELECT updated_at FROM activity_daily WHERE patient_id = $1 AND local_date = '2026-11-14'`,
      [p.id],
    );
    // Late data for another day leaves 14 November alone.
    await importNative(p.id, { name: 'Health app' }, [
      { start: '2026-11-16T08:00:00Z', end: '2026-11-16T08:30:00Z', steps: 1500 },
    ]);
    const [after] = await t.db.query(
      `SELECT updated_at FROM activity_daily WHERE patient_id = $1 AND local_date = '2026-11-14'`,
      [p.id],
    );
    expect(after.updated_at).toEqual(before.updated_at);

    const days = await daily(p.id, '2026-11-14', '2026-11-16');
    // 15 November has no data at all: no row. "No data" is not "no activity".
    expect(days.map((d: { date: string }) => d.date)).toEqual(['2026-11-14', '2026-11-16']);
    expect(days[0]).toMatchObject({ steps: 2000, manualSteps: 2000 });

    const sources = await t.http
      .get(`/v1/patients/${p.id}/activity/sources`)
      .set(bearer(c.clinicianKey))
      .expect(200);
    expect(sources.body.data).toEqual([
      {
        name: 'Health app',
        device: null,
        lastSampleEnd: '2026-11-16T08:30:00.000Z',
        lastImportAt: expect.any(String),
      },
    ]);
  });

  it('refuses payloads that are not of their format, too large, or of the wrong type', async () => {
    await post(c.patient.id, { source: { name: 'x' } }).expect(422);
    await post(c.patient.id, { samples: [] }).expect(422);
    await post(c.patient.id, { resourceType: 'Patient' }, c.appKey, 'fhir').expect(422);
    await post(c.patient.id, {}, c.appKey, 'tomtom').expect(422);
    await t.http
      .post(`/v1/patients/${c.patient.id}/activity-imports?format=native`)
      .set(bearer(c.appKey))
      .set('Content-Type', 'application/json')
      .send('{"source": {')
      .expect(400);
    await t.http
      .post(`/v1/patients/${c.patient.id}/activity-imports?format=apple-health-xml`)
      .set(bearer(c.appKey))
      .set('Content-Type', 'application/json')
      .send('{}')
      .expect(415);
    const big = { source: { name: 'x' }, samples: perMinute('2026-11-01T00:00:00Z', 30_000, 1) };
    await post(c.patient.id, big).expect(413);
  });

  it('replays an upload with the same Idempotency-Key and refuses the key for another payload', async () => {
    const body = { source: { name: 'Garmin' }, samples: perMinute('2026-11-15T10:00:00Z', 5, 40) };
    const key = `upload-${randomUUID()}`;
    const first = await post(c.patient.id, body).set('Idempotency-Key', key).expect(202);
    const again = await post(c.patient.id, body).set('Idempotency-Key', key).expect(202);
    expect(again.body.id).toBe(first.body.id);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(again.headers['idempotent-replayed']).toBe('true');
    await post(c.patient.id, { ...body, samples: body.samples.slice(1) })
      .set('Idempotency-Key', key)
      .expect(422);
    const [{ n }] = await t.db.query(
      'SELECT count(*)::int AS n FROM activity_imports WHERE id = $1',
      [first.body.id],
    );
    expect(n).toBe(1);
  });

  it('loses nothing when Redis is unreachable at upload time: the worker sweep queues it', async () => {
    const offline = await createTestApp({ REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const res = await offline.http
        .post(`/v1/patients/${c.patient.id}/activity-imports?format=openmhealth`)
        .set(bearer(c.appKey))
        .send(asOpenMhealth(perMinute('2026-11-16T10:00:00Z', 3, 30)))
        .expect(202);
      expect(res.body.status).toBe('queued');
      await t.db.query(
        `UPDATE activity_imports SET created_at = now() - interval '1 minute' WHERE id = $1`,
        [res.body.id],
      );
      expect(await worker.get(ActivityImportSweeper).sweep()).toBeGreaterThanOrEqual(1);
      expect(await finished(res.body.id)).toMatchObject({ status: 'completed', inserted: 3 });
    } finally {
      await offline.app.close();
    }
  });

  it('rolls up a native batch written while Redis is unreachable: the worker sweep settles its days', async () => {
    const p = await factory(t.http).patient(c.adminKey, { clinicianId: c.clinician.id });
    await factory(t.http).enroll(c.adminKey, p.id, c.clientApp.id);
    const offline = await createTestApp({ REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const res = await offline.http
        .post(`/v1/patients/${p.id}/activity-imports?format=native`)
        .set(bearer(c.appKey))
        .send({
          source: { name: 'Offline phone' },
          samples: perMinute('2026-11-16T10:00:00Z', 3, 30),
        })
        .expect(202);
      expect(res.body.status).toBe('completed');
    } finally {
      await offline.app.close();
    }
    expect(await worker.get(ActivityImportSweeper).settleMarkedDays()).toBeGreaterThanOrEqual(1);
    expect(await daily(p.id, '2026-11-16', '2026-11-16')).toMatchObject([{ steps: 90 }]);
  });

  it('leaves a day to an import of the patient still on its way, but not for long', async () => {
    const p = await factory(t.http).patient(c.adminKey, { clinicianId: c.clinician.id });
    await factory(t.http).enroll(c.adminKey, p.id, c.clientApp.id);
    // An import stored while Redis was away: on its way, not yet imported.
    const offline = await createTestApp({ REDIS_URL: 'redis://127.0.0.1:1' });
    let waiting: string;
    try {
      waiting = (
        await offline.http
          .post(`/v1/patients/${p.id}/activity-imports?format=openmhealth`)
          .set(bearer(c.appKey))
          .send(asOpenMhealth(perMinute('2026-11-18T08:00:00Z', 2, 10)))
          .expect(202)
      ).body.id;
    } finally {
      await offline.app.close();
    }

    const done = await importNative(
      p.id,
      { name: 'Watch' },
      perMinute('2026-11-17T09:00:00Z', 30, 40),
      { waitForRollup: false },
    );
    expect(done).toMatchObject({ status: 'completed', inserted: 30 });
    // Its rollup waits for the other import, which will roll up every day marked by then.
    await worker.get(ActivityImportProcessor).rollUp({ organizationId: c.org.id, patientId: p.id });
    expect(await daily(p.id, '2026-11-17', '2026-11-17')).toEqual([]);

    // Marked more than 30 seconds ago: the next import's end, or the sweep, rolls it up.
    await t.db.query(
      `UPDATE activity_dirty_days SET marked_at = now() - interval '1 minute' WHERE patient_id = $1`,
      [p.id],
    );
    expect(await worker.get(ActivityImportSweeper).settleMarkedDays()).toBeGreaterThanOrEqual(1);
    expect(await daily(p.id, '2026-11-17', '2026-11-17')).toMatchObject([{ steps: 1200 }]);

    // The import on its way, once swept into the queue, rolls up its own day.
    await t.db.query(
      `UPDATE activity_imports SET created_at = now() - interval '1 minute' WHERE id = $1`,
      [waiting],
    );
    await worker.get(ActivityImportSweeper).sweep();
    expect(await finished(waiting)).toMatchObject({ status: 'completed', inserted: 2 });
    expect(await daily(p.id, '2026-11-18', '2026-11-18')).toMatchObject([{ steps: 20 }]);
  });
});
