// Global setup runs outside Jest's module mapper: resolve the @app/* aliases from tsconfig.
import 'tsconfig-paths/register';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { loadConfig } from '../libs/config/src';
import { runPendingMigrations } from '../libs/persistence/src/startup';
import { adminUrl, databaseUrlFor, TEST_ADMIN_TOKEN, testRedisUrl } from './support/test-env';

const PREFIX = 'sciatrack_test_';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Creates this run's database through the real migrations; drops those of dead runs. */
export default async function globalSetup(): Promise<void> {
  const name = `${PREFIX}${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1`,
      [`${PREFIX}%`],
    );
    for (const { datname } of rows) {
      const pid = Number(datname.slice(PREFIX.length).split('_')[0]);
      if (!isAlive(pid)) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }

  Object.assign(process.env, {
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrlFor(name),
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: `{sct-test-${process.pid}-${randomBytes(3).toString('hex')}}`,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    SCIATRACK_TEST_DATABASE: name,
  });
  await runPendingMigrations(loadConfig());
}
