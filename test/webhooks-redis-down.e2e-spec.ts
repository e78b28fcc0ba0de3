import { ChildProcess, spawn } from 'node:child_process';
import { createTestApp, TestApp } from './support/app';
import { bearer, Clinic, factory, seedClinic } from './support/factories';
import { isolated } from './support/isolated';
import { finished, start, waitForOutput } from './support/processes';
import { Receiver } from './support/receiver';
import { eventually } from './support/worker';

// A Redis of this spec's own, on another port, so that stopping it disturbs no other spec.
const PORT = 20_000 + Math.floor(Math.random() * 20_000);
const space = isolated('redis_down', {
  REDIS_URL: `redis://127.0.0.1:${PORT}`,
  OUTBOX_POLL_MS: '250',
  WEBHOOK_RETRY_SCHEDULE: '0.5,1,2,4',
});
const PATIENTS = 200;

function startRedis(): Promise<ChildProcess> {
  const redis = spawn(
    'redis-server',
    ['--port', String(PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    redis.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) resolve(redis);
    });
    redis.on('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
}

async function stopRedis(redis: ChildProcess): Promise<void> {
  const exited = new Promise((r) => redis.once('exit', r));
  redis.kill('SIGKILL');
  await exited;
}

/** Runs `work` over `items`, `width` at a time. */
async function inBatches<T, R>(items: T[], width: number, work: (item: T) => Promise<R>) {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += width) {
    results.push(...(await Promise.all(items.slice(i, i + width).map(work))));
  }
  return results;
}

describe('alerts written while Redis is down', () => {
  let redis: ChildProcess;
  let t: TestApp;
  let c: Clinic;
  let workers: ReturnType<typeof start>[] = [];
  const receiver = new Receiver();

  beforeAll(async () => {
    redis = await startRedis();
    await space.setUp();
    t = await createTestApp(space.env);
    await receiver.start();
    // Two workers: each relays, fans out and delivers; neither may send an alert twice.
    workers = [start('worker', space.env), start('worker', space.env)];
    await Promise.all(workers.map((w) => waitForOutput(w, /sciatrack worker started/)));
    c = await seedClinic(t.http);
    await factory(t.http).webhookEndpoint(c.adminKey, { url: receiver.url('/clinic') });
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    try {
      await t?.close();
      await receiver.stop();
    } finally {
      await space.tearDown();
      if (redis.exitCode === null) await stopRedis(redis);
    }
  });

  it('answers 201 to every report, then delivers each alert exactly once when Redis is back', async () => {
    const f = factory(t.http);
    const patients = await inBatches(
      Array.from({ length: PATIENTS }, (_, i) => i),
      20,
      () => f.patient(c.adminKey, { clinicianId: c.clinician.id }),
    );

    await stopRedis(redis);
    const statuses = await inBatches(patients, 10, async (p) => {
      const res = await t.http
        .post(`/v1/patients/${p.id}/pain-reports`)
        .set(bearer(c.adminKey))
        .send({
          clientRef: `fever-${p.id}`,
          reportedAt: new Date(Date.now() - 60_000).toISOString(),
          intensity: 5,
          mostDistalSite: 'low_back',
          context: 'baseline',
          redFlags: { fever: true },
        });
      return res.status;
    });
    expect(statuses).toEqual(patients.map(() => 201));
    const [{ waiting }] = await t.db.query(
      `SELECT count(*)::int AS waiting FROM outbox WHERE relayed_at IS NULL`,
    );
    expect(waiting).toBe(PATIENTS);
    // What an operator sees meanwhile.
    const metrics = await t.http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(
      new RegExp(`^sciatrack_outbox_waiting\\{measure="count"\\} ${PATIENTS}$`, 'm'),
    );
    expect(receiver.received).toHaveLength(0);

    redis = await startRedis();
    await eventually(
      () =>
        Promise.resolve(
          new Set(receiver.at('/clinic').map((r) => r.headers['webhook-id'])).size >= PATIENTS,
        ),
      60_000,
      `${PATIENTS} distinct webhooks`,
    );
    // Time for a duplicate to show up, if either worker were to send one.
    await new Promise((r) => setTimeout(r, 3000));
    const got = receiver.at('/clinic');
    expect(got).toHaveLength(PATIENTS);
    const events = got.map(
      (r) => JSON.parse(r.body) as { type: string; data: { alertId: string; patientId: string } },
    );
    expect(new Set(events.map((e) => e.data.alertId)).size).toBe(PATIENTS);
    expect(new Set(events.map((e) => e.data.patientId))).toEqual(
      new Set(patients.map((p) => p.id)),
    );
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(['alert.created']));
    const [{ delivered }] = await t.db.query(
      `SELECT count(*)::int AS delivered FROM webhook_deliveries WHERE status = 'delivered' AND attempts = 1`,
    );
    expect(delivered).toBe(PATIENTS);

    for (const w of workers) w.kill('SIGTERM');
    for (const w of workers) expect((await finished(w)).code).toBe(0);
  }, 120_000);
});
