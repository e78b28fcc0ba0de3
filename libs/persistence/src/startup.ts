import { type AppConfig, postgresTarget, redactUrl, withDatabase } from '@app/config';
import { MIGRATIONS } from '@app/migrations';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';
import { ensureRuntimeRole, grantRuntimeRole } from './database-roles';
import { sqlState } from './sql-errors';

const CONNECT_TIMEOUT_MS = 5000;
const SCHEMA_POLL_MS = 500;
// Any constant works; it only has to be the same in every process that migrates.
const MIGRATION_LOCK_KEY = 7_301_946_201;

// Answers of a server that is up but not provisioned yet (the process that migrates is on
// it): no database, no role (a password server says "password authentication failed" for a
// role it does not know), no migrations table, no privileges yet.
const NOT_PROVISIONED = new Set(['3D000', '28000', '28P01', '42P01', '42501']);

export class ServiceUnreachableError extends Error {}

type DatabaseSettings = Pick<
  AppConfig,
  'DATABASE_URL' | 'DATABASE_OWNER_URL' | 'DATABASE_POOL_SIZE'
>;

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = sqlState(err);
    return code && !err.message.includes(code) ? `${code} ${err.message}` : err.message;
  }
  return String(err);
}

function unreachable(url: string, setting: string, err: unknown): ServiceUnreachableError {
  return new ServiceUnreachableError(
    `cannot reach PostgreSQL at ${redactUrl(url)} (${describe(err)}). ` +
      'Start it (for example: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) ' +
      `or set ${setting}.`,
  );
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
}

/** The names TypeORM records for this build's migrations, oldest first. */
function knownMigrations(): string[] {
  return MIGRATIONS.map((Migration) => new Migration().name ?? Migration.name);
}

/**
 * Connects as the owner to the database of `ownerUrl`, creating the database when it is
 * missing (a fresh development machine has the server but not the `sciatrack` database).
 */
async function connectCreatingDatabase(ownerUrl: string): Promise<Client> {
  try {
    return await connect(ownerUrl);
  } catch (err) {
    if (sqlState(err) !== '3D000') throw unreachable(ownerUrl, 'DATABASE_OWNER_URL', err);
  }
  const { database } = postgresTarget(ownerUrl);
  const maintenance = await connect(withDatabase(ownerUrl, 'postgres')).catch((err: unknown) => {
    throw unreachable(ownerUrl, 'DATABASE_OWNER_URL', err);
  });
  try {
    await maintenance.query(`CREATE DATABASE ${maintenance.escapeIdentifier(database)}`);
  } catch (err) {
    // Another process created it a moment ago: 42P04, or 23505 when both inserted into
    // pg_database at once.
    if (sqlState(err) !== '42P04' && sqlState(err) !== '23505') {
      throw new ServiceUnreachableError(
        `database "${database}" does not exist at ${redactUrl(ownerUrl)} and could not be created ` +
          `(${describe(err)}). Create it, or give the role of DATABASE_OWNER_URL the CREATEDB privilege.`,
      );
    }
  } finally {
    await maintenance.end().catch(() => undefined);
  }
  return connect(ownerUrl).catch((err: unknown) => {
    throw unreachable(ownerUrl, 'DATABASE_OWNER_URL', err);
  });
}

/**
 * The owner's part of a start (the API with MIGRATIONS_RUN, `npm run migration:run`): creates
 * the database and the runtime role if missing, then, under a PostgreSQL advisory lock so that
 * processes starting together never run a migration twice, applies pending migrations and
 * grants the runtime role. Returns the names of the migrations it applied.
 */
