import { loadConfig } from '@app/config';
import {
  createProbeConnection,
  heartbeatKey,
  keysOfPrefixPattern,
  queueKeyPrefix,
  QUEUES,
  scanKeys,
} from '@app/queue';
import type { INestApplicationContext } from '@nestjs/common';
import type { Cluster } from 'ioredis';
import { createTestApp, type TestApp } from './support/app';
import { factory, seedClinic, type Clinic } from './support/factories';
import { importsOf } from './support/imports';
import { finished, start } from './support/processes';
import { deleteKeysOf } from './support/redis-keys';
import { clusterTarget, specQueuePrefix } from './support/test-env';
import { Receiver } from './support/receiver';
import { createTestWorker, eventually } from './support/worker';

// The service on a real three-master Redis Cluster (scripts/redis-cluster.sh, started by the
// global setup and .ci/run): each queue in a slot of its own, the queues over several nodes.
describe('queues on a Redis Cluster', () => {
  const cluster = clusterTarget();
  const env = {
    REDIS_CLUSTER_NODES: cluster.REDIS_CLUSTER_NODES,
    QUEUE_PREFIX: specQueuePrefix('cluster'),
  };
  let probe: Cluster;
  let t: TestApp;
  let worker: INestApplicationContext;
  let c: Clinic;

  beforeAll(async () => {
    probe = createProbeConnection(cluster) as Cluster;
    await probe.connect();
    t = await createTestApp(env);
    worker = await createTestWorker(env);
    c = await seedClinic(t.http);
  });
  afterAll(async () => {
    try {
      await worker?.close();
      await t?.close();
    } finally {
      probe?.disconnect();
      await deleteKeysOf(cluster, env.QUEUE_PREFIX);
    }
  });

  const slotOf = async (key: string) => Number(await probe.cluster('KEYSLOT', key));
  const nodeOfSlot = async (slot: number) => {
    const ranges = (await probe.cluster('SLOTS')) as unknown as [
      number,
      number,
      [string, number],
    ][];
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    return range ? `${range[2][0]}:${range[2][1]}` : 'unassigned';
  };

  it('gives every queue a hash slot of its own, spread over more than one node', async () => {
    // The default prefix, as production runs it (a random one may, rarely, land on one node).
    const slots = await Promise.all(
      QUEUES.map((q) => slotOf(`${queueKeyPrefix('sciatrack', q)}:${q}:wait`)),
    );
    expect(new Set(slots).size).toBe(QUEUES.length);
    const nodes = new Set(await Promise.all(slots.map(nodeOfSlot)));
    expect(nodes.size).toBeGreaterThan(1);
  });

  it('is ready, imports through the activity queue and rolls up the days', async () => {
    await t.http.get('/health/ready').expect(200);
    const imports = importsOf(t.http, c, t.db);
    const patient = await imports.patient('Europe/Paris');
    const done = await imports.run(patient.id, 'native', {
      source: { name: 'Phone' },
      samples: [{ start: '2026-11-02T08:00:00Z', end: '2026-11-02T09:00:00Z', steps: 4200 }],
    });
    expect(done).toMatchObject({ status: 'completed', inserted: 1 });
    const daily = await imports.daily(patient.id, '2026-11-02', '2026-11-02');
    expect(daily).toEqual([expect.objectContaining({ date: '2026-11-02', steps: 4200 })]);

    // Each key written lives on the node that owns its queue's slot.
    const placed: [string, string, string][] = [];
    await scanKeys(probe, keysOfPrefixPattern(env.QUEUE_PREFIX), (keys, node) => {
      for (const key of keys) placed.push([key, `${node.options.host}:${node.options.port}`, '']);
    });
    expect(placed.length).toBeGreaterThan(0);
    for (const entry of placed) entry[2] = await nodeOfSlot(await slotOf(entry[0]));
    for (const [, holder, owner] of placed) expect(holder).toBe(owner);
  });

  it('delivers an alert raised by a pain report through the webhooks queue', async () => {
    const receiver = new Receiver();
    await receiver.start();
    try {
      const f = factory(t.http);
      await f.webhookEndpoint(c.adminKey, { url: receiver.url('/cluster') });
      await f.painReport(c.appKey, c.patient.id, { redFlags: { fever: true } });
      const [got] = await eventually(
        () => Promise.resolve(receiver.at('/cluster').length > 0 && receiver.at('/cluster')),
        20_000,
        'the webhook',
      );
      expect(JSON.parse(got.body)).toMatchObject({
        type: 'alert.created',
        data: { patientId: c.patient.id, rule: 'RED_FLAG_SYSTEMIC' },
      });
    } finally {
      await receiver.stop();
    }
  });

  it("finds a worker process's heartbeat with the container health check", async () => {
    const own = { ...env, QUEUE_PREFIX: specQueuePrefix('cluster-hc') };
    const child = start('worker', own);
    try {
      const key = heartbeatKey(own.QUEUE_PREFIX, undefined, child.pid);
      const deadline = Date.now() + 20_000;
      while (!(await probe.exists(key)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await probe.exists(key)).toBe(1);
      expect((await finished(start('healthcheck', own), 10_000)).code).toBe(0);
    } finally {
      child.kill('SIGTERM');
      await finished(child);
      await deleteKeysOf(cluster, own.QUEUE_PREFIX);
    }
  });

  it('refuses a prefix with braces, which would put every queue in one slot', () => {
    expect(() => loadConfig({ ...process.env, QUEUE_PREFIX: '{sciatrack}' })).toThrow(
      /QUEUE_PREFIX/,
    );
  });
});
