import { redactUrl } from '@app/config';
import IORedis, { type RedisOptions } from 'ioredis';

/**
 * BullMQ workers block on Redis; `maxRetriesPerRequest: null` is what BullMQ requires so that a
 * blocking command is never failed by ioredis while Redis restarts.
 */
export function createWorkerConnection(redisUrl: string, options: RedisOptions = {}): IORedis {
  const connection = new IORedis(redisUrl, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    ...options,
  });
  connection.on('error', () => undefined); // BullMQ reports failures through its own events.
  return connection;
}

/**
 * Producers (the API) must not hang a request when Redis is away: commands fail fast instead,
 * and the outbox keeps what could not be enqueued.
 */
export function createProducerConnection(redisUrl: string, options: RedisOptions = {}): IORedis {
  const connection = new IORedis(redisUrl, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 3000,
    ...options,
  });
  connection.on('error', () => undefined);
  return connection;
}

/** Pings Redis once; on failure throws an error whose message names the URL and how to start it. */
export async function ensureRedis(redisUrl: string): Promise<void> {
  const probe = new IORedis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 3000,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      `cannot reach Redis at ${redactUrl(redisUrl)} (${reason}). ` +
        'Start it (for example: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no) ' +
        'or set REDIS_URL.',
    );
  } finally {
    probe.disconnect();
  }
}
