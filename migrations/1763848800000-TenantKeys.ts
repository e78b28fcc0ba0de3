import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Keys that lead with the tenant, so that the schema can be distributed by `organization_id`
 * (Citus: docs/scaling.md) without a rewrite: a distributed table's primary key and unique keys
 * must hold its distribution column, and a foreign key between two of them must join on it.
 *
 * - Every tenant table's primary key is (organization_id, …); a (organization_id, id) unique
 *   key beside a (id) primary key becomes the primary key itself.
 * - Tables that named their clinic only through a parent (payload chunks, export chunks, OAuth
 *   states) or not at all (Idempotency-Key answers) get `organization_id`, filled from the
 *   parent (or the key of the scope).
 * - Rows of no clinic (audit rows of unauthenticated and operator calls, the operator's
 *   Idempotency-Keys) belong to the platform, the nil uuid: a distribution column is never null.
 * - Foreign keys that named a row by its id alone name it by (organization_id, id).
 * - Unique keys lead with organization_id. API key prefixes and OAuth states, looked up before
 *   the clinic is known, keep a plain index for that lookup; their randomness, not a global
 *   unique key, keeps them apart (and a key is found by prefix and secret hash together).
 * - Rows that something still names by id alone (a job's payload, a lookup across clinics to
 *   audit a denial) keep a plain index on id, so that the lookup stays an index probe here.
 *
 * patients keeps its (organization_id, id) unique key beside the new primary key: the foreign
 * key of activity_samples, which this migration leaves alone, depends on it.
 *
 * Each foreign key that referenced a re-keyed table is dropped and added again (and checked
 * again) with the same definition: PostgreSQL ties a foreign key to the index it was made with.
 */

// The platform's organization id (PLATFORM_ORGANIZATION_ID in libs/persistence).
const PLATFORM = '00000000-0000-0000-0000-000000000000';

/** Tables keyed by (id) with a unique (organization_id, id) that becomes the primary key. */
const REKEYED = [
  'clinicians',
  'client_apps',
  'programs',
  'sessions',
  'pain_reports',
  'questionnaires',
  'alerts',
  'webhook_endpoints',
  'rtm_episodes',
  'care_time_entries',
  'wearable_connections',
  'activity_imports',
];

/** Tables keyed by (id) alone, with no (organization_id, id) unique key. */
const KEYED_BY_ID = [
  'api_keys',
  'findings',
  'outbox',
  'webhook_deliveries',
  'program_holds',
  'fhir_exports',
];

/** Tables whose rows are still named by id alone somewhere: a plain index on id. */
const ID_INDEXED = [
  'patients',
  'programs',
  'alerts',
  'rtm_episodes',
  'care_time_entries',
  'activity_imports',
  'wearable_connections',
  'outbox',
  'webhook_deliveries',
  'fhir_exports',
];

/** Tables that get organization_id from their parent: the column, and how it is filled. */
const FILLED_FROM_PARENT = [
  {
    table: 'activity_import_chunks',
    fill: `UPDATE activity_import_chunks c SET organization_id = i.organization_id
           FROM activity_imports i WHERE i.id = c.import_id`,
  },
  {
    table: 'fhir_export_chunks',
    fill: `UPDATE fhir_export_chunks c SET organization_id = e.organization_id
           FROM fhir_exports e WHERE e.id = c.export_id`,
  },
  {
    table: 'oauth_states',
    fill: `UPDATE oauth_states s SET organization_id = c.organization_id
           FROM wearable_connections c WHERE c.id = s.connection_id`,
  },
  {
    // The scope is the key's id, or `operator` (the platform's).
    table: 'idempotency_keys',
    fill: `UPDATE idempotency_keys i SET organization_id = COALESCE(
             (SELECT k.organization_id FROM api_keys k WHERE k.id::text = i.scope), '${PLATFORM}')`,
  },
];

/** Primary keys of the tables above, before and after. */
const CHILD_KEYS = [
  { table: 'activity_import_chunks', before: 'import_id, seq' },
  { table: 'fhir_export_chunks', before: 'export_id, resource_type, seq' },
  { table: 'oauth_states', before: 'state_hash' },
  { table: 'idempotency_keys', before: 'scope, key' },
];