export async function prepareDatabase(config: DatabaseSettings): Promise<string[]> {
  const ownerUrl = config.DATABASE_OWNER_URL;
  if (!ownerUrl) {
    throw new ServiceUnreachableError(
      'migrations run as the owner of the schema: set DATABASE_OWNER_URL, or MIGRATIONS_RUN=false ' +
        'to wait for npm run migration:run (see "Database roles" in the README)',
    );
  }
  const owner = await connectCreatingDatabase(ownerUrl);
  const dataSource = new DataSource({
    ...dataSourceOptions(config, ownerUrl),
    extra: { max: 2, connectionTimeoutMillis: CONNECT_TIMEOUT_MS },
  });
  try {
    const runtimeRole = await ensureRuntimeRole(owner, config.DATABASE_URL);
    await owner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    // Default privileges first, so that each table a migration creates is usable at once.
    await grantRuntimeRole(owner, runtimeRole);
    await dataSource.initialize();
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    await grantRuntimeRole(owner, runtimeRole);
    return applied.map((m) => m.name);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await owner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await owner.end().catch(() => undefined);
  }
}

/**
 * What keeps the runtime role from serving yet, or null when it may: the database, the role,
 * the privileges and every migration this build knows are there. A server that does not answer,
 * or a runtime role that is a superuser or owns something, is an error: waiting will not fix it.
 */
async function schemaShortfall(runtimeUrl: string): Promise<string | null> {
  let client: Client;
  try {
    client = await connect(runtimeUrl);
  } catch (err) {
    if (NOT_PROVISIONED.has(sqlState(err) ?? '')) return describe(err);
    throw unreachable(runtimeUrl, 'DATABASE_URL', err);
  }
  try {
    const {
      rows: [role],
    } = await client.query<{ name: string; superuser: boolean; owns: boolean }>(
      `SELECT rolname AS name, rolsuper AS superuser,
              EXISTS (SELECT 1 FROM pg_shdepend WHERE refobjid = r.oid AND deptype = 'o') AS owns
       FROM pg_roles r WHERE rolname = current_user`,
    );
    if (role.superuser || role.owns) {
      throw new Error(
        `DATABASE_URL connects as "${role.name}", which ${role.superuser ? 'is a superuser' : 'owns database objects'}; ` +
          'the service must run as a role that owns nothing (see "Database roles" in the README)',
      );
    }
    const { rows } = await client.query<{ name: string }>('SELECT name FROM migrations');
    const applied = new Set(rows.map((r) => r.name));
    const known = knownMigrations();
    const missing = known.filter((name) => !applied.has(name));
    if (missing.length === 0) return null;
    return `${known.length - missing.length} of ${known.length} migrations applied, next ${missing[0]}`;
  } catch (err) {
    if (NOT_PROVISIONED.has(sqlState(err) ?? '')) return describe(err);
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Waits, at most `timeoutMs`, until the runtime role of DATABASE_URL can serve: the schema holds
 * every migration this build knows, applied by the owner (the API or `npm run migration:run`).
 * The worker never migrates: it waits here, so that an API and a worker started together on an
 * empty server do not race to create the database and apply the migrations.
 */
export async function awaitSchema(
  config: Pick<AppConfig, 'DATABASE_URL'>,
  timeoutMs: number,
  onWait: (reason: string) => void = () => undefined,
): Promise<void> {
  // Elapsed time, not the time of day: the monotonic clock.
  const deadline = performance.now() + timeoutMs;
  let reported = false;
  for (;;) {
    const shortfall = await schemaShortfall(config.DATABASE_URL);
    if (shortfall === null) return;
    if (performance.now() >= deadline) {
      throw new ServiceUnreachableError(
        `the database at ${redactUrl(config.DATABASE_URL)} is not ready for the runtime role` +
          `${timeoutMs > 0 ? ` after ${Math.round(timeoutMs / 1000)} s` : ''} (${shortfall}). ` +
          'The API applies the migrations at start (MIGRATIONS_RUN=true), or run npm run migration:run; ' +
          'MIGRATIONS_WAIT_MS sets how long to wait.',
      );
    }
    if (!reported) onWait(shortfall);
    reported = true;
    await new Promise((resolve) => setTimeout(resolve, SCHEMA_POLL_MS));
  }
}
