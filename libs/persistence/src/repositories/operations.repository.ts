import { Injectable } from '@nestjs/common';
import { Db } from '../db.service';

/** A backlog: how many rows wait, and how long the oldest has waited. */
export interface Backlog {
  count: number;
  oldestSeconds: number;
}

/** What operators read of the database itself: that it answers, and the alert path's backlogs. */
@Injectable()
export class OperationsRepository {
  constructor(private readonly db: Db) {}

  /** True when PostgreSQL answers. */
  async ping(): Promise<boolean> {
    try {
      await this.db.current.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  /** Outbox events not yet turned into webhook deliveries. */
  outboxWaiting(): Promise<Backlog> {
    return this.backlog(
      `SELECT count(*)::int AS count,
              coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest_seconds
       FROM outbox WHERE fanned_out_at IS NULL`,
    );
  }

  /** Webhook deliveries whose next attempt is due. */
  deliveriesDue(): Promise<Backlog> {
    return this.backlog(
      `SELECT count(*)::int AS count,
              coalesce(extract(epoch FROM now() - min(next_attempt_at)), 0)::float8 AS oldest_seconds
       FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now()`,
    );
  }

  private async backlog(sql: string): Promise<Backlog> {
    const [row] = await this.db.current.query<{ count: number; oldest_seconds: number }[]>(sql);
    return { count: row.count, oldestSeconds: row.oldest_seconds };
  }
}
