// Container health check of the worker: exits 0 if a worker of this host beat within the TTL.
import { loadConfig } from '@app/config';
import { heartbeatPattern } from '@app/queue';
import IORedis from 'ioredis';

async function main(): Promise<number> {
  const config = loadConfig();
  const redis = new IORedis(config.REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const pattern = heartbeatPattern(config.QUEUE_PREFIX);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length > 0) return 0;
      cursor = next;
    } while (cursor !== '0');
    return 1;
  } finally {
    redis.disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  () => process.exit(1),
);
