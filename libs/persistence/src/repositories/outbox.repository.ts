import type { AlertEventBody } from '@app/domain';
import { Injectable } from '@nestjs/common';
import type { Tx } from '../db.service';

/** The channel the worker's relay listens on; notifications carry nothing, rows carry ids. */
export const OUTBOX_CHANNEL = 'sciatrack_outbox';

// The NOTIFY rides in the INSERT's statement: one round trip per event in the writer's
// transaction, and PostgreSQL still delivers it only at commit.
const WRITE_EVENT = `
  WITH event AS (
    INSERT INTO outbox (organization_id, event_type, payload) VALUES ($1, $2, $3) RETURNING id
  )
  SELECT event.id FROM event CROSS JOIN pg_notify($4, '')`;

/** The transactional outbox: events written with their record, relayed to the queue, purged. */
@Injectable()
export class OutboxRepository {
  /**
   * Writes an event in the caller's transaction: it exists if and only if the record that caused
   * it commits, whether or not Redis is reachable. Static, so that code given a transaction
   * (raising alerts) needs no injected repository.
   */
  static async write(tx: Tx, organizationId: string, event: AlertEventBody): Promise<string> {
    const [{ id }] = await tx.query<{ id: string }[]>(WRITE_EVENT, [
      organizationId,
      event.type,
      JSON.stringify(event),
      OUTBOX_CHANNEL,
    ]);
    return id;
  }
}
