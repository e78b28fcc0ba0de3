import {
  dataSourceOptions,
  LOCAL_TABLES,
  PLATFORM_ORGANIZATION_ID,
  REFERENCE_TABLES,
  TENANT_ROOTS,
} from '@app/persistence';
import { MIGRATIONS } from '@app/migrations';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { checkTenantKeys, type Classification } from './support/tenant-keys';
import { maintenanceUrl, ownerUrlFor, runtimeUrlFor } from './support/test-env';

// A database of its own: the spec reverts a migration and creates a scratch schema.
const NAME = `${process.env.SCIATRACK_TEST_DATABASE}_tenant_keys`;
const CLASSES: Classification = {
  tenantRoots: TENANT_ROOTS,
  reference: REFERENCE_TABLES,
  local: LOCAL_TABLES,
};
const TENANT_KEYS = 'TenantKeys1763848800000';
const TENANT_KEYS_AT = 1763848800000;

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: maintenanceUrl() });
  await client.connect();
  await client.query(sql);
  await client.end();
}

/** Columns, constraints, indexes and triggers (with their enabled state) of the public schema. */
async function catalog(db: Client): Promise<string[]> {
  const { rows } = await db.query<{ line: string }>(`
    SELECT c.relname || ' column ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
           || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
           || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') AS line
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
       AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT conrelid::regclass || ' constraint ' || conname || ' ' || pg_get_constraintdef(oid)
      FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    UNION ALL
    SELECT tablename || ' index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
    UNION ALL
    SELECT tgrelid::regclass || ' trigger ' || tgname || ' ' || tgenabled::text
      FROM pg_trigger WHERE NOT tgisinternal AND tgrelid::regclass::text <> 'migrations'
    ORDER BY 1`);
  return rows.map((r) => r.line);
}

/** The rows the migration fills or relabels, as JSON, in a stable order. */
async function rowsOf(db: Client): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of [
    'audit_log',
    'idempotency_keys',
    'activity_import_chunks',
    'fhir_export_chunks',
    'oauth_states',
  ]) {
    const { rows } = await db.query<{ row: unknown }>(
      `SELECT to_jsonb(t) AS row FROM ${table} t ORDER BY to_jsonb(t)::text`,
    );
    out[table] = rows.map((r) => r.row);
  }
  return out;
}

