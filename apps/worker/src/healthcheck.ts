// Container health check of the worker: exits 0 if this host's worker beat within the TTL.
import { loadConfig } from '@app/config';
import { heartbeatKey } from '@app/queue';
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
    return (await redis.exists(heartbeatKey(config.QUEUE_PREFIX))) === 1 ? 0 : 1;
  } finally {
    redis.disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  () => process.exit(1),
);
