import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `activity_samples` partitioned by month on `start_at` (docs/scaling.md): the table that grows
 * fastest, so that a month's samples are one table to vacuum, index and, past every retention,
 * drop. The data moves over in this migration (and back in `down`).
 *
 * - A row whose month has no partition yet lands in `activity_samples_default`; the worker's
 *   maintenance creates the months ahead and moves any month found in the default partition
 *   into a partition of its own, through `ensure_activity_sample_partitions`: the runtime role
 *   owns nothing and may not create tables, so the function runs as the owner (SECURITY
 *   DEFINER, with its own search_path) and does only that.
 * - A unique index of a partitioned table must hold the partition key: the record key becomes
 *   (organization, patient, record id, start). A record that moves in time is found by its id
 *   (the index's prefix) and its old row deleted by the write (activity.repository).
 * - `organizations.sample_retention_days`: raw samples older than that many days are deleted
 *   once their days are rolled up, and those days are no longer recomputed (null keeps all);
 *   `samples_purged_before` remembers how far the deletion went, so that a longer retention set
 *   later does not recompute a day from what is left of it.
 */
const COLUMNS = `organization_id, patient_id, source_key, start_at, end_at, steps, active_minutes,
  activity_type, manual, granularity, import_id, record_id, revision, received_at`;

const TABLE = `(
  organization_id uuid NOT NULL,
  patient_id uuid NOT NULL,
  source_key text NOT NULL,
  start_at timestamptz NOT NULL,
  end_at timestamptz NOT NULL,
  steps integer NOT NULL CONSTRAINT activity_samples_steps_check CHECK (steps >= 0),
  active_minutes real CONSTRAINT activity_samples_active_minutes_check CHECK (active_minutes >= 0),
  activity_type text,
  manual boolean NOT NULL DEFAULT false,
  granularity text NOT NULL
    CONSTRAINT activity_samples_granularity_check CHECK (granularity IN ('interval', 'day', 'point')),
  import_id uuid,
  record_id text NOT NULL DEFAULT '',
  revision bigint NOT NULL DEFAULT 0,
  received_at timestamptz,
  CONSTRAINT activity_samples_span_check
    CHECK (end_at > start_at OR (granularity = 'point' AND end_at = start_at)),
  CONSTRAINT activity_samples_pkey
    PRIMARY KEY (organization_id, patient_id, start_at, source_key, end_at, record_id),
  CONSTRAINT activity_samples_organization_id_patient_id_fkey
    FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id) ON DELETE CASCADE
)`;

export class PartitionedSamples1763856000000 implements MigrationInterface {
  name = 'PartitionedSamples1763856000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE activity_samples RENAME TO activity_samples_unpartitioned`);
    await q.query(
      `ALTER TABLE activity_samples_unpartitioned RENAME CONSTRAINT activity_samples_pkey TO activity_samples_unpartitioned_pkey`,
    );
    await q.query(`DROP INDEX activity_samples_record_idx`);

    await q.query(`CREATE TABLE activity_samples ${TABLE} PARTITION BY RANGE (start_at)`);
    await q.query(
      `CREATE UNIQUE INDEX activity_samples_record_idx
         ON activity_samples (organization_id, patient_id, record_id, start_at) WHERE record_id <> ''`,
    );
    await q.query(`CREATE TABLE activity_samples_default PARTITION OF activity_samples DEFAULT`);

    // Creates the monthly partitions of [from, to) and moves any row of those months out of the
    // default partition first (attaching a range the default partition holds rows of fails).
    await q.query(`
      CREATE FUNCTION ensure_activity_sample_partitions(from_month date, to_month date)
      RETURNS integer LANGUAGE plpgsql SECURITY DEFINER
      -- Months are UTC months whatever the session's or the server's zone.
      SET search_path = public, pg_temp SET TimeZone = 'UTC' AS $fn$
      DECLARE
        month date := date_trunc('month', from_month)::date;
        created integer := 0;
        name text;
      BEGIN
        IF to_month > from_month + interval '10 years' THEN
          RAISE EXCEPTION 'at most ten years of partitions at a time';
        END IF;
        -- One creator at a time: two workers creating one month would collide.
        PERFORM pg_advisory_xact_lock(hashtext('ensure_activity_sample_partitions'));
        WHILE month < to_month LOOP
          name := format('activity_samples_%s', to_char(month, 'YYYY_MM'));
          IF to_regclass(name) IS NULL THEN
            -- Every lock up front, in the order writers take theirs: patients (a write of
            -- records bumps the patient's row first; attaching clones the foreign key to
            -- patients, which takes this lock), then the table, then the default partition.
            -- Taken as the steps came, they deadlocked with such a writer. Writers of patients
            -- and samples wait the moment this takes.
            LOCK TABLE patients IN SHARE ROW EXCLUSIVE MODE;
            LOCK TABLE activity_samples IN SHARE UPDATE EXCLUSIVE MODE;
            LOCK TABLE activity_samples_default IN ACCESS EXCLUSIVE MODE;
            EXECUTE format('CREATE TABLE %I (LIKE activity_samples INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
            EXECUTE format(
              'WITH moved AS (DELETE FROM activity_samples_default WHERE start_at >= %L AND start_at < %L RETURNING *)
               INSERT INTO %I SELECT * FROM moved',
              month, month + interval '1 month', name);
            EXECUTE format('ALTER TABLE activity_samples ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
              name, month, month + interval '1 month');
            created := created + 1;
          END IF;
          month := (month + interval '1 month')::date;
        END LOOP;
        RETURN created;
      END
      $fn$`);
    await q.query(
      `REVOKE ALL ON FUNCTION ensure_activity_sample_partitions(date, date) FROM PUBLIC`,
    );

    // A partition for each month that holds samples (not every month between: a clock that
    // was never set would ask for decades of them), and from last month to three ahead; then
    // the rows move over.
    await q.query(`
      SELECT ensure_activity_sample_partitions(m, (m + interval '1 month')::date)
      FROM (SELECT DISTINCT date_trunc('month', start_at AT TIME ZONE 'UTC')::date AS m
            FROM activity_samples_unpartitioned) months ORDER BY m`);
    await q.query(`
      SELECT ensure_activity_sample_partitions(
        (date_trunc('month', now() AT TIME ZONE 'UTC') - interval '1 month')::date,
        (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '4 months')::date)`);
    await q.query(
      `INSERT INTO activity_samples (${COLUMNS}) SELECT ${COLUMNS} FROM activity_samples_unpartitioned`,
    );
    await q.query(`DROP TABLE activity_samples_unpartitioned`);

    await q.query(`
      ALTER TABLE organizations ADD COLUMN sample_retention_days integer
        CHECK (sample_retention_days BETWEEN 30 AND 36500)`);
    await q.query(`ALTER TABLE organizations ADD COLUMN samples_purged_before timestamptz`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE organizations DROP COLUMN samples_purged_before`);
    await q.query(`ALTER TABLE organizations DROP COLUMN sample_retention_days`);
    await q.query(`ALTER TABLE activity_samples RENAME TO activity_samples_partitioned`);
    await q.query(
      `ALTER TABLE activity_samples_partitioned RENAME CONSTRAINT activity_samples_pkey TO activity_samples_partitioned_pkey`,
    );
    await q.query(`DROP INDEX activity_samples_record_idx`);
    await q.query(`CREATE TABLE activity_samples ${TABLE}`);
    await q.query(
      `INSERT INTO activity_samples (${COLUMNS}) SELECT ${COLUMNS} FROM activity_samples_partitioned`,
    );
    await q.query(`DROP TABLE activity_samples_partitioned`);
    await q.query(`DROP FUNCTION ensure_activity_sample_partitions(date, date)`);
    await q.query(
      `CREATE UNIQUE INDEX activity_samples_record_idx
         ON activity_samples (organization_id, patient_id, record_id) WHERE record_id <> ''`,
    );
  }
}