/** Foreign keys that named a row by its id alone: [table, constraint, columns, parent, action]. */
const BY_ID_FOREIGN_KEYS: [string, string, string, string, string][] = [
  ['programs', 'programs_supersedes_program_id_fkey', 'supersedes_program_id', 'programs', ''],
  ['alerts', 'alerts_finding_id_fkey', 'finding_id', 'findings', 'ON DELETE CASCADE'],
  ['alerts', 'alerts_last_finding_id_fkey', 'last_finding_id', 'findings', 'ON DELETE CASCADE'],
  ['alerts', 'alerts_acknowledged_by_key_id_fkey', 'acknowledged_by_key_id', 'api_keys', ''],
  ['alerts', 'alerts_resolved_by_key_id_fkey', 'resolved_by_key_id', 'api_keys', ''],
  [
    'activity_import_chunks',
    'activity_import_chunks_import_id_fkey',
    'import_id',
    'activity_imports',
    'ON DELETE CASCADE',
  ],
  [
    'fhir_export_chunks',
    'fhir_export_chunks_export_id_fkey',
    'export_id',
    'fhir_exports',
    'ON DELETE CASCADE',
  ],
  [
    'oauth_states',
    'oauth_states_connection_id_fkey',
    'connection_id',
    'wearable_connections',
    'ON DELETE CASCADE',
  ],
];

interface ForeignKey {
  table: string;
  name: string;
  definition: string;
}

/** The foreign keys that reference `table`, as pg_get_constraintdef gives them back. */
function foreignKeysTo(q: QueryRunner, table: string): Promise<ForeignKey[]> {
  return q.query(
    `SELECT conrelid::regclass::text AS table, conname AS name, pg_get_constraintdef(oid) AS definition
     FROM pg_constraint WHERE contype = 'f' AND confrelid = $1::regclass ORDER BY 1, 2`,
    [table],
  );
}

/** Runs `change` on `table`'s keys with the foreign keys that reference it set aside. */
async function withForeignKeysTo(
  q: QueryRunner,
  table: string,
  change: () => Promise<void>,
): Promise<void> {
  const keys = await foreignKeysTo(q, table);
  for (const k of keys) await q.query(`ALTER TABLE ${k.table} DROP CONSTRAINT ${k.name}`);
  await change();
  for (const k of keys) {
    await q.query(`ALTER TABLE ${k.table} ADD CONSTRAINT ${k.name} ${k.definition}`);
  }
}

