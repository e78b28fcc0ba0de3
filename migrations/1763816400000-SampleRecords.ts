import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What real device data needs of the samples table.
 *
 * - `record_id`: the source's own identity of a record that it may send again changed (a Garmin
 *   epoch of one window and activity type, a FHIR Observation, a Health Connect record). A
 *   newer `revision` of the same record (or, at the same revision, one received later:
 *   `received_at`) replaces the stored one instead of being added to it.
 *   Records without one keep the natural key (start, source, end). The key gains `record_id`
 *   so that records of one source and window that differ only in it (Garmin's SEDENTARY and
 *   WALKING epochs of the same 15 minutes) are all kept: they add up.
 * - granularity `point`: a manual entry at one instant (Apple Health's user-entered steps have
 *   no duration); start and end are then equal.
 * - `activity_sources.account`: the account a source's data came from (a Garmin `userId`), so
 *   that two accounts of one patient are two sources.
 * - `activity_imports.updated`: records that replaced an earlier version of themselves.
 */
export class SampleRecords1763816400000 implements MigrationInterface {
  name = 'SampleRecords1763816400000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE activity_samples
        ADD COLUMN record_id text NOT NULL DEFAULT '',
        ADD COLUMN revision bigint NOT NULL DEFAULT 0,
        ADD COLUMN received_at timestamptz,
        DROP CONSTRAINT activity_samples_pkey,
        ADD CONSTRAINT activity_samples_pkey
          PRIMARY KEY (organization_id, patient_id, start_at, source_key, end_at, record_id),
        DROP CONSTRAINT activity_samples_check,
        ADD CONSTRAINT activity_samples_span_check
          CHECK (end_at > start_at OR (granularity = 'point' AND end_at = start_at)),
        DROP CONSTRAINT activity_samples_granularity_check,
        ADD CONSTRAINT activity_samples_granularity_check
          CHECK (granularity IN ('interval', 'day', 'point'))`);
    await q.query(
      `CREATE UNIQUE INDEX activity_samples_record_idx
       ON activity_samples (organization_id, patient_id, record_id) WHERE record_id <> ''`,
    );
    await q.query(`ALTER TABLE activity_sources ADD COLUMN account text`);
    await q.query(`ALTER TABLE activity_imports ADD COLUMN updated integer NOT NULL DEFAULT 0`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE activity_imports DROP COLUMN updated`);
    await q.query(`ALTER TABLE activity_sources DROP COLUMN account`);
    // The old schema can hold neither points nor records that share a natural key.
    await q.query(`DELETE FROM activity_samples WHERE granularity = 'point'`);
    await q.query(`
      DELETE FROM activity_samples s USING activity_samples t
      WHERE s.organization_id = t.organization_id AND s.patient_id = t.patient_id
        AND s.start_at = t.start_at AND s.source_key = t.source_key AND s.end_at = t.end_at
        AND s.record_id > t.record_id`);
    await q.query(`DROP INDEX activity_samples_record_idx`);
    await q.query(`
      ALTER TABLE activity_samples
        DROP CONSTRAINT activity_samples_granularity_check,
        ADD CONSTRAINT activity_samples_granularity_check CHECK (granularity IN ('interval', 'day')),
        DROP CONSTRAINT activity_samples_span_check,
        ADD CONSTRAINT activity_samples_check CHECK (end_at > start_at),
        DROP CONSTRAINT activity_samples_pkey,
        ADD CONSTRAINT activity_samples_pkey
          PRIMARY KEY (organization_id, patient_id, start_at, source_key, end_at),
        DROP COLUMN received_at,
        DROP COLUMN revision,
        DROP COLUMN record_id`);
  }
}
