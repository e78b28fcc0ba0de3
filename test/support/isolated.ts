import { loadConfig } from '@app/config';
import { ensurePostgres, runPendingMigrations } from '@app/persistence';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { deleteKeysOf } from './redis-keys';
import { adminUrl, databaseUrlFor, testRedisUrl } from './test-env';

export interface Isolated {
  /** Environment overrides for apps and workers of this spec. */
  env: Record<string, string>;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
}

/**
 * A database and a queue prefix of a spec's own, for specs whose workers must not meet other
 * specs' workers: any worker relays any outbox row of its database and takes any job of its
 * prefix, with its own settings.
 */
export function isolated(label: string, extra: Record<string, string> = {}): Isolated {
  const name = `${process.env.SCIATRACK_TEST_DATABASE}_${label}`;
  const prefix = `{sct-${label}-${randomBytes(3).toString('hex')}}`;
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrlFor(name),
    QUEUE_PREFIX: prefix,
    ...extra,
  };
  return {
    env,
    async setUp() {
      await ensurePostgres(env.DATABASE_URL);
      await runPendingMigrations(loadConfig({ ...process.env, ...env }));
    },
    async tearDown() {
      const admin = new Client({ connectionString: adminUrl() });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
      await deleteKeysOf(env.REDIS_URL ?? testRedisUrl(), prefix);
    },
  };
}
