import { tracing } from './tracing';
import { closeOnSignals, failStartup, loadConfig, systemClock } from '@app/config';
import { awaitSchema } from '@app/persistence';
import { ensureRedis } from '@app/queue';
import { createWorkerApp } from './worker.factory';

const PROCESS = 'worker';

function logLine(msg: string): void {
  process.stdout.write(JSON.stringify({ level: 30, time: systemClock.nowMs(), msg }) + '\n');
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
    await ensureRedis(config);
    // The worker never migrates: started beside the API on an empty server (npm start), it
    // waits for the API's migrations instead of racing them.
    await awaitSchema(config, config.MIGRATIONS_WAIT_MS, (reason) =>
      logLine(`sciatrack worker: waiting for the database schema (${reason})`),
    );
  } catch (err) {
    failStartup(PROCESS, err instanceof Error ? err.message : String(err));
  }
  const app = await createWorkerApp(config);
  closeOnSignals(PROCESS, async () => {
    await app.close();
    await tracing.shutdown();
  });
  logLine('sciatrack worker started');
}

main().catch((err: unknown) =>
  failStartup(PROCESS, `failed to start: ${err instanceof Error ? err.message : String(err)}`),
);
