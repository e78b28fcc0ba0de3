import { redactUrl } from '@app/config';
import IORedis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';

/** A connection to one Redis or to a Redis Cluster: BullMQ and our own keys take either. */
export type RedisConnection = IORedis | Cluster;

/** Where Redis is: REDIS_URL, or the seed nodes of a cluster when REDIS_CLUSTER_NODES is set. */
export interface RedisTarget {
  REDIS_URL: string;
  REDIS_CLUSTER_NODES?: string;
}

function clusterSeeds(nodes: string): {
  seeds: { host: string; port: number }[];
  base: RedisOptions;
} {
  const urls = nodes.split(',').map((u) => new URL(u.trim()));
  const first = urls[0];
  const base: RedisOptions = {
    ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
    ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
    ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  return {
    seeds: urls.map((u) => ({ host: u.hostname, port: Number(u.port || 6379) })),
    base,
  };
}

/** Describes the target without credentials, for error messages. */
export function describeRedis(target: RedisTarget): string {
  if (!target.REDIS_CLUSTER_NODES) return redactUrl(target.REDIS_URL);
  const { seeds } = clusterSeeds(target.REDIS_CLUSTER_NODES);
  return `the cluster of ${seeds.map((s) => `${s.host}:${s.port}`).join(', ')}`;
}

/**
 * Opens a connection to the target. On a cluster, `options` go to each node's connection and
 * `clusterOptions` to the cluster client (the offline queue is a cluster-level setting there).
 */
export function connectRedis(
  target: RedisTarget,
  options: RedisOptions,
  clusterOptions: ClusterOptions = {},
): RedisConnection {
  if (!target.REDIS_CLUSTER_NODES) return new IORedis(target.REDIS_URL, options);
  const { seeds, base } = clusterSeeds(target.REDIS_CLUSTER_NODES);
  const { enableOfflineQueue, enableReadyCheck, lazyConnect, maxRetriesPerRequest, ...node } =
    options;
  return new Cluster(seeds, {
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(enableReadyCheck === undefined ? {} : { enableReadyCheck }),
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    ...clusterOptions,
    redisOptions: { ...base, ...node, maxRetriesPerRequest },
  });
}

/**
 * BullMQ workers block on Redis; `maxRetriesPerRequest: null` is what BullMQ requires so that a
 * blocking command is never failed by ioredis while Redis restarts.
 */
export function createWorkerConnection(
  target: RedisTarget,
  options: RedisOptions = {},
): RedisConnection {
  const connection = connectRedis(target, {
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
export function createProducerConnection(
  target: RedisTarget,
  options: RedisOptions = {},
): RedisConnection {
  const connection = connectRedis(target, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 3000,
    ...options,
  });
  connection.on('error', () => undefined);
  return connection;
}

/** A short-lived connection that gives up at once: probes, health checks, test support. */
export function createProbeConnection(target: RedisTarget, connectTimeout = 3000): RedisConnection {
  const connection = connectRedis(
    target,
    {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      connectTimeout,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    },
    { clusterRetryStrategy: () => null },
  );
  connection.on('error', () => undefined);
  return connection;
}

/**
 * The nodes a key scan must visit: the one server, or every master of a cluster (a SCAN only
 * sees the keys of the node it runs on).
 */
export function scanNodes(redis: RedisConnection): IORedis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

/** Calls `each` with the keys matching `pattern`, batch by batch, on every node that holds keys. */
export async function scanKeys(
  redis: RedisConnection,
  pattern: string,
  each: (keys: string[], node: IORedis) => Promise<unknown> | void,
): Promise<void> {
  for (const node of scanNodes(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length) await each(keys, node);
      cursor = next;
    } while (cursor !== '0');
  }
}

/** Pings Redis once; on failure throws an error whose message names the target and how to start it. */
export async function ensureRedis(target: RedisTarget): Promise<void> {
  const probe = createProbeConnection(target);
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      `cannot reach Redis at ${describeRedis(target)} (${reason}). ` +
        (target.REDIS_CLUSTER_NODES
          ? 'Check that the nodes of REDIS_CLUSTER_NODES run and that the cluster is formed.'
          : 'Start it (for example: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no) ' +
            'or set REDIS_URL.'),
    );
  } finally {
    probe.disconnect();
  }
}
