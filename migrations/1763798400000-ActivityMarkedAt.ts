import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When each day was marked for rollup: an import may leave its days to another import of the
 * same patient that is still on its way, but not for longer than a bound, which needs the age.
 */
export class ActivityMarkedAt1763798400000 implements MigrationInterface {
  name = 'ActivityMarkedAt1763798400000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE activity_dirty_days ADD COLUMN marked_at timestamptz NOT NULL DEFAULT now()`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE activity_dirty_days DROP COLUMN marked_at`);
  }
}
