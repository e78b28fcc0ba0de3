import {
  connectRedis,
  createWorkerConnection,
  queueKeyPrefix,
  QUEUES,
  type QueueName,
  type RedisConnection,
  type RedisTarget,
} from '@app/queue';
import { Queue, Worker } from 'bullmq';
import { createTestApp, type TestApp } from './support/app';
import { bearer } from './support/factories';
import { deleteKeysOf } from './support/redis-keys';
import { clusterTarget, specQueuePrefix, TEST_ADMIN_TOKEN, testRedisUrl } from './support/test-env';
import { eventually } from './support/worker';

const basic = (password: string, user = 'operator'): Record<string, string> => ({
  Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

interface BoardQueue {
  name: string;
  counts: Record<string, number>;
  readOnlyMode: boolean;
  allowRetries: boolean;
}

describe('queue dashboard, when not enabled', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('is not there at all: 404, even with the operator token', async () => {
    for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
      const res = await t.http.get(path).set(bearer(TEST_ADMIN_TOKEN)).expect(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });
});

describe.each([
  ['one Redis', (): RedisTarget => ({ REDIS_URL: testRedisUrl() })],
  ['a Redis Cluster', (): RedisTarget => clusterTarget()],
])('queue dashboard on %s', (_label, target) => {
  const redis = target();
  const prefix = specQueuePrefix('board');
  let t: TestApp;
  const connections: RedisConnection[] = [];
  const opened: Queue[] = [];
  /** A queue of this spec's prefix, as a worker would open it. */
  const queueOf = (name: QueueName): Queue => {
    const connection = connectRedis(redis, {});
    connections.push(connection);
    const queue = new Queue(name, { connection, prefix: queueKeyPrefix(prefix, name) });
    opened.push(queue);
    return queue;
  };

  beforeAll(async () => {
    t = await createTestApp({
      QUEUE_DASHBOARD_ENABLED: 'true',
      QUEUE_PREFIX: prefix,
      REDIS_CLUSTER_NODES: redis.REDIS_CLUSTER_NODES ?? '',
    });
  });
  afterAll(async () => {
    try {
      await Promise.all(opened.map((q) => q.close()));
      // BullMQ leaves a connection it was given open.
      connections.forEach((c) => c.disconnect());
      await t?.close();
    } finally {
      await deleteKeysOf(redis, prefix);
    }
  });

  const queues = async (): Promise<BoardQueue[]> =>
    (await t.http.get('/admin/queues/api/queues').set(bearer(TEST_ADMIN_TOKEN)).expect(200)).body
      .queues;

  it('asks for the operator token, which a browser sends as the password of HTTP Basic', async () => {
    const refused = await t.http.get('/admin/queues').expect(401);
    expect(refused.headers['www-authenticate']).toMatch(/Basic realm="sciatrack queues"/);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    await t.http.get('/admin/queues/api/queues').expect(401);
    await t.http.get('/admin/queues').set(bearer('not-the-operator-token-0123')).expect(401);
    await t.http.get('/admin/queues').set(basic('not-the-operator-token-0123')).expect(401);
    await t.http.get('/admin/queues').set(basic('', TEST_ADMIN_TOKEN)).expect(401);

    const page = await t.http.get('/admin/queues').set(basic(TEST_ADMIN_TOKEN)).expect(200);
    expect(page.headers['content-type']).toMatch(/html/);
    // The page's scripts come from under the same path, behind the same token.
    const script = /src="(static\/js\/main[^"]+)"/.exec(page.text)?.[1];
    expect(script).toBeDefined();
    await t.http.get(`/admin/queues/${script}`).expect(401);
    await t.http.get(`/admin/queues/${script}`).set(basic(TEST_ADMIN_TOKEN)).expect(200);
    await t.http.get('/admin/queues').set(bearer(TEST_ADMIN_TOKEN)).expect(200);
  });

  it("lists every queue of the registry, with the jobs under each queue's own prefix", async () => {
    // Queued as the worker's side sees the queue: its prefix is the queue's hash tag.
    const queue = queueOf('adherence');
    await queue.add('adherence.period', { period: '2026-11-22T04' }, { jobId: 'board-probe' });
    const listed = await queues();
    expect(listed.map((q) => q.name).sort()).toEqual([...QUEUES].sort());
    expect(listed.find((q) => q.name === 'adherence')?.counts).toMatchObject({ waiting: 1 });
    expect(listed.find((q) => q.name === 'webhooks')?.counts).toMatchObject({ waiting: 0 });
    expect(listed.every((q) => !q.readOnlyMode && q.allowRetries)).toBe(true);
    await t.http.get('/admin/queues/api/redis/stats').set(bearer(TEST_ADMIN_TOKEN)).expect(200);
  });

  it('retries a failed job, and refuses what would remove jobs or stop a queue', async () => {
    const system = queueOf('system');
    const connection = createWorkerConnection(redis);
    connections.push(connection);
    const failing = new Worker('system', () => Promise.reject(new Error('the receiver was down')), {
      connection,
      prefix: queueKeyPrefix(prefix, 'system'),
    });
    try {
      await system.add('system.ping', { nonce: 'board' }, { jobId: 'board-failing' });
      await eventually(
        async () => (await system.getJobState('board-failing')) === 'failed',
        10_000,
        'the job failed',
      );
    } finally {
      await failing.close();
    }
    await t.http
      .put('/admin/queues/api/queues/system/board-failing/retry')
      .set(bearer(TEST_ADMIN_TOKEN))
      .expect(204);
    expect(await system.getJobState('board-failing')).toBe('waiting');

    for (const [method, path] of [
      ['put', '/admin/queues/api/queues/system/obliterate'],
      ['put', '/admin/queues/api/queues/system/empty'],
      ['put', '/admin/queues/api/queues/system/clean/completed'],
      ['put', '/admin/queues/api/queues/system/pause'],
      ['put', '/admin/queues/api/queues/pause'],
      ['put', '/admin/queues/api/queues/system/retry/completed'],
      ['put', '/admin/queues/api/queues/system/board-failing/clean'],
      ['patch', '/admin/queues/api/queues/system/board-failing/update-data'],
      ['post', '/admin/queues/api/queues/system/add'],
    ] as const) {
      const res = await t.http[method](path).set(bearer(TEST_ADMIN_TOKEN)).send({}).expect(405);
      expect(res.headers.allow).toBe('GET, HEAD');
    }
    expect(await system.getJobState('board-failing')).toBe('waiting');
    expect(await system.isPaused()).toBe(false);
  });
});
