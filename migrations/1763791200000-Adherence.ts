import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Adherence and progression flags, computed by the worker's scheduled jobs (docs/adherence.md):
 * weekly figures per patient for dashboards, the current flags per patient, the patients whose
 * records changed since their last computation, and one row per scheduled period so that a
 * period is computed once however many workers run.
 */
export class Adherence1763791200000 implements MigrationInterface {
  name = 'Adherence1763791200000';

  public async up(q: QueryRunner): Promise<void> {
    // Patient-local weeks, Monday to Sunday. Counts, not ratios: a group's adherence is the
    // ratio of its sums or the mean of its patients' ratios, both derivable.
    await q.query(`
      CREATE TABLE adherence_weeks (
        organization_id uuid NOT NULL,
        patient_id uuid NOT NULL,
        week_start date NOT NULL CHECK (extract(isodow FROM week_start) = 1),
        prescribed_sessions integer NOT NULL,
        completed_sessions integer NOT NULL,
        walking_goal_days smallint NOT NULL,
        walking_days_met smallint NOT NULL,
        active_days smallint NOT NULL,
        data_days smallint NOT NULL,
        computed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (organization_id, patient_id, week_start),
        FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id) ON DELETE CASCADE
      )`);
    // The dashboard (GET /v1/dashboard/adherence) reads an organization's weeks in one
    // statement. With the counts it needs in the index, that is an index-only scan already in
    // week order: no heap page and no sort for 10,000 patients × 13 weeks. The price: a changed
    // count is not a HOT update, so the worker rewrites only the rows that changed.
    await q.query(
      `CREATE INDEX adherence_weeks_week_idx ON adherence_weeks (organization_id, week_start)
       INCLUDE (patient_id, prescribed_sessions, completed_sessions, walking_goal_days, walking_days_met, data_days)`,
    );

    // The read path of a full recompute. A patient's sessions and daily steps are written day
    // by day among everyone else's, so reading them from the heap costs about one page per row;
    // these covering indexes hold what the weekly figures and the flags' session list need in
    // key order, per patient, so they read a few index pages per patient (index-only scans);
    // only the few recent sessions whose doses the flags check are read from the heap.
    // exercise_codes is filled by a trigger, so that every writer keeps it right.
    await q.query(`ALTER TABLE sessions ADD COLUMN exercise_codes text[]`);
    await q.query(`
      CREATE FUNCTION sessions_exercise_codes() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.exercise_codes := ARRAY(
          SELECT DISTINCT e->>'exerciseCode' FROM jsonb_array_elements(NEW.items) e ORDER BY 1);
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER sessions_exercise_codes BEFORE INSERT OR UPDATE OF items ON sessions
      FOR EACH ROW EXECUTE FUNCTION sessions_exercise_codes()`);
    await q.query(`UPDATE sessions SET items = items`);
    await q.query(
      `CREATE INDEX sessions_patient_day_idx ON sessions (organization_id, patient_id, local_date) INCLUDE (exercise_codes, performed_at, id)`,
    );
    await q.query(
      `CREATE INDEX activity_daily_steps_idx ON activity_daily (organization_id, patient_id, local_date) INCLUDE (steps)`,
    );

    // The flags that hold on the patient-local day \`as_of\`, with their evidence, and the data
    // days of the 30 closed days before it (remote-monitoring eligibility).
    await q.query(`
      CREATE TABLE patient_progress (
        organization_id uuid NOT NULL,
        patient_id uuid NOT NULL,
        as_of date NOT NULL,
        flags jsonb NOT NULL,
        data_days_30 smallint NOT NULL,
        remote_monitoring_code text CHECK (remote_monitoring_code IN ('98977','98985')),
        computed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (organization_id, patient_id),
        FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id) ON DELETE CASCADE
      )`);

    // Written with every session, pain report and import; emptied by the worker within a minute.
    // No unique key, so that concurrent writes for one patient never wait on each other.
    await q.query(`
      CREATE TABLE adherence_dirty (
        organization_id uuid NOT NULL,
        patient_id uuid NOT NULL,
        marked_at timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX adherence_dirty_marked_idx ON adherence_dirty (marked_at)`);

    // One row per scheduled period (the UTC hour whose local midnights it closes): claimed by
    // the first job to run it, so a period is computed once even if its job ran twice.
    await q.query(`
      CREATE TABLE adherence_periods (
        period text PRIMARY KEY,
        chunks integer NOT NULL,
        chunks_done integer NOT NULL DEFAULT 0,
        patients integer NOT NULL DEFAULT 0,
        started_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE adherence_period_chunks (
        period text NOT NULL REFERENCES adherence_periods (period) ON DELETE CASCADE,
        chunk integer NOT NULL,
        patients integer NOT NULL,
        completed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (period, chunk)
      )`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE adherence_period_chunks`);
    await q.query(`DROP TABLE adherence_periods`);
    await q.query(`DROP TABLE adherence_dirty`);
    await q.query(`DROP TABLE patient_progress`);
    await q.query(`DROP TABLE adherence_weeks`);
    await q.query(`DROP INDEX activity_daily_steps_idx`);
    await q.query(`DROP INDEX sessions_patient_day_idx`);
    await q.query(`DROP TRIGGER sessions_exercise_codes ON sessions`);
    await q.query(`DROP FUNCTION sessions_exercise_codes()`);
    await q.query(`ALTER TABLE sessions DROP COLUMN exercise_codes`);
  }
}
