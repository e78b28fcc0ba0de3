import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two changes that make ingest cheaper (see BENCHMARKS.md).
 *
 * 1. Raw payload chunks are compressed with lz4 rather than pglz: they are written once, read
 *    once and deleted, and pglz took about five times lz4's CPU on JSON bodies. A server built
 *    without lz4 keeps pglz.
 *
 * 2. The patient-local days whose activity rollup is out of date, per patient rather than per
 * import: an import writes its samples and marks their days in one transaction, then whichever
 * import of the patient next holds the rollup lock rolls up every marked day at once, so
 * concurrent imports of one patient share their rollups instead of queueing one each.
 *
 * No unique key on purpose: a unique (patient, day) would make a second import's insert wait
 * for the first import's commit. A day marked twice is rolled up once (DISTINCT on delete).
 */
export class ActivityIngestTuning1763787600000 implements MigrationInterface {
  name = 'ActivityIngestTuning1763787600000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DO $$ BEGIN
        ALTER TABLE activity_import_chunks ALTER COLUMN data SET COMPRESSION lz4;
      EXCEPTION WHEN feature_not_supported THEN NULL;
      END $$`);
    await q.query(`
      CREATE TABLE activity_dirty_days (
        organization_id uuid NOT NULL,
        patient_id uuid NOT NULL,
        local_date date NOT NULL,
        FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX activity_dirty_days_patient_idx ON activity_dirty_days (organization_id, patient_id)`,
    );
    // Days still waiting in the per-import table (imports interrupted by the upgrade) move over.
    await q.query(`
      INSERT INTO activity_dirty_days (organization_id, patient_id, local_date)
      SELECT DISTINCT i.organization_id, i.patient_id, d.local_date
      FROM activity_import_days d JOIN activity_imports i ON i.id = d.import_id
      WHERE i.status IN ('queued', 'processing')`);
    await q.query(`DROP TABLE activity_import_days`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE activity_import_days (
        import_id uuid NOT NULL REFERENCES activity_imports(id) ON DELETE CASCADE,
        local_date date NOT NULL,
        PRIMARY KEY (import_id, local_date)
      )`);
    // Marked days go back to the patient's unfinished imports, so none is forgotten.
    await q.query(`
      INSERT INTO activity_import_days (import_id, local_date)
      SELECT DISTINCT i.id, d.local_date
      FROM activity_dirty_days d
      JOIN activity_imports i ON i.organization_id = d.organization_id AND i.patient_id = d.patient_id
      WHERE i.status IN ('queued', 'processing')`);
    await q.query(`DROP TABLE activity_dirty_days`);
    await q.query(`ALTER TABLE activity_import_chunks ALTER COLUMN data SET COMPRESSION default`);
  }
}
