import { createProbeConnection, type RedisTarget, scanKeys } from '@app/queue';

function targetOf(redis: string | RedisTarget): RedisTarget {
  return typeof redis === 'string' ? { REDIS_URL: redis } : redis;
}

/** Runs `each` over the keys matching `pattern` on every node; a Redis that is gone has none. */
async function eachKey(
  redis: string | RedisTarget,
  pattern: string,
  each: Parameters<typeof scanKeys>[2],
): Promise<void> {
  const connection = createProbeConnection(targetOf(redis));
  try {
    await connection.connect();
    await scanKeys(connection, pattern, each);
  } catch {
    // Nothing of it is kept on disk either.
  } finally {
    connection.disconnect();
  }
}

/**
 * Deletes every key of a queue prefix and of the prefixes it starts (a run's prefix starts its
 * specs' ones). One key per command: on a cluster, keys of one node may sit in different slots.
 */
export async function deleteKeysOf(redis: string | RedisTarget, prefix: string): Promise<void> {
  await eachKey(redis, `{${prefix}*`, async (keys, node) => {
    const pipeline = node.pipeline();
    for (const key of keys) pipeline.unlink(key);
    await pipeline.exec();
  });
}

/** The distinct queue prefixes (inside `{…}`, before any `:`) of the keys matching `pattern`. */
export async function queuePrefixesOf(
  redis: string | RedisTarget,
  pattern: RegExp,
): Promise<string[]> {
  const prefixes = new Set<string>();
  await eachKey(redis, '{*}*', (keys) => {
    for (const key of keys) {
      const prefix = /^\{([^:}]*)/.exec(key)?.[1];
      if (prefix && pattern.test(prefix)) prefixes.add(prefix);
    }
  });
  return [...prefixes];
}
