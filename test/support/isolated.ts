import { loadConfig } from '@app/config';
import { prepareDatabase } from '@app/persistence';
import { Client } from 'pg';
import { deleteKeysOf } from './redis-keys';
import {
  maintenanceUrl,
  ownerUrlFor,
  runtimeUrlFor,
  specQueuePrefix,
  testRedisUrl,
} from './test-env';

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
  const prefix = specQueuePrefix(label);
  const env: Record<string, string> = {
    DATABASE_URL: runtimeUrlFor(name),
    DATABASE_OWNER_URL: ownerUrlFor(name),
    QUEUE_PREFIX: prefix,
    ...extra,
  };
  return {
    env,
    async setUp() {
      await prepareDatabase(loadConfig({ ...process.env, ...env }));
    },
    async tearDown() {
      const admin = new Client({ connectionString: maintenanceUrl() });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
      await admin.end();
      await deleteKeysOf(env.REDIS_URL ?? testRedisUrl(), prefix);
    },
  };
}
