import type { AlertEventBody } from '@app/domain';
import type { EntityManager } from 'typeorm';

/** The channel the worker's relay listens on; notifications carry nothing, rows carry ids. */
export const OUTBOX_CHANNEL = 'sciatrack_outbox';

/**
 * Writes an event in the caller's transaction: it exists if and only if the record that caused
 * it commits, whether or not Redis is reachable. NOTIFY is delivered at commit, so the relay
 * wakes as soon as the row is visible.
 */
export async function writeOutboxEvent(
  m: EntityManager,
  organizationId: string,
  event: AlertEventBody,
): Promise<string> {
  const [{ id }] = await m.query<{ id: string }[]>(
    `INSERT INTO outbox (organization_id, event_type, payload) VALUES ($1, $2, $3) RETURNING id`,
    [organizationId, event.type, JSON.stringify(event)],
  );
  await m.query(`SELECT pg_notify($1, '')`, [OUTBOX_CHANNEL]);
  return id;
}
