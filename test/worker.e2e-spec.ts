import { Clock, loadConfig } from '@app/config';
import IORedis from 'ioredis';
import { heartbeatKey, JOB_NAMES, queueKeyPrefix } from '@app/queue';
import type { INestApplicationContext } from '@nestjs/common';
import { Queue, QueueEvents } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { HeartbeatService } from '../apps/worker/src/heartbeat/heartbeat.service';
import { JobRunnerService } from '../apps/worker/src/jobs/job-runner.service';
import { createWorkerApp } from '../apps/worker/src/worker.factory';
import { finished, start, waitForOutput } from './support/processes';
import { deleteKeysOf } from './support/redis-keys';
import { specQueuePrefix } from './support/test-env';

describe('worker', () => {
  const config = loadConfig();

  // A prefix of its own: the heartbeats of other specs' workers (same host) must not answer for
  // the worker under test.
  const own = { QUEUE_PREFIX: specQueuePrefix('hc') };
  const healthcheck = async (): Promise<number | null> =>
    (await finished(start('healthcheck', own), 10_000)).code;
  let child: ReturnType<typeof start> | undefined;
  afterAll(async () => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    await deleteKeysOf(config.REDIS_URL, own.QUEUE_PREFIX);
  });

  async function ping(queue: Queue, events: QueueEvents): Promise<unknown> {
    const nonce = randomUUID();
    const job = await queue.add('system.ping', { nonce });
    const result = await job.waitUntilFinished(events, 15_000);
    expect(result).toEqual({ pong: nonce });
    return result;
  }

  describe('in process', () => {
    // A prefix of its own too: a worker process of another spec, on the run's shared prefix,
    // could take the ping and be stopped with it (the job then stalls past the wait).
    const inProcess = loadConfig({
      ...process.env,
      QUEUE_PREFIX: specQueuePrefix('ip'),
    });
    let app: INestApplicationContext;
    let queue: Queue;
    let events: QueueEvents;

    beforeAll(async () => {
      app = await createWorkerApp(inProcess);
      queue = new Queue('system', {
        connection: { url: inProcess.REDIS_URL },
        prefix: queueKeyPrefix(inProcess.QUEUE_PREFIX, 'system'),
      });
      events = new QueueEvents('system', {
        connection: { url: inProcess.REDIS_URL },
        prefix: queueKeyPrefix(inProcess.QUEUE_PREFIX, 'system'),
      });
      await events.waitUntilReady();
    });
    afterAll(async () => {
      try {
        await Promise.all([queue?.close(), events?.close()]);
        await app?.close();
      } finally {
        await deleteKeysOf(inProcess.REDIS_URL, inProcess.QUEUE_PREFIX);
      }
    });

    it('is an application context with no HTTP server', () => {
      expect('getHttpServer' in app).toBe(false);
    });

    it('has a handler for every job of the registry', () => {
      const handlers = app.get(JobRunnerService).discoverHandlers();
      expect([...handlers.keys()].sort()).toEqual([...JOB_NAMES].sort());
    });

    it('processes a job from Redis', async () => {
      await ping(queue, events);
    });
  });

  it('beats as soon as it has started, not at the first interval', async () => {
    const prefix = specQueuePrefix('hb');
    const heartbeat = new HeartbeatService(
      loadConfig({ ...process.env, QUEUE_PREFIX: prefix }),
      new Clock(),
    );
    const redis = new IORedis(config.REDIS_URL);
    try {
      // Right after construction, while its connection is still connecting.
      await heartbeat.onApplicationBootstrap();
      expect(await redis.ttl(heartbeatKey(prefix))).toBeGreaterThan(0);
    } finally {
      await heartbeat.onApplicationShutdown();
      await redis.quit();
    }
  });

  it('runs as its own process, processes jobs and exits 0 on SIGTERM', async () => {
    child = start('worker', own);
    await waitForOutput(child, /sciatrack worker started/);
    const queue = new Queue('system', {
      connection: { url: config.REDIS_URL },
      prefix: queueKeyPrefix(own.QUEUE_PREFIX, 'system'),
    });
    const events = new QueueEvents('system', {
      connection: { url: config.REDIS_URL },
      prefix: queueKeyPrefix(own.QUEUE_PREFIX, 'system'),
    });
    try {
      await events.waitUntilReady();
      await ping(queue, events);
    } finally {
      await Promise.all([queue.close(), events.close()]);
    }
    expect(await healthcheck()).toBe(0);
    child.kill('SIGTERM');
    const result = await finished(child);
    expect(result).toMatchObject({ code: 0, signal: null });
    // A stopped worker no longer passes its container health check.
    expect(await healthcheck()).toBe(1);
    expect(result.stdout).toMatch(/SIGTERM, shutting down/);
    expect(result.stderr).toBe('');
  });
});
