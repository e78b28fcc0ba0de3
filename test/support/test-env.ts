// Shared by the global setup and every spec. A run uses the server and roles that DATABASE_URL
// (runtime role), DATABASE_OWNER_URL (owner) and REDIS_URL name, as the service would; only the
// database and the queue prefix are its own. The global setup records them in the environment
// variables that Jest's workers and the processes they start inherit.
import { loadConfig, withDatabase } from '../../libs/config/src';

export const TEST_ADMIN_TOKEN = 'test-operator-token-0123456789abcdef';

function ownerUrl(): string {
  const url = loadConfig().DATABASE_OWNER_URL;
  if (!url) throw new Error('the tests need DATABASE_OWNER_URL (they create databases)');
  return url;
}

/** The runtime role on another database of the run's server. */
export function runtimeUrlFor(database: string): string {
  return withDatabase(loadConfig().DATABASE_URL, database);
}

/** The owner on another database of the run's server. */
export function ownerUrlFor(database: string): string {
  return withDatabase(ownerUrl(), database);
}

/** The owner on the server's `postgres` database: creates and drops the run's databases. */
export function maintenanceUrl(): string {
  return ownerUrlFor('postgres');
}

export function testRedisUrl(): string {
  return loadConfig().REDIS_URL;
}
