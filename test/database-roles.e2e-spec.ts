import { loadConfig, postgresTarget } from '@app/config';
import { PLATFORM_ORGANIZATION_ID, prepareDatabase } from '@app/persistence';
import { Client } from 'pg';
import { isolated } from './support/isolated';

// A database of its own: the spec creates a table as the owner, as a later migration would.
const space = isolated('roles');
const ownerRole = postgresTarget(space.env.DATABASE_OWNER_URL).role;

describe('database roles', () => {
  let runtime: Client;
  let owner: Client;

  beforeAll(async () => {
    await space.setUp();
    runtime = new Client({ connectionString: space.env.DATABASE_URL });
    owner = new Client({ connectionString: space.env.DATABASE_OWNER_URL });
    await Promise.all([runtime.connect(), owner.connect()]);
    await runtime.query(
      `INSERT INTO audit_log (organization_id, action, outcome, status, request_id)
       VALUES ($1, 'patient.read', 'success', 200, 'roles-spec')`,
      [PLATFORM_ORGANIZATION_ID],
    );
  });
  afterAll(async () => {
    await Promise.all([runtime?.end(), owner?.end()]);
    await space.tearDown();
  });

  it('serves as the role of DATABASE_URL, and migrates as the role of DATABASE_OWNER_URL', async () => {
    const { rows: serving } = await runtime.query<{ u: string }>('SELECT current_user AS u');
    expect(serving[0].u).toBe(postgresTarget(space.env.DATABASE_URL).role);
    const { rows } = await runtime.query<{ owner: string }>(
      `SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class
       WHERE relnamespace = 'public'::regnamespace`,
    );
    expect(rows).toEqual([{ owner: ownerRole }]);
  });

  it('gives the runtime role no attribute, no membership and no object of its own', async () => {
    const { rows } = await runtime.query(
      `SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolinherit,
              (SELECT count(*)::int FROM pg_auth_members WHERE member = r.oid) AS memberships,
              (SELECT count(*)::int FROM pg_shdepend WHERE refobjid = r.oid AND deptype = 'o') AS owned,
              (SELECT count(*)::int FROM pg_class WHERE relowner = r.oid) AS relations,
              (SELECT count(*)::int FROM pg_proc WHERE proowner = r.oid) AS functions
       FROM pg_roles r WHERE rolname = current_user`,
    );
    expect(rows).toEqual([
      {
        rolsuper: false,
        rolcreatedb: false,
        rolcreaterole: false,
        rolreplication: false,
        rolbypassrls: false,
        rolinherit: true,
        memberships: 0,
        owned: 0,
        relations: 0,
        functions: 0,
      },
    ]);
  });

  it('lets the runtime role add to the audit log and read it', async () => {
    const { rows } = await runtime.query(
      `SELECT action, outcome FROM audit_log WHERE request_id = 'roles-spec'`,
    );
    expect(rows).toEqual([{ action: 'patient.read', outcome: 'success' }]);
  });

  // Each way the service's own credentials could remove or rewrite audit rows, or change the
  // schema under them.
  it.each([
    ['ALTER TABLE audit_log DISABLE TRIGGER ALL', /must be owner of table audit_log/],
    ['ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete', /must be owner/],
    ['SET session_replication_role = replica', /permission denied to set parameter/],
    ['TRUNCATE audit_log', /permission denied for table audit_log/],
    ['DELETE FROM audit_log', /permission denied for table audit_log/],
    [`UPDATE audit_log SET outcome = 'denied'`, /permission denied for table audit_log/],
    ['DROP TABLE audit_log', /must be owner of table audit_log/],
    [
      'DROP TRIGGER audit_log_no_truncate ON audit_log',
      /must be owner of (table|relation) audit_log/,
    ],
    ['DROP FUNCTION audit_log_is_append_only()', /must be owner of function/],
    ['ALTER TABLE audit_log RENAME TO audit_log_old', /must be owner of table audit_log/],
    ['ALTER TABLE patients ADD COLUMN note text', /must be owner of table patients/],
    ['DROP TABLE patients', /must be owner of table patients/],
    ['TRUNCATE patients', /permission denied for table patients/],
    ['CREATE TABLE audit_log_copy (id bigint)', /permission denied for schema public/],
    [`DELETE FROM migrations`, /permission denied for table migrations/],
    ['ALTER ROLE CURRENT_USER SUPERUSER', /permission denied|must be superuser/],
    [`SET ROLE "${ownerRole}"`, /permission denied to set role/],
    [
      `GRANT "${ownerRole}" TO CURRENT_USER`,
      /permission denied|must have admin option|must be superuser/,
    ],
  ])('refuses the runtime role: %s', async (sql, error) => {
    await expect(runtime.query(sql)).rejects.toThrow(error);
    const { rows } = await owner.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_log WHERE request_id = 'roles-spec'`,
    );
    expect(rows[0].n).toBe(1);
  });

  it('lets the runtime role use a table a later migration creates, with no GRANT in it', async () => {
    await owner.query(
      `CREATE TABLE later_things (id bigint GENERATED ALWAYS AS IDENTITY, name text)`,
    );
    try {
      await runtime.query(`INSERT INTO later_things (name) VALUES ('a'), ('b')`);
      await runtime.query(`UPDATE later_things SET name = 'c' WHERE name = 'b'`);
      await runtime.query(`DELETE FROM later_things WHERE name = 'a'`);
      const { rows } = await runtime.query('SELECT name FROM later_things');
      expect(rows).toEqual([{ name: 'c' }]);
      await expect(runtime.query('TRUNCATE later_things')).rejects.toThrow(/permission denied/);
      await expect(runtime.query('DROP TABLE later_things')).rejects.toThrow(/must be owner/);
    } finally {
      await owner.query('DROP TABLE later_things');
    }
  });

  it('applies nothing and keeps the same grants when prepared again', async () => {
    const grants = () =>
      owner.query(
        `SELECT table_name, privilege_type FROM information_schema.role_table_grants
         WHERE grantee = $1 ORDER BY 1, 2`,
        [postgresTarget(space.env.DATABASE_URL).role],
      );
    const before = (await grants()).rows;
    expect(await prepareDatabase(loadConfig({ ...process.env, ...space.env }))).toEqual([]);
    expect((await grants()).rows).toEqual(before);
    expect(before.filter((g: { table_name: string }) => g.table_name === 'audit_log')).toEqual([
      { table_name: 'audit_log', privilege_type: 'INSERT' },
      { table_name: 'audit_log', privilege_type: 'SELECT' },
    ]);
  });
});
