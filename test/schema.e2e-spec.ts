import { dataSourceOptions } from '@app/persistence';
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
