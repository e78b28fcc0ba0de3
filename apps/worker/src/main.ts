import 'reflect-metadata';
import { closeOnSignals, failStartup, loadConfig } from '@app/config';
import { ensurePostgres, runPendingMigrations } from '@app/persistence';
import { ensureRedis } from '@app/queue';
import { createWorkerApp } from './worker.factory';

const PROCESS = 'worker';

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
  const app = await createWorkerApp(config);
  closeOnSignals(PROCESS, () => app.close());
  process.stdout.write(
    JSON.stringify({ level: 30, time: Date.now(), msg: 'sciatrack worker started' }) + '\n',
  );
}

main().catch((err: unknown) =>
  failStartup(PROCESS, `failed to start: ${err instanceof Error ? err.message : String(err)}`),
);
