import { Db } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';

/** Idempotency-Key answers are replayed for this long; after it, a key may be used afresh. */
export const IDEMPOTENCY_RETENTION_HOURS = 24;
const EVERY_HOUR_MS = 3_600_000;

@Injectable()
export class MaintenanceService {
  constructor(private readonly db: Db) {}

  /** Forgets old Idempotency-Key answers; running on several workers at once is harmless. */
  @Interval(EVERY_HOUR_MS)
  async purgeIdempotencyKeys(): Promise<number> {
    const rows = await this.db.manager.query<unknown[]>(
      `DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1) RETURNING 1`,
      [IDEMPOTENCY_RETENTION_HOURS],
    );
    return rows.length;
  }
}
