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
        PRIMARY KEY (organization_id, patient_id, source_key, start_at, end_at),
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

    // Re-rolls the given patient-local days from the samples. Merge: each interval sample is
    // spread evenly over the minutes it covers, and each minute counts the most any source saw
    // in it (phone and watch on the same walk are not added up; different parts of the day are
    // all kept). Daily totals a source did not break down count as a floor for the day.
    await q.query(`
      CREATE FUNCTION activity_rollup(p_org uuid, p_patient uuid, p_days date[]) RETURNS integer
      LANGUAGE sql AS $fn$
      WITH zone AS (
        SELECT timezone FROM patients WHERE organization_id = p_org AND id = p_patient
      ), days AS (
        SELECT d AS local_date,
               (d::timestamp AT TIME ZONE zone.timezone) AS day_start,
               ((d + 1)::timestamp AT TIME ZONE zone.timezone) AS day_end
        FROM (SELECT DISTINCT unnest(p_days) AS d) u, zone
      ), samples AS (
        SELECT days.local_date, days.day_start, days.day_end, s.source_key, s.start_at, s.end_at,
               s.steps, s.active_minutes, s.manual, s.granularity,
               EXTRACT(EPOCH FROM (LEAST(s.end_at, days.day_end) - GREATEST(s.start_at, days.day_start)))
                 / EXTRACT(EPOCH FROM (s.end_at - s.start_at)) AS share
        FROM days
        JOIN activity_samples s
          ON s.organization_id = p_org AND s.patient_id = p_patient
         AND s.start_at < days.day_end AND s.end_at > days.day_start
      ), minutes AS (
        SELECT s.local_date, m AS minute,
               s.steps * EXTRACT(EPOCH FROM (LEAST(s.end_at, m + interval '1 minute') - GREATEST(s.start_at, m)))
                 / EXTRACT(EPOCH FROM (s.end_at - s.start_at)) AS steps
        FROM samples s,
             generate_series(date_trunc('minute', GREATEST(s.start_at, s.day_start)),
                             LEAST(s.end_at, s.day_end) - interval '1 microsecond',
                             interval '1 minute') AS m
        WHERE s.granularity = 'interval' AND s.steps > 0
      ), merged AS (
        SELECT local_date, sum(steps) AS steps
        FROM (SELECT local_date, minute, max(steps) AS steps FROM minutes GROUP BY local_date, minute) per_minute
        GROUP BY local_date
      ), per_source AS (
        SELECT local_date, source_key,
               COALESCE(sum(steps * share) FILTER (WHERE granularity = 'interval'), 0) AS interval_steps,
               COALESCE(max(steps * share) FILTER (WHERE granularity = 'day'), 0) AS day_steps,
               COALESCE(sum(active_minutes * share), 0) AS active_minutes,
               COALESCE(sum(steps * share) FILTER (WHERE manual), 0) AS manual_steps,
               count(*) AS samples
        FROM samples GROUP BY local_date, source_key
      ), totals AS (
        SELECT ps.local_date,
               round(GREATEST(COALESCE(max(m.steps), 0), max(ps.day_steps)))::int AS steps,
               round(max(ps.active_minutes))::int AS active_minutes,
               round(sum(ps.manual_steps))::int AS manual_steps,
               sum(ps.samples)::int AS sample_count,
               jsonb_agg(jsonb_build_object(
                 'name', src.name, 'device', src.device,
                 'steps', round(GREATEST(ps.interval_steps, ps.day_steps)),
                 'manualSteps', round(ps.manual_steps)
               ) ORDER BY src.name, src.device) AS sources
        FROM per_source ps
        LEFT JOIN merged m ON m.local_date = ps.local_date
        JOIN activity_sources src
          ON src.organization_id = p_org AND src.patient_id = p_patient AND src.source_key = ps.source_key
        GROUP BY ps.local_date
      ), cleared AS (
        DELETE FROM activity_daily a
        WHERE a.organization_id = p_org AND a.patient_id = p_patient
          AND a.local_date IN (SELECT local_date FROM days)
          AND a.local_date NOT IN (SELECT local_date FROM totals)
      ), written AS (
        INSERT INTO activity_daily AS a (organization_id, patient_id, local_date, steps, active_minutes, manual_steps, sample_count, sources, updated_at)
        SELECT p_org, p_patient, local_date, steps, active_minutes, manual_steps, sample_count, sources, now() FROM totals
        ON CONFLICT (organization_id, patient_id, local_date) DO UPDATE
          SET steps = EXCLUDED.steps, active_minutes = EXCLUDED.active_minutes, manual_steps = EXCLUDED.manual_steps,
              sample_count = EXCLUDED.sample_count, sources = EXCLUDED.sources, updated_at = now()
        RETURNING 1
      )
      SELECT count(*)::int FROM written
      $fn$`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION activity_rollup(uuid, uuid, date[])`);
    await q.query(`DROP TABLE activity_daily`);
    await q.query(`DROP TABLE activity_samples`);
    await q.query(`DROP TABLE activity_sources`);
    await q.query(`DROP TABLE activity_import_days`);
    await q.query(`DROP TABLE activity_import_chunks`);
    await q.query(`DROP TABLE activity_imports`);
  }
}
