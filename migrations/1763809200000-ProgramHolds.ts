import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a program was on hold: paused (PERIPHERALIZATION, NEW_LEG_PAIN) or suspended
 * (PERSISTENT_FLARE) until a clinician resumed it. Adherence prescribes nothing on a day the
 * program was on hold: a patient who stops as told has not missed those sessions. One row per
 * hold; a pause that turns into a suspension stays one hold. `ended_at` is null while it lasts.
 */
export class ProgramHolds1763809200000 implements MigrationInterface {
  name = 'ProgramHolds1763809200000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE program_holds (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        program_id uuid NOT NULL,
        status text NOT NULL CHECK (status IN ('paused','suspended')),
        reason text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        ended_at timestamptz,
        CHECK (ended_at IS NULL OR ended_at >= started_at),
        FOREIGN KEY (organization_id, program_id) REFERENCES programs (organization_id, id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX program_holds_program_idx ON program_holds (organization_id, program_id, started_at)`,
    );
    // At most one hold open per program.
    await q.query(
      `CREATE UNIQUE INDEX program_holds_open_uq ON program_holds (program_id) WHERE ended_at IS NULL`,
    );
    // Programs on hold today: their hold began when their status last changed.
    await q.query(`
      INSERT INTO program_holds (organization_id, program_id, status, reason, started_at)
      SELECT organization_id, id, status, COALESCE(status_reason, status), status_changed_at
      FROM programs WHERE status IN ('paused', 'suspended')`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE program_holds`);
  }
}
