import IORedis from 'ioredis';

/** Deletes every key of a queue prefix; a Redis that is gone already has nothing to delete. */
export async function deleteKeysOf(redisUrl: string, prefix: string): Promise<void> {
  const redis = new IORedis(redisUrl, { lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch {
    // Nothing of it is kept on disk either.
  } finally {
    redis.disconnect();
  }
}
