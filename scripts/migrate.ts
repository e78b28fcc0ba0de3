// `npm run migration:run`: creates the database if it is missing, then applies pending
// migrations under the same advisory lock the services take at start-up.
import 'reflect-metadata';
import { failStartup, loadConfig } from '@app/config';
import { ensurePostgres, runPendingMigrations } from '@app/persistence';

async function main(): Promise<void> {
  const config = loadConfig();
  await ensurePostgres(config.DATABASE_URL);
  const applied = await runPendingMigrations(config);
  process.stdout.write(
    applied.length ? `applied ${applied.join(', ')}\n` : 'no pending migrations\n',
  );
}

main().catch((err: unknown) =>
  failStartup('migrate', err instanceof Error ? err.message : String(err)),
);
