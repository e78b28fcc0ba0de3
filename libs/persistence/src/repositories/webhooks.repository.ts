import { Injectable } from '@nestjs/common';
import { Db } from '../db.service';

/** A delivery and the attempt it is at: the attempt number names its job. */
export interface DeliveryAttemptRef {
  id: string;
  attempts: number;
}

/** Webhook endpoints, their deliveries, and the leases that keep an attempt to one worker. */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly db: Db) {}

  /**
   * Deliveries due more than `graceSeconds` ago that no attempt holds: their job was lost (Redis
   * restarted, a worker killed after its lease ran out), or they wait behind others.
   */
  async dueWithoutAttempt(graceSeconds: number, limit: number): Promise<DeliveryAttemptRef[]> {
    return this.db.current.query<DeliveryAttemptRef[]>(
      `SELECT id, attempts FROM webhook_deliveries
       WHERE status = 'pending' AND next_attempt_at < now() - make_interval(secs => $1)
         AND (leased_until IS NULL OR leased_until < now())
       ORDER BY next_attempt_at LIMIT $2`,
      [graceSeconds, limit],
    );
  }
}
