// `npm run migration:run`: as the owner of DATABASE_OWNER_URL, creates the database and the
// runtime role of DATABASE_URL if missing, applies pending migrations and grants the runtime
// role, under the same advisory lock the API takes at start-up.
import 'reflect-metadata';
import { failStartup, loadConfig } from '@app/config';
import { awaitSchema, prepareDatabase } from '@app/persistence';

async function main(): Promise<void> {
  const config = loadConfig();
  const applied = await prepareDatabase(config);
  // Proves the runtime role can serve: it logs in, owns nothing and sees every migration.
  await awaitSchema(config, 0);
  process.stdout.write(
    applied.length ? `applied ${applied.join(', ')}\n` : 'no pending migrations\n',
  );
}

main().catch((err: unknown) =>
  failStartup('migrate', err instanceof Error ? err.message : String(err)),
);
