import { JobQueueService, syncJob } from '@app/queue';
import { createTestApp, type TestApp } from './support/app';
import { bearer, seedClinic, type Clinic } from './support/factories';
import {
  FakeGoogleHealth,
  FakeWithings,
  providerEnv,
  type GooglePoint,
} from './support/fake-providers';
import { finished, start } from './support/processes';
import { deleteKeysOf } from './support/redis-keys';
import { specQueuePrefix, testRedisUrl } from './support/test-env';
import { eventually } from './support/worker';

const path = (url: string) => new URL(url).pathname + new URL(url).search;

/** One-minute data points, back to back, ending a minute ago. */
function points(count: number, steps: number): GooglePoint[] {
  const end = Date.now() - 60_000;
  return Array.from({ length: count }, (_, i) => {
    const start = end - (count - i) * 60_000;
    return {
      start: new Date(start).toISOString(),
      end: new Date(start + 60_000).toISOString(),
      steps,
    };
  });
}

describe('pulls across worker processes', () => {
  const withings = new FakeWithings();
  const google = new FakeGoogleHealth();
  const env: Record<string, string> = {
    QUEUE_PREFIX: specQueuePrefix('provider-workers'),
    JOB_LOCK_MS: '2000',
    PROVIDER_REQUESTS_PER_MINUTE: '10000',
  };
  let t: TestApp;
  let c: Clinic;
  const workers: ReturnType<typeof start>[] = [];

  beforeAll(async () => {
    await withings.start();
    await google.start();
    Object.assign(env, providerEnv('https://sciatrack.test', { withings, google }));
    t = await createTestApp(env);
    c = await seedClinic(t.http);
  });
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    try {
      await t?.close();
    } finally {
      await withings.stop();
      await google.stop();
      await deleteKeysOf(testRedisUrl(), env.QUEUE_PREFIX);
    }
  });

  async function connectGoogle(patientId: string, user: string): Promise<string> {
    google.consentingUser = user;
    const created = await t.http
      .post(`/v1/patients/${patientId}/connections`)
      .set(bearer(c.adminKey))
      .send({ provider: 'google-health' })
      .expect(201);
    const consent = await fetch(created.body.authorizeUrl, { redirect: 'manual' });
    await t.http.get(path(consent.headers.get('location')!)).expect(200);
    return created.body.id as string;
  }

  const samples = async (patientId: string) =>
    (
      await t.db.query(
        `SELECT count(*)::int AS n, coalesce(sum(steps), 0)::int AS total FROM activity_samples WHERE patient_id = $1`,
        [patientId],
      )
    )[0] as { n: number; total: number };

  const synced = async (id: string) =>
    (await t.db.query('SELECT last_sync_at FROM wearable_connections WHERE id = $1', [id]))[0]
      .last_sync_at as Date | null;

  it('two workers never pull one connection at once, nor fetch a page twice', async () => {
    google.pageSize = 20;
    google.latencyMs = 60;
    google.setPoints('g-two', points(400, 3));
    workers.push(start('worker', env), start('worker', env));
    const id = await connectGoogle(c.patient.id, 'g-two');
    // More pulls asked for at once, as a burst of notifications would.
    const jobs = t.app.get(JobQueueService);
    for (let i = 0; i < 6; i++) {
      const job = syncJob(id, `burst${i}`, Date.now());
      await jobs.add('provider.sync', job.payload, { jobId: job.jobId, ...job.options });
    }
    await eventually(async () => (await synced(id)) !== null, 60_000, 'pulled');
    await eventually(async () => (await samples(c.patient.id)).n === 400, 30_000, 'imported');
    expect(await samples(c.patient.id)).toEqual({ n: 400, total: 1200 });
    expect(google.maxInFlight).toBe(1);
    // The backfill's 20 pages (its window), each fetched once; later pulls read another window.
    const requests = google.dataRequests('g-two');
    const backfill = requests.filter((r) => r.params.filter === requests[0].params.filter);
    expect(backfill).toHaveLength(20);
    expect(new Set(backfill.map((r) => r.params.pageToken ?? '')).size).toBe(20);
    for (const w of workers.splice(0)) {
      w.kill('SIGTERM');
      await finished(w);
    }
  });

  it('a worker killed mid-pull: another resumes from the last stored page, every sample once', async () => {
    google.pageSize = 20;
    google.latencyMs = 150;
    google.maxInFlight = 0;
    google.setPoints('g-kill', points(600, 7));
    const first = start('worker', env);
    workers.push(first);
    const id = await connectGoogle(c.otherPatient.id, 'g-kill');
    // Kill it once some pages are stored and many remain.
    await eventually(
      async () => {
        const [{ n }] = await t.db.query(
          'SELECT count(*)::int AS n FROM activity_imports WHERE patient_id = $1',
          [c.otherPatient.id],
        );
        return n >= 5 && n <= 20;
      },
      60_000,
      'pull midway',
    );
    first.kill('SIGKILL');
    await finished(first);
    expect(await synced(id)).toBeNull();
    const fetchedBefore = google.dataRequests('g-kill').length;
    const second = start('worker', env);
    workers.push(second);
    await eventually(async () => (await synced(id)) !== null, 60_000, 'resumed pull done');
    await eventually(async () => (await samples(c.otherPatient.id)).n === 600, 30_000, 'imported');
    expect(await samples(c.otherPatient.id)).toEqual({ n: 600, total: 4200 });
    // Resumed from the cursor: the 30 pages, plus at most the one in flight at the kill.
    expect(google.dataRequests('g-kill').length).toBeLessThanOrEqual(31);
    expect(google.dataRequests('g-kill').length).toBeGreaterThan(fetchedBefore);
    second.kill('SIGTERM');
    await finished(second);
  });
});
