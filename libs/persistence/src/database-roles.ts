import { postgresTarget } from '@app/config';
import { Client } from 'pg';
import { sqlState } from './sql-errors';

// Every table of the schema gets the runtime role's DML by default, so that a table a future
// migration creates is usable without the migration remembering a GRANT. These tables get less.
const NARROWED_TABLES: Record<string, string> = {
  // Append-only: without UPDATE, DELETE or TRUNCATE the runtime role cannot even try, and not
  // owning the table it cannot disable the trigger that refuses them either.
  audit_log: 'SELECT, INSERT',
  // Append-only too: an entry is voided (an UPDATE its trigger checks), never deleted.
  care_time_entries: 'SELECT, INSERT, UPDATE',
  // TypeORM's list of applied migrations: read to know that the schema is ready; only the owner
  // writes it.
  migrations: 'SELECT',
};

// The functions the runtime role may call (EXECUTE is revoked from PUBLIC): each runs as the
// owner for one narrow task the runtime role may not do itself.
const RUNTIME_FUNCTIONS = [
  // Creates activity_samples' monthly partitions (creating a table takes the owner).
  'ensure_activity_sample_partitions(date, date)',
];

/**
 * Creates the runtime role of `runtimeUrl` if it is missing: it may log in, and nothing more
 * (no superuser, CREATEDB, CREATEROLE, replication or RLS bypass, member of no role). A role that
 * exists is left as it is, password included.
 */
export async function ensureRuntimeRole(owner: Client, runtimeUrl: string): Promise<string> {
  const role = postgresTarget(runtimeUrl).role;
  const password = decodeURIComponent(new URL(runtimeUrl).password);
  const { rowCount } = await owner.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  if (rowCount) return role;
  try {
    await owner.query(
      `CREATE ROLE ${owner.escapeIdentifier(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE ` +
        `NOREPLICATION NOBYPASSRLS${password ? ` PASSWORD ${owner.escapeLiteral(password)}` : ''}`,
    );
  } catch (err) {
    // A process starting beside this one created it a moment ago: 42710, or 23505 when both
    // inserted into pg_authid at once.
    if (sqlState(err) !== '42710' && sqlState(err) !== '23505') throw err;
  }
  return role;
}

/**
 * Gives the runtime role what the service needs and nothing else. Idempotent; run under the
 * migration lock before the migrations (default privileges, tables that exist) and after them
 * (the narrowed tables they created). The owner is the role of the `owner` connection.
 */
export async function grantRuntimeRole(owner: Client, runtimeRole: string): Promise<void> {
  const rt = owner.escapeIdentifier(runtimeRole);
  const {
    rows: [{ current_user: ownerRole, database }],
  } = await owner.query<{ current_user: string; database: string }>(
    'SELECT current_user, current_database() AS database',
  );
  const tables = await owner.query<{ table: string }>(
    `SELECT c.relname AS table FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND c.relname = ANY($1)`,
    [Object.keys(NARROWED_TABLES)],
  );
  await owner.query('BEGIN');
  try {
    // On a database made from an old template, PUBLIC may still create tables in public; a
    // runtime role that did would own them.
    await owner.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    await owner.query(`GRANT CONNECT ON DATABASE ${owner.escapeIdentifier(database)} TO ${rt}`);
    await owner.query(`GRANT USAGE ON SCHEMA public TO ${rt}`);
    const forOwner = `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner.escapeIdentifier(ownerRole)} IN SCHEMA public`;
    await owner.query(`${forOwner} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${rt}`);
    await owner.query(`${forOwner} GRANT USAGE ON SEQUENCES TO ${rt}`);
    await owner.query(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${rt}`,
    );
    await owner.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${rt}`);
    for (const signature of RUNTIME_FUNCTIONS) {
      const { rows } = await owner.query<{ present: boolean }>(
        'SELECT to_regprocedure($1) IS NOT NULL AS present',
        [signature],
      );
      if (rows[0].present) await owner.query(`GRANT EXECUTE ON FUNCTION ${signature} TO ${rt}`);
    }
    for (const { table } of tables.rows) {
      const name = owner.escapeIdentifier(table);
      await owner.query(`REVOKE ALL ON ${name} FROM ${rt}`);
      await owner.query(`GRANT ${NARROWED_TABLES[table]} ON ${name} TO ${rt}`);
    }
    await owner.query('COMMIT');
  } catch (err) {
    await owner.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * VACUUM (and ANALYZE) belong to a table's owner on PostgreSQL 15: the runtime role's VACUUM
 * only warns and skips. So the worker vacuums on a short-lived connection of the owner, which
 * it has only where DATABASE_OWNER_URL is given to it (PostgreSQL 16's MAINTAIN privilege
 * would make this unnecessary).
 */
export async function vacuumAsOwner(ownerUrl: string, tables: string[]): Promise<void> {
  const owner = new Client({ connectionString: ownerUrl, connectionTimeoutMillis: 5000 });
  owner.on('error', () => undefined);
  try {
    await owner.connect();
    await owner.query(
      `VACUUM (ANALYZE) ${tables.map((t) => owner.escapeIdentifier(t)).join(', ')}`,
    );
  } finally {
    await owner.end().catch(() => undefined);
  }
}
