import { dataSourceOptions, TABLES_WITHOUT_ENTITY } from '@app/persistence';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { maintenanceUrl, ownerUrlFor, runtimeUrlFor } from './support/test-env';

// A database of its own: reverting migrations must not pull tables from under other specs.
const NAME = `${process.env.SCIATRACK_TEST_DATABASE}_schema`;

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: maintenanceUrl() });
  await client.connect();
  await client.query(sql);
  await client.end();
}

describe('schema', () => {
  let ds: DataSource;

  beforeAll(async () => {
    await admin(`CREATE DATABASE "${NAME}"`);
    // Migrations run, and are reverted, as the owner of the schema.
    const owner = ownerUrlFor(NAME);
    ds = await new DataSource(
      dataSourceOptions({ DATABASE_URL: runtimeUrlFor(NAME), DATABASE_POOL_SIZE: 2 }, owner),
    ).initialize();
    await ds.runMigrations({ transaction: 'each' });
  });
  afterAll(async () => {
    await ds.destroy();
    await admin(`DROP DATABASE IF EXISTS "${NAME}" WITH (FORCE)`);
  });

  it('matches the entities column for column after the real migrations', async () => {
    const log = await ds.driver.createSchemaBuilder().log();
    // The migrations declare more than the entities can (composite foreign keys, partial
    // indexes, CHECKs); TypeORM would drop those. Anything else it wants is real drift.
    const drift = log.upQueries
      .map((q) => q.query)
      .filter(
        (q) => !/^ALTER TABLE "\w+" DROP CONSTRAINT "\w+"$|^DROP INDEX "public"\."\w+"$/.test(q),
      );
    expect(drift).toEqual([]);
  });

  it('has no table that is neither an entity nor declared in TABLES_WITHOUT_ENTITY', async () => {
    const rows: { table_name: string }[] = await ds.query(
      // Partitions are part of their table (activity_samples' months), not tables of their own.
      `SELECT c.relname AS table_name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
       ORDER BY c.relname COLLATE "C"`,
    );
    const entityTables = ds.entityMetadatas.map((m) => m.tableName);
    const declared = Object.keys(TABLES_WITHOUT_ENTITY);
    expect(entityTables.filter((t) => declared.includes(t))).toEqual([]);
    expect(rows.map((r) => r.table_name)).toEqual(
      [...entityTables, ...declared, 'migrations'].sort(),
    );
  });

  it.each(Object.keys(TABLES_WITHOUT_ENTITY))(
    'has the columns TABLES_WITHOUT_ENTITY declares for %s',
    async (table) => {
      const rows: { name: string; type: string; not_null: boolean }[] = await ds.query(
        `SELECT attname AS name, format_type(atttypid, atttypmod) AS type, attnotnull AS not_null
         FROM pg_attribute
         WHERE attrelid = to_regclass('public.' || quote_ident($1)) AND attnum > 0
           AND NOT attisdropped
         ORDER BY attnum`,
        [table],
      );
      const actual = Object.fromEntries(
        rows.map((r) => [r.name, r.not_null ? `${r.type} not null` : r.type]),
      );
      expect(actual).toEqual(TABLES_WITHOUT_ENTITY[table]);
    },
  );

  it('opens connections without JIT compilation (see dataSourceOptions)', async () => {
    expect(await ds.query('SHOW jit')).toEqual([{ jit: 'off' }]);
  });

  it('reverts every migration and applies them again', async () => {
    const count = ds.migrations.length;
    for (let i = 0; i < count; i++) await ds.undoLastMigration({ transaction: 'each' });
    const [{ tables }] = await ds.query(
      `SELECT count(*)::int AS tables FROM information_schema.tables
       WHERE table_schema = 'public' AND table_name <> 'migrations'`,
    );
    expect(tables).toBe(0);
    const applied = await ds.runMigrations({ transaction: 'each' });
    expect(applied).toHaveLength(count);
  });
});
