import { Db, queryRows } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';

/** Idempotency-Key answers are replayed for this long; after it, a key may be used afresh. */
export const IDEMPOTENCY_RETENTION_HOURS = 24;
/**
 * Relayed outbox rows are kept this long (for tracing a delivery back to its event); each
 * delivery keeps its own body, so a dead letter can still be replayed after the row is gone.
 */
export const OUTBOX_RETENTION_DAYS = 7;
const EVERY_HOUR_MS = 3_600_000;

@Injectable()
export class MaintenanceService {
  constructor(private readonly db: Db) {}

  /** Forgets old Idempotency-Key answers; running on several workers at once is harmless. */
  @Interval(EVERY_HOUR_MS)
  async purgeIdempotencyKeys(): Promise<number> {
    const rows = await queryRows(
      this.db.manager,
      `DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1) RETURNING 1`,
      [IDEMPOTENCY_RETENTION_HOURS],
    );
    return rows.length;
  }

  /** Drops outbox rows relayed long ago; rows never relayed are kept whatever their age. */
  @Interval(EVERY_HOUR_MS)
  async purgeRelayedOutbox(): Promise<number> {
    const rows = await queryRows(
      this.db.manager,
      `DELETE FROM outbox WHERE relayed_at < now() - make_interval(days => $1) RETURNING 1`,
      [OUTBOX_RETENTION_DAYS],
    );
    return rows.length;
  }
}
