import { createProducerConnection, queueKeyPrefix } from '@app/queue';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { periodJobId } from '../apps/worker/src/adherence/adherence-periods';
import request from 'supertest';
import { bearer, factory, seedClinic, type Clinic } from './support/factories';
import { isolated } from './support/isolated';
import { finished, freePort, start, waitForOutput } from './support/processes';
import { Receiver } from './support/receiver';
import { deleteKeysOf } from './support/redis-keys';
import { clusterTarget } from './support/test-env';
import { eventually } from './support/worker';

type Child = ReturnType<typeof start>;

const PATIENTS = 8;
const DAY = '2026-11-20';

/** One hour of walking on DAY, in one-minute samples: 60 × `perMinute` steps. */
function walk(hourUtc: number, perMinute: number) {
  return Array.from({ length: 60 }, (_, m) => {
    const at = Date.parse(`${DAY}T${String(hourUtc).padStart(2, '0')}:00:00Z`) + m * 60_000;
    return {
      start: new Date(at).toISOString(),
      end: new Date(at + 60_000).toISOString(),
      steps: perMinute,
    };
  });
}

// Two API and two worker processes on one database and a real Redis Cluster: a burst of
// imports, alerting reports and an adherence period, every result exactly once.
describe('two API and two worker processes on one database and a Redis Cluster', () => {
  const cluster = clusterTarget();
  const space = isolated('scale', {
    REDIS_CLUSTER_NODES: cluster.REDIS_CLUSTER_NODES,
    // A lost job lock (a stalled worker) shows within seconds instead of half a minute.
    JOB_LOCK_MS: '5000',
  });
  const receiver = new Receiver();
  const children: Child[] = [];
  const apis: ReturnType<typeof request>[] = [];
  let db: Client;
  let c: Clinic;

  beforeAll(async () => {
    await space.setUp();
    await receiver.start();
    for (let i = 0; i < 2; i++) {
      const port = String(await freePort());
      const api = start('api', { ...space.env, PORT: port });
      children.push(api);
      await waitForOutput(api, /listening on port/, 60_000);
      apis.push(request(`http://127.0.0.1:${port}`));
    }
    for (let i = 0; i < 2; i++) {
      const worker = start('worker', space.env);
      children.push(worker);
      await waitForOutput(worker, /sciatrack worker started/, 60_000);
    }
    db = new Client({ connectionString: space.env.DATABASE_OWNER_URL });
    await db.connect();
    c = await seedClinic(apis[0]);
  }, 180_000);
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    const exits = await Promise.all(children.map((child) => finished(child, 30_000)));
    await db?.end();
    await receiver.stop();
    await deleteKeysOf(cluster, space.env.QUEUE_PREFIX);
    await space.tearDown();
    // Every process shut down cleanly, having logged no error.
    for (const exit of exits) {
      expect(exit.code).toBe(0);
      expect(exit.stdout).not.toMatch(/"level":50/);
    }
  }, 120_000);

  it('imports, alerts, delivers and computes a period once each', async () => {
    const f = factory(apis[0]);
    await f.webhookEndpoint(c.adminKey, { url: receiver.url('/scale') });
    const patients: string[] = [];
    for (let i = 0; i < PATIENTS; i++) {
      const api = factory(apis[i % 2]);
      const p = await api.patient(c.adminKey, { clinicianId: c.clinician.id, timezone: 'UTC' });
      await api.enroll(c.adminKey, p.id, c.clientApp.id);
      await apis[(i + 1) % 2]
        .post(`/v1/patients/${p.id}/programs`)
        .set(bearer(c.clinicianKey))
        .send({
          startDate: '2026-11-01',
          items: [{ exerciseCode: 'prone_press_up', timesPerDay: 2 }],
          walkingGoal: { dailySteps: 4000 },
        })
        .expect(201);
      patients.push(p.id);
    }

    // The burst: for each patient, the phone's hour through one API (written in the request),
    // the watch's hour as Open mHealth through both APIs (the same payload twice: stored and
    // imported by whichever worker takes it), and a report with a red flag.
    const imported: string[] = [];
    await Promise.all(
      patients.flatMap((id, i) => {
        const [one, other] = [apis[i % 2], apis[(i + 1) % 2]];
        const watch = walk(14, 50).map((s) => ({
          step_count: s.steps,
          effective_time_frame: {
            time_interval: { start_date_time: s.start, end_date_time: s.end },
          },
        }));
        const post = (api: (typeof apis)[number], format: string, body: object) =>
          api
            .post(`/v1/patients/${id}/activity-imports?format=${format}`)
            .set(bearer(c.appKey))
            .send(body)
            .expect(202)
            .then((res) => imported.push(res.body.id as string));
        return [
          post(one, 'native', { source: { name: 'Phone' }, samples: walk(9, 40) }),
          post(one, 'openmhealth', watch),
          post(other, 'openmhealth', watch),
          other
            .post(`/v1/patients/${id}/pain-reports`)
            .set(bearer(c.appKey))
            .send({
              clientRef: `fever-${id}`,
              reportedAt: new Date(Date.now() - 60_000).toISOString(),
              intensity: 4,
              mostDistalSite: 'low_back',
              context: 'baseline',
              redFlags: { fever: true },
            })
            .expect(201),
        ];
      }),
    );
    expect(imported).toHaveLength(PATIENTS * 3);

    // Every import completed, and every day rolled up.
    await eventually(
      async () => {
        const { rows } = await db.query(
          `SELECT count(*) FILTER (WHERE status = 'completed')::int AS done,
                  (SELECT count(*)::int FROM activity_dirty_days) AS dirty
           FROM activity_imports WHERE id = ANY($1)`,
          [imported],
        );
        return rows[0].done === imported.length && rows[0].dirty === 0;
      },
      60_000,
      'every import completed and rolled up',
    );
    // Samples once: 60 phone minutes and 60 watch minutes per patient, whichever copy came first.
    const { rows: samples } = await db.query(
      `SELECT patient_id, count(*)::int AS n, sum(steps)::int AS steps FROM activity_samples
       WHERE patient_id = ANY($1) GROUP BY patient_id`,
      [patients],
    );
    expect(samples).toHaveLength(PATIENTS);
    for (const row of samples) expect(row).toMatchObject({ n: 120, steps: 60 * 40 + 60 * 50 });
    for (const [i, id] of patients.entries()) {
      const res = await apis[i % 2]
        .get(`/v1/patients/${id}/activity/daily?from=${DAY}&to=${DAY}`)
        .set(bearer(c.clinicianKey))
        .expect(200);
      expect(res.body.data).toEqual([expect.objectContaining({ date: DAY, steps: 5400 })]);
    }

    // One alert per patient, one webhook per alert, each delivered at the first attempt.
    const { rows: alerts } = await db.query(
      `SELECT patient_id, count(*)::int AS n FROM alerts WHERE patient_id = ANY($1) GROUP BY patient_id`,
      [patients],
    );
    expect(alerts.map((a) => a.n)).toEqual(Array(PATIENTS).fill(1));
    await eventually(
      () => Promise.resolve(receiver.at('/scale').length >= PATIENTS),
      60_000,
      'the webhooks',
    );
    // Whatever else was going to arrive would have by now.
    await new Promise((r) => setTimeout(r, 2000));
    const got = receiver.at('/scale');
    expect(got).toHaveLength(PATIENTS);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(PATIENTS);
    expect(new Set(got.map((r) => JSON.parse(r.body).data.patientId))).toEqual(new Set(patients));
    const { rows: deliveries } = await db.query(`SELECT status, attempts FROM webhook_deliveries`);
    expect(deliveries).toEqual(Array(PATIENTS).fill({ status: 'delivered', attempts: 1 }));

    // A full adherence period, queued by both "replicas": planned once, each chunk once.
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    const period = `full-${hour.toISOString().slice(0, 13)}`;
    const connection = createProducerConnection(cluster);
    const queue = new Queue('adherence', {
      connection,
      prefix: queueKeyPrefix(space.env.QUEUE_PREFIX, 'adherence'),
    });
    queue.on('error', () => undefined);
    try {
      await queue.waitUntilReady();
      await Promise.all(
        [0, 1].map(() => queue.add('adherence.period', { period }, { jobId: periodJobId(period) })),
      );
    } finally {
      await queue.close();
      connection.disconnect();
    }
    const done = await eventually(
      async () => {
        const { rows } = await db.query(
          `SELECT chunks, chunks_done, patients, completed_at,
                  (SELECT count(*)::int FROM adherence_period_chunks k WHERE k.period = p.period) AS chunk_rows,
                  (SELECT sum(patients)::int FROM adherence_period_chunks k WHERE k.period = p.period) AS chunk_patients
           FROM adherence_periods p WHERE period = $1`,
          [period],
        );
        return rows[0]?.completed_at ? rows[0] : null;
      },
      60_000,
      `period ${period}`,
    );
    expect(done.chunks_done).toBe(done.chunks);
    expect(done.chunk_rows).toBe(done.chunks);
    expect(done.patients).toBe(PATIENTS);
    expect(done.chunk_patients).toBe(PATIENTS);
    const { rows: progress } = await db.query(
      `SELECT count(*)::int AS n FROM patient_progress WHERE patient_id = ANY($1)`,
      [patients],
    );
    expect(progress[0].n).toBe(PATIENTS);
  }, 240_000);
});
