import { Db, queryRows } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';

/** Idempotency-Key answers are replayed for this long; after it, a key may be used afresh. */
export const IDEMPOTENCY_RETENTION_HOURS = 24;
/**
 * Fanned-out outbox rows are kept this long (for tracing a delivery back to its event); each
 * delivery keeps its own body, so a dead letter can still be replayed after the row is gone.
 */
export const OUTBOX_RETENTION_DAYS = 7;
/** Delivered webhooks are kept this long, to answer "did the clinic get it?". */
export const DELIVERY_RETENTION_DAYS = 30;
const EVERY_HOUR_MS = 3_600_000;

@Injectable()
export class MaintenanceService {
  constructor(private readonly db: Db) {}

  /** Forgets old Idempotency-Key answers; running on several workers at once is harmless. */
  @Interval(EVERY_HOUR_MS)
  async purgeIdempotencyKeys(): Promise<number> {
    return this.purge(
      `DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1) RETURNING 1`,
      IDEMPOTENCY_RETENTION_HOURS,
    );
  }

  /** Drops outbox rows fanned out long ago; a row not fanned out is kept whatever its age. */
  @Interval(EVERY_HOUR_MS)
  async purgeRelayedOutbox(): Promise<number> {
    return this.purge(
      `DELETE FROM outbox WHERE fanned_out_at < now() - make_interval(days => $1) RETURNING 1`,
      OUTBOX_RETENTION_DAYS,
    );
  }

  /**
   * Drops deliveries done long ago (their bodies name patients); dead letters are kept until
   * replayed or their endpoint is deleted.
   */
  @Interval(EVERY_HOUR_MS)
  async purgeDeliveredWebhooks(): Promise<number> {
    return this.purge(
      `DELETE FROM webhook_deliveries WHERE status = 'delivered'
         AND delivered_at < now() - make_interval(days => $1) RETURNING 1`,
      DELIVERY_RETENTION_DAYS,
    );
  }

  private async purge(sql: string, age: number): Promise<number> {
    return (await queryRows(this.db.manager, sql, [age])).length;
  }
}
