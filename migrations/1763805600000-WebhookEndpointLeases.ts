import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The attempts in flight per endpoint, counted when an attempt is claimed: a receiver that is
 * slow to answer holds a few of the worker's attempt slots, not all of them. Leases are cleared
 * when an attempt is recorded, so the index holds only the attempts in flight (and crashed ones
 * until their lease runs out).
 */
export class WebhookEndpointLeases1763805600000 implements MigrationInterface {
  name = 'WebhookEndpointLeases1763805600000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX webhook_deliveries_leased_idx ON webhook_deliveries (endpoint_id, leased_until)
       WHERE leased_until IS NOT NULL`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX webhook_deliveries_leased_idx`);
  }
}
