import { Client } from 'pg';
import { deleteKeysOf } from './support/redis-keys';
import { clusterTarget, maintenanceUrl, runQueuePrefix, testRedisUrl } from './support/test-env';

/** Drops this run's database and Redis keys, so the suite can run again and again. */
export default async function globalTeardown(): Promise<void> {
  const name = process.env.SCIATRACK_TEST_DATABASE;
  if (name && process.env.KEEP_TEST_DATABASE !== 'true') {
    const admin = new Client({ connectionString: maintenanceUrl() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
    await admin.end();
  }
  // The run's shared prefix and any its specs left behind (each spec deletes its own).
  if (process.env.SCIATRACK_TEST_RUN) {
    await deleteKeysOf(testRedisUrl(), runQueuePrefix());
    await deleteKeysOf(clusterTarget(), runQueuePrefix());
  }
}
