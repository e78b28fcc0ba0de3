import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When an outbox event became delivery rows. Relayed is not enough: Redis keeps nothing on disk,
 * so a job lost between the relay and its fan-out would lose the event; the worker's sweep
 * queues again an event relayed a while ago and still not fanned out.
 */
export class OutboxFannedOut1763802000000 implements MigrationInterface {
  name = 'OutboxFannedOut1763802000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox ADD COLUMN fanned_out_at timestamptz`);
    // Events relayed before this column existed were fanned out by then, or are lost already.
    await q.query(`UPDATE outbox SET fanned_out_at = relayed_at WHERE relayed_at IS NOT NULL`);
    await q.query(
      `CREATE INDEX outbox_unfanned_idx ON outbox (relayed_at) WHERE fanned_out_at IS NULL`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX outbox_unfanned_idx`);
    await q.query(`ALTER TABLE outbox DROP COLUMN fanned_out_at`);
  }
}
