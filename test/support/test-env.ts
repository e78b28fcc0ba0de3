// Shared by the global setup and every spec. A run uses the server and roles that DATABASE_URL
// (runtime role), DATABASE_OWNER_URL (owner) and REDIS_URL name, as the service would; only the
// database and the queue prefix are its own. The global setup records them in the environment
// variables that Jest's workers and the processes they start inherit.
import { randomBytes } from 'node:crypto';
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

/** The run's local Redis Cluster (the global setup starts it), as a Redis target. */
export function clusterTarget(): { REDIS_URL: string; REDIS_CLUSTER_NODES: string } {
  const nodes = process.env.REDIS_TEST_CLUSTER_NODES;
  if (!nodes) throw new Error('REDIS_TEST_CLUSTER_NODES is unset: run the specs through jest');
  return { REDIS_URL: testRedisUrl(), REDIS_CLUSTER_NODES: nodes };
}

/** The queue prefix of the run, which starts every spec's own: `sct-<pid>-<random>`. */
export function runQueuePrefix(): string {
  return `sct-${process.env.SCIATRACK_TEST_RUN}`;
}

/**
 * A queue prefix of a spec's own (a worker of its own that no other spec's worker may meet).
 * The spec deletes its keys; the run's teardown would find any it left behind.
 */
export function specQueuePrefix(label: string): string {
  return `${runQueuePrefix()}-${label}-${randomBytes(3).toString('hex')}`;
}
