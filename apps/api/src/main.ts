import { tracing } from './tracing';
import { closeOnSignals, failStartup, loadConfig, systemClock } from '@app/config';
import { awaitSchema, prepareDatabase } from '@app/persistence';
import { ensureRedis } from '@app/queue';
import { createApiApp } from './app.factory';

const PROCESS = 'api';

function logLine(msg: string): void {
  process.stdout.write(JSON.stringify({ level: 30, time: systemClock.nowMs(), msg }) + '\n');
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
    // The API migrates (as the owner) and then serves as the runtime role; without
    // MIGRATIONS_RUN it waits for whoever migrates, as the worker does.
    if (config.MIGRATIONS_RUN) await prepareDatabase(config);
    await awaitSchema(config, config.MIGRATIONS_RUN ? 0 : config.MIGRATIONS_WAIT_MS, (reason) =>
      logLine(`sciatrack api: waiting for the database schema (${reason})`),
    );
    await ensureRedis(config);
  } catch (err) {
    failStartup(PROCESS, err instanceof Error ? err.message : String(err));
  }
  const app = await createApiApp(config);
  closeOnSignals(PROCESS, async () => {
    await app.close();
    await tracing.shutdown();
  });
  await app.listen(config.PORT);
  logLine(`sciatrack api listening on port ${config.PORT}`);
}

main().catch((err: unknown) =>
  failStartup(PROCESS, `failed to start: ${err instanceof Error ? err.message : String(err)}`),
);
