// Global setup runs outside Jest's module mapper: resolve the @app/* aliases from tsconfig.
import 'tsconfig-paths/register';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadConfig, withDatabase } from '../libs/config/src';
import { prepareDatabase } from '../libs/persistence/src/startup';
import { deleteKeysOf, queuePrefixesOf } from './support/redis-keys';
import { ensureReplica } from './support/replica';
import { clusterTarget, maintenanceUrl, TEST_ADMIN_TOKEN } from './support/test-env';

// Databases and roles of a run are named after it: sciatrack_test_<pid>_<random>[_<spec>], and
// its queue prefixes sct-<pid>-<random>[-<spec>-<random>].
const PREFIX = 'sciatrack_test_';
const QUEUE_PREFIX_OF_RUN = /^sct-(\d+)-[0-9a-f]+/;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The local Redis Cluster of the cluster specs (scripts/redis-cluster.sh, which .ci/run starts
 * too): reused when formed, created when not. REDIS_TEST_CLUSTER_NODES names another one.
 */
function ensureTestCluster(): string {
  if (process.env.REDIS_TEST_CLUSTER_NODES) return process.env.REDIS_TEST_CLUSTER_NODES;
  const script = join(__dirname, '..', 'scripts', 'redis-cluster.sh');
  return execFileSync('bash', [script, 'start'], { encoding: 'utf8' }).trim();
}

/** Drops the databases, roles and queue keys of runs that died before their teardown. */
async function dropDeadRuns(redisUrl: string): Promise<void> {
  for (const redis of [redisUrl, clusterTarget()]) {
    for (const prefix of await queuePrefixesOf(redis, QUEUE_PREFIX_OF_RUN)) {
      const pid = Number(QUEUE_PREFIX_OF_RUN.exec(prefix)?.[1]);
      if (!isAlive(pid)) await deleteKeysOf(redis, prefix);
    }
  }
  const admin = new Client({ connectionString: maintenanceUrl() });
  await admin.connect();
  try {
    const deadRun = (name: string) => !isAlive(Number(name.slice(PREFIX.length).split('_')[0]));
    const databases = await admin.query<{ name: string }>(
      `SELECT datname AS name FROM pg_database WHERE datname LIKE $1`,
      [`${PREFIX}%`],
    );
    for (const { name } of databases.rows.filter((d) => deadRun(d.name)))
      await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
    const roles = await admin.query<{ name: string }>(
      `SELECT rolname AS name FROM pg_roles WHERE rolname LIKE $1`,
      [`${PREFIX}%`],
    );
    for (const { name } of roles.rows.filter((r) => deadRun(r.name)))
      await admin
        .query(`DROP ROLE IF EXISTS ${admin.escapeIdentifier(name)}`)
        .catch(() => undefined);
  } finally {
    await admin.end();
  }
}

/**
 * Creates this run's database through the real start-up path (owner, runtime role, migrations,
 * grants) on the server of DATABASE_URL, and picks a queue prefix of its own on REDIS_URL. Makes
 * sure the streaming replica of that server runs, for the read-replica spec.
 */
export default async function globalSetup(): Promise<void> {
  const base = loadConfig({ ...process.env, NODE_ENV: 'test' });
  if (!base.DATABASE_OWNER_URL) throw new Error('the tests need DATABASE_OWNER_URL');
  const run = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const name = `${PREFIX}${run.replace('-', '_')}`;
  Object.assign(process.env, {
    NODE_ENV: 'test',
    DATABASE_URL: withDatabase(base.DATABASE_URL, name),
    DATABASE_OWNER_URL: withDatabase(base.DATABASE_OWNER_URL, name),
    REDIS_URL: base.REDIS_URL,
    SCIATRACK_TEST_RUN: run,
    QUEUE_PREFIX: `sct-${run}`,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    SCIATRACK_TEST_DATABASE: name,
    REDIS_TEST_CLUSTER_NODES: ensureTestCluster(),
    // Specs read their own writes; only the read-replica spec sets a replica, its own.
    DATABASE_REPLICA_URL: '',
  });
  await dropDeadRuns(base.REDIS_URL);
  // Before the run's database: made after the replica, it reaches it by streaming.
  const replicaError = await ensureReplica();
  if (replicaError) process.env.SCIATRACK_TEST_REPLICA_ERROR = replicaError;
  await prepareDatabase(loadConfig());
}