/** The audit log refuses UPDATE to everyone: only a migration, its owner, may relabel rows. */
async function updateAuditLog(q: QueryRunner, sql: string): Promise<void> {
  await q.query(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete`);
  await q.query(sql);
  await q.query(`ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete`);
}

export class TenantKeys1763848800000 implements MigrationInterface {
  name = 'TenantKeys1763848800000';

  public async up(q: QueryRunner): Promise<void> {
    for (const { table, fill } of FILLED_FROM_PARENT) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN organization_id uuid`);
      await q.query(fill);
      await q.query(`ALTER TABLE ${table} ALTER COLUMN organization_id SET NOT NULL`);
    }
    await updateAuditLog(
      q,
      `UPDATE audit_log SET organization_id = '${PLATFORM}' WHERE organization_id IS NULL`,
    );
    await q.query(`ALTER TABLE audit_log ALTER COLUMN organization_id SET NOT NULL`);

    for (const [table, name] of BY_ID_FOREIGN_KEYS) {
      await q.query(`ALTER TABLE ${table} DROP CONSTRAINT ${name}`);
    }

    for (const table of REKEYED) {
      await withForeignKeysTo(q, table, () =>
        q.query(
          `ALTER TABLE ${table} DROP CONSTRAINT ${table}_organization_id_id_key,
             DROP CONSTRAINT ${table}_pkey,
             ADD CONSTRAINT ${table}_pkey PRIMARY KEY (organization_id, id)`,
        ),
      );
    }
    for (const table of [...KEYED_BY_ID, 'patients', 'audit_log']) {
      await q.query(
        `ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey,
           ADD CONSTRAINT ${table}_pkey PRIMARY KEY (organization_id, id)`,
      );
    }
    for (const { table, before } of CHILD_KEYS) {
      await q.query(
        `ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey,
           ADD CONSTRAINT ${table}_pkey PRIMARY KEY (organization_id, ${before})`,
      );
    }

    await q.query(
      `ALTER TABLE api_keys DROP CONSTRAINT api_keys_prefix_key,
         ADD CONSTRAINT api_keys_organization_id_prefix_key UNIQUE (organization_id, prefix)`,
    );
    // Authentication finds a key by its prefix before it knows the clinic.
    await q.query(`CREATE INDEX api_keys_prefix_idx ON api_keys (prefix)`);
    // The OAuth callback finds its state before it knows the clinic.
    await q.query(`CREATE INDEX oauth_states_state_idx ON oauth_states (state_hash)`);
    await q.query(
      `ALTER TABLE program_items DROP CONSTRAINT program_items_program_id_exercise_code_key,
         ADD CONSTRAINT program_items_organization_id_program_id_exercise_code_key
           UNIQUE (organization_id, program_id, exercise_code)`,
    );
    await q.query(
      `ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_endpoint_id_event_id_key,
         ADD CONSTRAINT webhook_deliveries_organization_id_endpoint_id_event_id_key
           UNIQUE (organization_id, endpoint_id, event_id)`,
    );
    await q.query(`DROP INDEX pain_reports_session_context_uq`);
    await q.query(
      `CREATE UNIQUE INDEX pain_reports_session_context_uq
         ON pain_reports (organization_id, session_id, context) WHERE session_id IS NOT NULL`,
    );
    await q.query(`DROP INDEX program_holds_open_uq`);
    await q.query(
      `CREATE UNIQUE INDEX program_holds_open_uq
         ON program_holds (organization_id, program_id) WHERE ended_at IS NULL`,
    );

    for (const table of ID_INDEXED) {
      await q.query(`CREATE INDEX ${table}_id_idx ON ${table} (id)`);
    }

    for (const [table, name, column, parent, action] of BY_ID_FOREIGN_KEYS) {
      await q.query(
        `ALTER TABLE ${table} ADD CONSTRAINT ${name} FOREIGN KEY (organization_id, ${column})
           REFERENCES ${parent} (organization_id, id) ${action}`,
      );
    }
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const [table, name] of BY_ID_FOREIGN_KEYS) {
      await q.query(`ALTER TABLE ${table} DROP CONSTRAINT ${name}`);
    }
    for (const table of ID_INDEXED) await q.query(`DROP INDEX ${table}_id_idx`);

    await q.query(`DROP INDEX program_holds_open_uq`);
    await q.query(
      `CREATE UNIQUE INDEX program_holds_open_uq ON program_holds (program_id) WHERE ended_at IS NULL`,
    );
    await q.query(`DROP INDEX pain_reports_session_context_uq`);
    await q.query(
      `CREATE UNIQUE INDEX pain_reports_session_context_uq ON pain_reports (session_id, context) WHERE session_id IS NOT NULL`,
    );
    await q.query(
      `ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_organization_id_endpoint_id_event_id_key,
         ADD CONSTRAINT webhook_deliveries_endpoint_id_event_id_key UNIQUE (endpoint_id, event_id)`,
    );
    await q.query(
      `ALTER TABLE program_items DROP CONSTRAINT program_items_organization_id_program_id_exercise_code_key,
         ADD CONSTRAINT program_items_program_id_exercise_code_key UNIQUE (program_id, exercise_code)`,
    );
    await q.query(`DROP INDEX oauth_states_state_idx`);
    await q.query(`DROP INDEX api_keys_prefix_idx`);
    await q.query(
      `ALTER TABLE api_keys DROP CONSTRAINT api_keys_organization_id_prefix_key,
         ADD CONSTRAINT api_keys_prefix_key UNIQUE (prefix)`,
    );

    for (const { table, before } of CHILD_KEYS) {
      await q.query(
        `ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey,
           ADD CONSTRAINT ${table}_pkey PRIMARY KEY (${before})`,
      );
    }
    for (const table of [...KEYED_BY_ID, 'patients', 'audit_log']) {
      await q.query(
        `ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey,
           ADD CONSTRAINT ${table}_pkey PRIMARY KEY (id)`,
      );
    }
    for (const table of [...REKEYED].reverse()) {
      await withForeignKeysTo(q, table, () =>
        q.query(
          `ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey,
             ADD CONSTRAINT ${table}_pkey PRIMARY KEY (id),
             ADD CONSTRAINT ${table}_organization_id_id_key UNIQUE (organization_id, id)`,
        ),
      );
    }

    for (const [table, name, column, parent, action] of BY_ID_FOREIGN_KEYS) {
      await q.query(
        `ALTER TABLE ${table} ADD CONSTRAINT ${name} FOREIGN KEY (${column}) REFERENCES ${parent}(id) ${action}`,
      );
    }

    await q.query(`ALTER TABLE audit_log ALTER COLUMN organization_id DROP NOT NULL`);
    await updateAuditLog(
      q,
      `UPDATE audit_log SET organization_id = NULL WHERE organization_id = '${PLATFORM}'`,
    );
    for (const { table } of [...FILLED_FROM_PARENT].reverse()) {
      await q.query(`ALTER TABLE ${table} DROP COLUMN organization_id`);
    }
  }
}
