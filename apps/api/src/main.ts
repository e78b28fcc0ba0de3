import 'reflect-metadata';
import { closeOnSignals, failStartup, loadConfig } from '@app/config';
import { ensurePostgres, runPendingMigrations } from '@app/persistence';
import { ensureRedis } from '@app/queue';
import { createApiApp } from './app.factory';

const PROCESS = 'api';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
    await ensurePostgres(config.DATABASE_URL);
    await ensureRedis(config.REDIS_URL);
    if (config.MIGRATIONS_RUN) await runPendingMigrations(config);
  } catch (err) {
    failStartup(PROCESS, err instanceof Error ? err.message : String(err));
  }
  const app = await createApiApp(config);
  closeOnSignals(PROCESS, () => app.close());
  await app.listen(config.PORT);
  process.stdout.write(
    JSON.stringify({
      level: 30,
      time: Date.now(),
      msg: `sciatrack api listening on port ${config.PORT}`,
    }) + '\n',
  );
}

main().catch((err: unknown) =>
  failStartup(PROCESS, `failed to start: ${err instanceof Error ? err.message : String(err)}`),
);
