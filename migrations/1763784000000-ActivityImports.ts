import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Wearable imports: the raw payload kept in PostgreSQL (in chunks, so gigabyte exports stream
 * in and out with bounded memory), the samples under their natural key (a replay inserts
 * nothing), data freshness per source, and the daily rollup per patient-local day.
 */
export class ActivityImports1763784000000 implements MigrationInterface {
  name = 'ActivityImports1763784000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE activity_imports (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        patient_id uuid NOT NULL,
        format text NOT NULL CHECK (format IN ('native','openmhealth','fhir','apple-health-xml','health-connect','garmin','fitbit')),
        status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued','processing','completed','failed')),
        byte_size bigint NOT NULL,
        chunk_count integer NOT NULL,
        -- Records of the payload already committed: a restarted job resumes after them.
        processed integer NOT NULL DEFAULT 0,
        received integer NOT NULL DEFAULT 0,
        inserted integer NOT NULL DEFAULT 0,
        duplicates integer NOT NULL DEFAULT 0,
        rejected integer NOT NULL DEFAULT 0,
        pain_reports integer NOT NULL DEFAULT 0,
        errors jsonb NOT NULL DEFAULT '[]'::jsonb,
        failure_reason text,
        attempts integer NOT NULL DEFAULT 0,
        created_by_key_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        completed_at timestamptz,
        UNIQUE (organization_id, id),
        FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX activity_imports_pending_idx ON activity_imports (created_at) WHERE status IN ('queued','processing')`,
    );
    await q.query(
      `CREATE INDEX activity_imports_patient_idx ON activity_imports (organization_id, patient_id, created_at)`,
    );

    await q.query(`
      CREATE TABLE activity_import_chunks (
        import_id uuid NOT NULL REFERENCES activity_imports(id) ON DELETE CASCADE,
        seq integer NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (import_id, seq)
      )`);

    // The patient-local days an import's samples touch, written with each batch: after a crash
    // the resumed job still knows which days to roll up.
    await q.query(`
      CREATE TABLE activity_import_days (
        import_id uuid NOT NULL REFERENCES activity_imports(id) ON DELETE CASCADE,
        local_date date NOT NULL,
        PRIMARY KEY (import_id, local_date)
      )`);

    await q.query(`
      CREATE TABLE activity_sources (
        organization_id uuid NOT NULL,
        patient_id uuid NOT NULL,
        source_key text NOT NULL,
        name text NOT NULL,
        device text,
        last_sample_end timestamptz,
        last_import_at timestamptz,
        PRIMARY KEY (organization_id, patient_id, source_key),
        FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id) ON DELETE CASCADE
      )`);

    await q.query(`
      CREATE TABLE activity_samples (
        organization_id uuid NOT NULL,
        patient_id uuid NOT NULL,
        source_key text NOT NULL,
        start_at timestamptz NOT NULL,
        end_at timestamptz NOT NULL,
        steps integer NOT NULL CHECK (steps >= 0),
        active_minutes real CHECK (active_minutes >= 0),
        activity_type text,
        manual boolean NOT NULL DEFAULT false,
        granularity text NOT NULL CHECK (granularity IN ('interval','day')),
        import_id uuid,
        -- The natural key of a sample; start_at before source_key so that a day's samples are
        -- one index range, whatever their source.
        PRIMARY KEY (organization_id, patient_id, start_at, source_key, end_at),
        CHECK (end_at > start_at),
        FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id) ON DELETE CASCADE
      )`);

    await q.query(`
      CREATE TABLE activity_daily (
        organization_id uuid NOT NULL,
        patient_id uuid NOT NULL,
        local_date date NOT NULL,
        steps integer NOT NULL,
        active_minutes integer NOT NULL,
        manual_steps integer NOT NULL,
        sample_count integer NOT NULL,
        sources jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (organization_id, patient_id, local_date),
        FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id) ON DELETE CASCADE
      )`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE activity_daily`);
    await q.query(`DROP TABLE activity_samples`);
    await q.query(`DROP TABLE activity_sources`);
    await q.query(`DROP TABLE activity_import_days`);
    await q.query(`DROP TABLE activity_import_chunks`);
    await q.query(`DROP TABLE activity_imports`);
  }
}
