import { loadConfig } from '@app/config';
import type { ActivitySample } from '@app/domain';
import {
  ActivityRepository,
  dataSourceOptions,
  Db,
  prepareDatabase,
  ReadReplica,
  SampleStorageRepository,
} from '@app/persistence';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { MaintenanceService } from '../apps/worker/src/maintenance/maintenance.service';
import { bearer, seedClinic } from './support/factories';
import { importsOf } from './support/imports';
import { withService } from './support/service';
import { maintenanceUrl, ownerUrlFor, runtimeUrlFor } from './support/test-env';

const MIGRATION = 'PartitionedSamples1763856000000';

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: maintenanceUrl() });
  await client.connect();
  await client.query(sql);
  await client.end();
}

describe('activity_samples partitioned by month', () => {
  describe('the migration, up and down with data', () => {
    // A database of its own: reverting migrations must not pull tables from under other specs.
    const NAME = `${process.env.SCIATRACK_TEST_DATABASE}_partitions`;
    let owner: DataSource;
    let runtime: DataSource;

    beforeAll(async () => {
      await admin(`CREATE DATABASE "${NAME}"`);
      owner = await new DataSource(
        dataSourceOptions(
          { DATABASE_URL: runtimeUrlFor(NAME), DATABASE_POOL_SIZE: 2 },
          ownerUrlFor(NAME),
        ),
      ).initialize();
      await owner.runMigrations({ transaction: 'each' });
    });
    afterAll(async () => {
      await runtime?.destroy();
      await owner?.destroy();
      await admin(`DROP DATABASE IF EXISTS "${NAME}" WITH (FORCE)`);
    });

    const applied = async () =>
      (await owner.query(`SELECT name FROM migrations`)).map((r: { name: string }) => r.name);
    const kind = async () =>
      (await owner.query(`SELECT relkind FROM pg_class WHERE relname = 'activity_samples'`))[0]
        .relkind as string;
    const contents = () =>
      owner.query(
        `SELECT patient_id, start_at, end_at, source_key, steps, record_id, revision
         FROM activity_samples ORDER BY start_at, source_key, record_id`,
      );
    const partitions = async () =>
      (
        await owner.query(
          `SELECT c.relname AS name, (SELECT count(*)::int FROM activity_samples s WHERE s.tableoid = c.oid) AS n
           FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = 'activity_samples'::regclass ORDER BY c.relname`,
        )
      ).map((r: { name: string; n: number }) => [r.name, r.n]);

    it('moves every row into its month and back, keeping the record key', async () => {
      // Back to the unpartitioned table, and samples written there as before the migration.
      while ((await applied()).includes(MIGRATION)) await owner.undoLastMigration();
      expect(await kind()).toBe('r');
      const [{ id: org }] = await owner.query(
        `INSERT INTO organizations (name) VALUES ('Partition clinic') RETURNING id`,
      );
      const [{ id: clinician }] = await owner.query(
        `INSERT INTO clinicians (organization_id, name, email) VALUES ($1, 'Dr P', 'p@example.test') RETURNING id`,
        [org],
      );
      const [{ id: patient }] = await owner.query(
        `INSERT INTO patients (organization_id, external_ref, timezone, clinician_id)
         VALUES ($1, 'P-1', 'Europe/Paris', $2) RETURNING id`,
        [org, clinician],
      );
      await owner.query(
        `INSERT INTO activity_samples (organization_id, patient_id, source_key, start_at, end_at, steps, granularity, record_id, revision)
         VALUES ($1, $2, 'Phone|', '1970-01-01T00:00:00Z', '1970-01-01T00:15:00Z', 5, 'interval', '', 0),
                ($1, $2, 'Phone|', '2019-03-31T23:30:00Z', '2019-04-01T00:30:00Z', 700, 'interval', '', 0),
                ($1, $2, 'Phone|', '2026-10-31T23:59:00Z', '2026-11-01T00:01:00Z', 20, 'interval', '', 0),
                ($1, $2, 'Watch|', '2026-11-15T08:00:00Z', '2026-11-15T09:00:00Z', 3000, 'interval', 'hc-1', 2),
                ($1, $2, 'Watch|', '2026-12-01T08:00:00Z', '2026-12-01T09:00:00Z', 1500, 'interval', 'hc-2', 1)`,
        [org, patient],
      );
      const before = await contents();

      await owner.runMigrations({ transaction: 'each' });
      expect(await kind()).toBe('p');
      expect(await contents()).toEqual(before);
      const months = Object.fromEntries(await partitions());
      // Each row in its month (by start), nothing left in the default partition.
      // A clock never set (1970) is one more month, not fifty-six years of them.
      expect(months).toMatchObject({
        activity_samples_1970_01: 1,
        activity_samples_2019_03: 1,
        activity_samples_2026_10: 1,
        activity_samples_2026_11: 1,
        activity_samples_2026_12: 1,
        activity_samples_default: 0,
      });
      // From last month to three ahead exist too, but no month between 2019 and them.
      const month = (offset: number) => {
        const d = new Date();
        const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1));
        return `activity_samples_${m.toISOString().slice(0, 7).replace('-', '_')}`;
      };
      for (const offset of [-1, 0, 1, 2, 3]) expect(months).toHaveProperty(month(offset));
      expect(months).not.toHaveProperty('activity_samples_2023_07');
      // The record key holds the start now: the same record at another start is a second row
      // to the index, which is why the write removes the old version itself.
      await expect(
        owner.query(
          `INSERT INTO activity_samples (organization_id, patient_id, source_key, start_at, end_at, steps, granularity, record_id)
           SELECT organization_id, patient_id, 'Other|', start_at, end_at + interval '1 minute', 1, 'interval', record_id
           FROM activity_samples WHERE record_id = 'hc-1'`,
        ),
      ).rejects.toThrow(/activity_samples.*record_idx|duplicate key/);

      while ((await applied()).includes(MIGRATION)) await owner.undoLastMigration();
      expect(await kind()).toBe('r');
      expect(await contents()).toEqual(before);
      await owner.runMigrations({ transaction: 'each' });
      expect(await contents()).toEqual(before);
    });

    it('lets the runtime role create months ahead, and an operator move a month out of the default partition', async () => {
      // Grants as the service's start-up does.
      await prepareDatabase(
        loadConfig({
          ...process.env,
          DATABASE_URL: runtimeUrlFor(NAME),
          DATABASE_OWNER_URL: ownerUrlFor(NAME),
        }),
      );
      runtime = await new DataSource(
        dataSourceOptions({ DATABASE_URL: runtimeUrlFor(NAME), DATABASE_POOL_SIZE: 2 }),
      ).initialize();
      const [{ organization_id: org, patient_id: patient }] = await owner.query(
        `SELECT organization_id, patient_id FROM activity_samples LIMIT 1`,
      );
      // Far ahead of the partitions: it lands in the default partition (a row the service would
      // not take, written here as the runtime role to show the partitions are its to make).
      await runtime.query(
        `INSERT INTO activity_samples (organization_id, patient_id, source_key, start_at, end_at, steps, granularity)
         VALUES ($1, $2, 'Phone|', '2040-05-04T10:00:00Z', '2040-05-04T10:05:00Z', 9, 'interval')`,
        [org, patient],
      );
      expect(Object.fromEntries(await partitions())).toHaveProperty('activity_samples_default', 1);
      const samples = new SampleStorageRepository(
        new Db(runtime, new ReadReplica(loadConfig(), runtime)),
      );
      const created = await samples.ensurePartitions(new Date('2040-01-15T00:00:00Z'));
      let months = Object.fromEntries(await partitions());
      // Last month to three ahead; the stray month stays in the default partition.
      for (const m of ['2039_12', '2040_01', '2040_02', '2040_03', '2040_04'])
        expect(months).toHaveProperty(`activity_samples_${m}`, 0);
      expect(months).toMatchObject({ activity_samples_default: 1 });
      expect(months).not.toHaveProperty('activity_samples_2040_05');
      expect(created).toBe(5);
      // Again: nothing to do.
      expect(await samples.ensurePartitions(new Date('2040-01-15T00:00:00Z'))).toBe(0);
      // An operator's call for that month moves its rows out of the default partition.
      await runtime.query(`SELECT ensure_activity_sample_partitions('2040-05-01', '2040-06-01')`);
      months = Object.fromEntries(await partitions());
      expect(months).toMatchObject({ activity_samples_2040_05: 1, activity_samples_default: 0 });
      // The runtime role still may not create tables itself.
      await expect(
        runtime.query(`CREATE TABLE activity_samples_2040_01 PARTITION OF activity_samples
                       FOR VALUES FROM ('2040-01-01') TO ('2040-02-01')`),
      ).rejects.toThrow(/permission denied|must be owner/);
    });
  });

  describe('two writers of one record at once', () => {
    const service = withService();

    it('store one row: the second waits for the first and replaces its version', async () => {
      const { t, c } = service;
      const patient = await importsOf(t.http, c, t.db).patient('UTC');
      const db = t.app.get(Db);
      const activity = t.app.get(ActivityRepository);
      const version = (revision: number, start: string): ActivitySample => ({
        source: { name: 'Watch', device: null },
        start: new Date(start),
        end: new Date(Date.parse(start) + 15 * 60_000),
        steps: 500 + revision,
        activeMinutes: null,
        activityType: null,
        manual: false,
        granularity: 'interval',
        record: { id: 'concurrent-1', revision },
        ref: { index: 0 },
      });
      // Two months apart: the record key (which holds the start) cannot tell them apart.
      const write = (revision: number, start: string, holdMs: number) =>
        db.transaction(async (tx) => {
          await activity.writeInline(
            tx,
            {
              id: randomUUID(),
              organizationId: c.org.id,
              patientId: patient.id,
              timezone: 'UTC',
              receivedAt: new Date(),
              format: 'native',
              byteSize: 1,
              createdByKeyId: null,
            },
            { samples: [version(revision, start)], retractions: [] },
            { received: 1, rejections: [] },
            false,
          );
          await new Promise((r) => setTimeout(r, holdMs));
        });
      await Promise.all([
        write(1, '2026-11-20T10:00:00Z', 500),
        new Promise((r) => setTimeout(r, 100)).then(() => write(2, '2026-12-01T10:00:00Z', 0)),
      ]);
      const rows = await t.db.query(
        `SELECT revision::int, steps FROM activity_samples WHERE patient_id = $1 AND record_id = 'concurrent-1'`,
        [patient.id],
      );
      expect(rows).toEqual([{ revision: 2, steps: 502 }]);
    });
  });

  describe('creating a partition while records are written', () => {
    const service = withService();

    it('waits for a writer of the patient instead of deadlocking with it', async () => {
      const { t, c } = service;
      const patient = await importsOf(t.http, c, t.db).patient('UTC');
      const sample = (at: string) =>
        `INSERT INTO activity_samples (organization_id, patient_id, source_key, start_at, end_at, steps, granularity)
         VALUES ('${c.org.id}', '${patient.id}', 'Phone|', '${at}', '${at}'::timestamptz + interval '1 minute', 5, 'interval')`;
      // A month with no partition yet: its rows wait in the default partition.
      await t.db.query(sample('2041-03-10T10:00:00Z'));
      // A writer as the API's record writes go: the patient's row first, then samples.
      const writer = new Client({
        connectionString: runtimeUrlFor(process.env.SCIATRACK_TEST_DATABASE!),
      });
      await writer.connect();
      try {
        await writer.query('BEGIN');
        await writer.query('UPDATE patients SET updated_at = now() WHERE id = $1', [patient.id]);
        const creating = service.worker
          .get(SampleStorageRepository)
          .ensurePartitions(new Date('2041-03-15T00:00:00Z'));
        await new Promise((r) => setTimeout(r, 300));
        await writer.query(sample('2041-03-11T10:00:00Z'));
        await writer.query('COMMIT');
        expect(await creating).toBeGreaterThan(0);
      } finally {
        await writer.end();
      }
      const [{ n }] = await t.db.query(
        `SELECT count(*)::int AS n FROM activity_samples_2041_03 WHERE patient_id = $1`,
        [patient.id],
      );
      expect(n).toBe(2);
    });
  });

  describe('retention per organization', () => {
    const service = withService();
    const daysAgo = (n: number, hour = 10) => {
      const d = new Date(Date.now() - n * 86_400_000);
      d.setUTCHours(hour, 0, 0, 0);
      return d;
    };
    const dateOf = (d: Date) => d.toISOString().slice(0, 10);

    it('deletes raw samples past the retention, keeps their days and no longer recomputes them', async () => {
      const { t, c } = service;
      const imports = importsOf(t.http, c, t.db);
      const patient = await imports.patient('UTC');
      const old = daysAgo(45);
      const recent = daysAgo(5);
      const walk = (at: Date, steps: number) => ({
        start: at.toISOString(),
        end: new Date(at.getTime() + 3_600_000).toISOString(),
        steps,
      });
      await imports.run(patient.id, 'native', {
        source: { name: 'Phone' },
        samples: [walk(old, 4000), walk(recent, 5000)],
      });

      const settings = await t.http
        .put('/v1/organization/settings')
        .set(bearer(c.adminKey))
        .send({ rules: {}, retention: { rawSampleDays: 30 } })
        .expect(200);
      expect(settings.body.retention).toEqual({ rawSampleDays: 30 });
      await t.http
        .put('/v1/organization/settings')
        .set(bearer(c.adminKey))
        .send({ rules: {}, retention: { rawSampleDays: 7 } })
        .expect(422);

      const purged = await service.worker.get(MaintenanceService).purgeExpiredSamples();
      expect(purged).toBeGreaterThanOrEqual(1);
      const stored = await t.db.query(
        `SELECT steps FROM activity_samples WHERE patient_id = $1 ORDER BY start_at`,
        [patient.id],
      );
      expect(stored).toEqual([{ steps: 5000 }]);
      const steps = async (day: Date) =>
        (await imports.daily(patient.id, dateOf(day), dateOf(day)))[0]?.steps;
      expect(await steps(old)).toBe(4000);

      // A late sample of the old day is stored, but the day keeps its figure: recomputed from
      // what is left it would fall to this sample alone. A recent day still adds up.
      await imports.run(patient.id, 'native', {
        source: { name: 'Watch' },
        samples: [walk(daysAgo(45, 14), 300), walk(daysAgo(5, 14), 700)],
      });
      expect(await steps(old)).toBe(4000);
      expect(await steps(recent)).toBe(5700);

      // A longer retention later does not thaw the days already purged.
      await t.http
        .put('/v1/organization/settings')
        .set(bearer(c.adminKey))
        .send({ rules: {}, retention: { rawSampleDays: 365 } })
        .expect(200);
      await imports.run(patient.id, 'native', {
        source: { name: 'Band' },
        samples: [walk(daysAgo(45, 18), 100)],
      });
      expect(await steps(old)).toBe(4000);
    });

    it('keeps every sample of an organization without a retention', async () => {
      const { t } = service;
      const other = await seedClinic(t.http);
      const imports = importsOf(t.http, other, t.db);
      const patient = await imports.patient('UTC');
      await imports.run(patient.id, 'native', {
        source: { name: 'Phone' },
        samples: [
          {
            start: daysAgo(400).toISOString(),
            end: new Date(daysAgo(400).getTime() + 60_000).toISOString(),
            steps: 80,
          },
        ],
      });
      await service.worker.get(MaintenanceService).purgeExpiredSamples();
      const kept = await t.db.query(`SELECT steps FROM activity_samples WHERE patient_id = $1`, [
        patient.id,
      ]);
      expect(kept).toEqual([{ steps: 80 }]);
    });
  });
});
