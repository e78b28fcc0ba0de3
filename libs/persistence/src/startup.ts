import { type AppConfig, redactUrl } from '@app/config';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';

const CONNECT_TIMEOUT_MS = 5000;
// Any constant works; it only has to be the same in every process that migrates.
const MIGRATION_LOCK_KEY = 7_301_946_201;

export class ServiceUnreachableError extends Error {}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    return code && !err.message.includes(code) ? `${code} ${err.message}` : err.message;
  }
  return String(err);
}

/**
 * Checks that PostgreSQL answers at the configured URL. A missing database is created (a
 * fresh development machine has the server but not the `sciatrack` database); any other
 * failure becomes one line that names the URL and how to start the server.
 */
export async function ensurePostgres(databaseUrl: string): Promise<void> {
  const client = new Client({
    connectionString: databaseUrl,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return;
  } catch (err) {
    if ((err as { code?: string }).code === '3D000') {
      await createDatabase(databaseUrl);
      return;
    }
    throw new ServiceUnreachableError(
      `cannot reach PostgreSQL at ${redactUrl(databaseUrl)} (${describe(err)}). ` +
        'Start it (for example: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) ' +
        'or set DATABASE_URL.',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function createDatabase(databaseUrl: string): Promise<void> {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const client = new Client({
    connectionString: maintenance.toString(),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (err) {
    // Another process may have created it a moment ago.
    if ((err as { code?: string }).code === '42P04') return;
    throw new ServiceUnreachableError(
      `database "${name}" does not exist at ${redactUrl(databaseUrl)} and could not be created (${describe(err)}). ` +
        'Create it or set DATABASE_URL.',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Applies pending migrations before the application starts, under a PostgreSQL advisory lock,
 * so that an API and a worker starting together (or N replicas) never run one twice.
 */
export async function runPendingMigrations(
  config: Pick<AppConfig, 'DATABASE_URL' | 'DATABASE_POOL_SIZE'>,
): Promise<string[]> {
  const lock = new Client({
    connectionString: config.DATABASE_URL,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  lock.on('error', () => undefined);
  await lock.connect();
  const dataSource = new DataSource({ ...dataSourceOptions(config), extra: { max: 2 } });
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await dataSource.initialize();
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.end().catch(() => undefined);
  }
}