describe('tenant keys: the schema can be distributed by organization', () => {
  let ds: DataSource;
  let db: Client;

  beforeAll(async () => {
    await admin(`CREATE DATABASE "${NAME}"`);
    const owner = ownerUrlFor(NAME);
    ds = await new DataSource(
      dataSourceOptions({ DATABASE_URL: runtimeUrlFor(NAME), DATABASE_POOL_SIZE: 2 }, owner),
    ).initialize();
    await ds.runMigrations({ transaction: 'each' });
    db = new Client({ connectionString: owner });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await ds?.destroy();
    await admin(`DROP DATABASE IF EXISTS "${NAME}" WITH (FORCE)`);
  });

  it('classifies every table, and keys every tenant table by its organization first', async () => {
    const report = await checkTenantKeys(db, 'public', CLASSES);
    expect(report.problems).toEqual([]);
    expect(report.placement).toMatchObject({
      organizations: 'tenant',
      patients: 'tenant',
      activity_samples: 'tenant',
      audit_log: 'tenant',
      idempotency_keys: 'tenant',
      activity_import_chunks: 'tenant',
      exercises: 'reference',
      migrations: 'local',
      adherence_periods: 'local',
      adherence_period_chunks: 'local',
    });
  });

  it('names each key, foreign key and table that a distribution by organization would refuse', async () => {
    await db.query(`
      DROP SCHEMA IF EXISTS scratch CASCADE;
      CREATE SCHEMA scratch;
      SET search_path = scratch;
      CREATE TABLE orgs (id uuid PRIMARY KEY);
      CREATE TABLE good (
        organization_id uuid NOT NULL REFERENCES orgs (id), id uuid, name text,
        PRIMARY KEY (organization_id, id), UNIQUE (organization_id, name));
      CREATE UNIQUE INDEX good_name_uq ON good (organization_id, lower(name)) WHERE name <> '';
      CREATE TABLE keyed_by_id (organization_id uuid NOT NULL, id uuid PRIMARY KEY, code text,
        UNIQUE (code, organization_id));
      CREATE UNIQUE INDEX keyed_by_id_lower_uq ON keyed_by_id (lower(code));
      CREATE TABLE by_id_child (organization_id uuid NOT NULL, parent_id uuid REFERENCES keyed_by_id (id),
        PRIMARY KEY (organization_id, parent_id));
      CREATE TABLE nullable_org (organization_id uuid, id uuid);
      CREATE TABLE catalog (code text PRIMARY KEY, org uuid, good_id uuid,
        FOREIGN KEY (org, good_id) REFERENCES good (organization_id, id));
      CREATE TABLE ledger (period text PRIMARY KEY, organization_id uuid REFERENCES orgs (id));
      CREATE TABLE stray (code text PRIMARY KEY);
      RESET search_path;`);
    try {
      const report = await checkTenantKeys(db, 'scratch', {
        tenantRoots: { orgs: 'id' },
        reference: ['catalog', 'gone'],
        local: ['ledger'],
      });
      expect(report.problems).toEqual([
        'by_id_child: foreign key by_id_child_parent_id_fkey to keyed_by_id does not join on the organization',
        'catalog: foreign key catalog_org_good_id_fkey to good: a reference table may only refer to reference tables',
        'gone: classified, but there is no such table',
        'keyed_by_id: primary key keyed_by_id_pkey (id) does not start with organization_id',
        'keyed_by_id: unique index keyed_by_id_lower_uq (lower(code)) does not start with organization_id',
        'keyed_by_id: unique key keyed_by_id_code_organization_id_key (code, organization_id) does not start with organization_id',
        'ledger: foreign key ledger_organization_id_fkey to orgs: a local and a tenant table cannot refer to each other',
        'nullable_org: organization_id may be null',
        'stray: in no class (no organization_id; a reference or local table?)',
      ]);
      expect(report.placement).toEqual({
        orgs: 'tenant',
        good: 'tenant',
        keyed_by_id: 'tenant',
        by_id_child: 'tenant',
        nullable_org: 'tenant',
        catalog: 'reference',
        ledger: 'local',
      });
    } finally {
      await db.query('DROP SCHEMA scratch CASCADE');
    }
  });

  it('fills organization_id from the parents going up, and restores schema and rows going down', async () => {
    // Back to the schema before TenantKeys (and before any later migration).
    for (;;) {
      const { rows } = await db.query<{ at: string }>(
        'SELECT max(timestamp)::text AS at FROM migrations',
      );
      if (Number(rows[0].at) < TENANT_KEYS_AT) break;
      await ds.undoLastMigration({ transaction: 'each' });
    }
    // The schema as it stood fails the check: the test can fail.
    const before = await checkTenantKeys(db, 'public', CLASSES);
    expect(before.problems).toEqual(
      expect.arrayContaining([
        'clinicians: primary key clinicians_pkey (id) does not start with organization_id',
        'api_keys: unique key api_keys_prefix_key (prefix) does not start with organization_id',
        'alerts: foreign key alerts_finding_id_fkey to findings does not join on the organization',
        'audit_log: organization_id may be null',
        'activity_import_chunks: in no class (no organization_id; a reference or local table?)',
      ]),
    );

    const [org, clinician, patient, key, imp, exp, conn] = Array.from({ length: 7 }, randomUUID);
    const statements = [
      [`INSERT INTO organizations (id, name) VALUES ($1, 'Keys Clinic')`, [org]],
      [
        `INSERT INTO clinicians (id, organization_id, name, email) VALUES ($1, $2, 'C', 'c@keys.example')`,
        [clinician, org],
      ],
      [
        `INSERT INTO patients (id, organization_id, external_ref, timezone, clinician_id)
         VALUES ($1, $2, 'K-1', 'UTC', $3)`,
        [patient, org, clinician],
      ],
      [
        `INSERT INTO api_keys (id, organization_id, name, role, scopes, prefix, secret_hash)
         VALUES ($1, $2, 'admin', 'admin', '{}', 'sct_keysspec0001', '\\x00')`,
        [key, org],
      ],
      [
        `INSERT INTO audit_log (organization_id, action, outcome, status)
         VALUES (NULL, 'patient.read', 'unauthenticated', 401), ($1, 'patient.read', 'success', 200)`,
        [org],
      ],
      [
        `INSERT INTO idempotency_keys (scope, key, method, path, request_hash)
         VALUES ('operator', 'op-1', 'POST', '/v1/admin/organizations', '\\x01'),
                ($1, 'key-1', 'POST', '/v1/patients', '\\x02')`,
        [key],
      ],
      [
        `INSERT INTO activity_imports (id, organization_id, patient_id, format, byte_size, chunk_count)
         VALUES ($1, $2, $3, 'native', 3, 1)`,
        [imp, org, patient],
      ],
      [
        `INSERT INTO activity_import_chunks (import_id, seq, data) VALUES ($1, 0, '\\x7b7d0a')`,
        [imp],
      ],
      [
        `INSERT INTO fhir_exports (id, organization_id, api_key_id, viewer_role, types, sources,
                                   request_url, expires_at)
         VALUES ($1, $2, $3, 'admin', '{Patient}', '{patients}', '/fhir/R4/Patient/$export',
                 now() + interval '1 day')`,
        [exp, org, key],
      ],
      [
        `INSERT INTO fhir_export_chunks (export_id, resource_type, seq, resources, data)
         VALUES ($1, 'Patient', 1, 1, '{}')`,
        [exp],
      ],
      [
        `INSERT INTO wearable_connections (id, organization_id, patient_id, provider)
         VALUES ($1, $2, $3, 'withings')`,
        [conn, org, patient],
      ],
      [
        `INSERT INTO oauth_states (state_hash, connection_id, code_verifier, expires_at)
         VALUES ('\\xabcd', $1, '\\x00', now() + interval '10 minutes')`,
        [conn],
      ],
    ] as const;
    for (const [sql, params] of statements) await db.query(sql, [...params]);
    const schemaBefore = await catalog(db);
    const rowsBefore = await rowsOf(db);

    const migration = MIGRATIONS.find((m) => m.name === TENANT_KEYS)!;
    const run = async (step: 'up' | 'down') => {
      const q = ds.createQueryRunner();
      try {
        await q.startTransaction();
        await new migration()[step](q);
        await q.commitTransaction();
      } finally {
        await q.release();
      }
    };

    await run('up');
    const { rows: filled } = await db.query<{ table: string; organization_id: string }>(
      `SELECT 'audit_log' AS table, organization_id FROM audit_log WHERE status = 401
       UNION ALL SELECT 'idempotency_keys:' || scope, organization_id FROM idempotency_keys
       UNION ALL SELECT 'activity_import_chunks', organization_id FROM activity_import_chunks
       UNION ALL SELECT 'fhir_export_chunks', organization_id FROM fhir_export_chunks
       UNION ALL SELECT 'oauth_states', organization_id FROM oauth_states
       ORDER BY 1`,
    );
    expect(filled).toEqual([
      { table: 'activity_import_chunks', organization_id: org },
      { table: 'audit_log', organization_id: PLATFORM_ORGANIZATION_ID },
      { table: 'fhir_export_chunks', organization_id: org },
      { table: `idempotency_keys:${key}`, organization_id: org },
      { table: 'idempotency_keys:operator', organization_id: PLATFORM_ORGANIZATION_ID },
      { table: 'oauth_states', organization_id: org },
    ]);
    const { rows: triggers } = await db.query<{ enabled: string }>(
      `SELECT tgenabled::text AS enabled FROM pg_trigger WHERE tgname = 'audit_log_no_update_delete'`,
    );
    expect(triggers).toEqual([{ enabled: 'O' }]);

    await run('down');
    expect(await catalog(db)).toEqual(schemaBefore);
    expect(await rowsOf(db)).toEqual(rowsBefore);

    // Forward again, through the migrations table, for the specs' order not to matter.
    await ds.runMigrations({ transaction: 'each' });
    expect((await checkTenantKeys(db, 'public', CLASSES)).problems).toEqual([]);
  });
});
