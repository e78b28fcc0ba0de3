import IORedis from 'ioredis';

/** Scans the keys matching `pattern`; a Redis that is gone has none. */
async function scanKeys(
  redisUrl: string,
  pattern: string,
  each: (keys: string[], redis: IORedis) => Promise<unknown> | void,
): Promise<void> {
  const redis = new IORedis(redisUrl, { lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length) await each(keys, redis);
      cursor = next;
    } while (cursor !== '0');
  } catch {
    // Nothing of it is kept on disk either.
  } finally {
    redis.disconnect();
  }
}

/** Deletes every key of a queue prefix. */
export async function deleteKeysOf(redisUrl: string, prefix: string): Promise<void> {
  await scanKeys(redisUrl, `${prefix}*`, (keys, redis) => redis.del(...keys));
}

/** The distinct queue prefixes (`{…}`) of the keys whose prefix matches `pattern`. */
export async function queuePrefixesOf(redisUrl: string, pattern: RegExp): Promise<string[]> {
  const prefixes = new Set<string>();
  await scanKeys(redisUrl, '{*}*', (keys) => {
    for (const key of keys) {
      const prefix = /^\{[^}]*\}/.exec(key)?.[0];
      if (prefix && pattern.test(prefix)) prefixes.add(prefix);
    }
  });
  return [...prefixes];
}
