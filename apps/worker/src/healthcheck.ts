// Container health check of the worker: exits 0 if a worker of this host beat within the TTL.
import { loadConfig } from '@app/config';
import { createProbeConnection, heartbeatPattern, scanKeys } from '@app/queue';

async function main(): Promise<number> {
  const config = loadConfig();
  const redis = createProbeConnection(config, 2000);
  try {
    await redis.connect();
    let beats = 0;
    await scanKeys(redis, heartbeatPattern(config.QUEUE_PREFIX), (keys) => {
      beats += keys.length;
    });
    return beats > 0 ? 0 : 1;
  } finally {
    redis.disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  () => process.exit(1),
);
