import { MigrationInterface, QueryRunner } from 'typeorm';

const COUNTS =
  'prescribed_sessions, completed_sessions, walking_goal_days, walking_days_met, data_days';

/**
 * What the adherence dashboard reads, kept cheap to read.
 *
 * Per clinician it adds up each patient's weeks first. With the counts in the primary key's
 * index, that is an index-only scan already in patient order, summed as it is read, where a
 * hash of 130,000 rows by patient was the largest part of the statement (10,000 patients ×
 * 13 weeks). The key stays (organization_id, patient_id, week_start); the counts ride along.
 * Their updates were not HOT before either (adherence_weeks_week_idx holds them). Rebuilding
 * the index locks the table meanwhile (derived data, rewritten by the worker).
 *
 * Index-only scans skip the heap only on pages the visibility map marks all-visible, which a
 * VACUUM does. The hourly periods rewrite a few percent of these rows an hour; at the default
 * 20 % of the table, autovacuum would let most pages go unmarked for a day, and each dashboard
 * read would visit the heap for them (two to three times slower, BENCHMARKS.md).
 */
export class DashboardReads1763812800000 implements MigrationInterface {
  name = 'DashboardReads1763812800000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE adherence_weeks DROP CONSTRAINT adherence_weeks_pkey`);
    await q.query(
      `ALTER TABLE adherence_weeks ADD CONSTRAINT adherence_weeks_pkey
       PRIMARY KEY (organization_id, patient_id, week_start) INCLUDE (${COUNTS})`,
    );
    for (const table of ['adherence_weeks', 'patient_progress']) {
      await q.query(
        `ALTER TABLE ${table} SET (autovacuum_vacuum_scale_factor = 0.02,
                                   autovacuum_vacuum_insert_scale_factor = 0.02)`,
      );
    }
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const table of ['adherence_weeks', 'patient_progress']) {
      await q.query(
        `ALTER TABLE ${table} RESET (autovacuum_vacuum_scale_factor,
                                     autovacuum_vacuum_insert_scale_factor)`,
      );
    }
    await q.query(`ALTER TABLE adherence_weeks DROP CONSTRAINT adherence_weeks_pkey`);
    await q.query(
      `ALTER TABLE adherence_weeks ADD CONSTRAINT adherence_weeks_pkey
       PRIMARY KEY (organization_id, patient_id, week_start)`,
    );
  }
}
