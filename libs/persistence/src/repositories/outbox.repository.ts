import { AppConfig } from '@app/config';
import type { AlertEventBody, WebhookEventBody, WebhookEventType } from '@app/domain';
import { activeTraceparent } from '@app/telemetry';
import { Injectable } from '@nestjs/common';
import { Db, queryRows, type Tx } from '../db.service';
import { listenOn, type Listener } from '../listen';

/** The channel the worker's relay listens on; notifications carry nothing, rows carry ids. */
export const OUTBOX_CHANNEL = 'sciatrack_outbox';

// The NOTIFY rides in the INSERT's statement: one round trip per event in the writer's
// transaction, and PostgreSQL still delivers it only at commit.
const WRITE_EVENT = `
  WITH event AS (
    INSERT INTO outbox (organization_id, event_type, payload, trace_context) VALUES ($1, $2, $3, $5)
    RETURNING id
  )
  SELECT event.id FROM event CROSS JOIN pg_notify($4, '')`;

// Stamped in the statement that takes the rows: the stamp commits with the transaction, which
// the relay commits only once the jobs are in Redis, so a row is never stamped without its job.
const TAKE_FOR_RELAY = `
  WITH batch AS (
    SELECT organization_id, id, created_at, trace_context FROM outbox WHERE relayed_at IS NULL
    ORDER BY created_at, id LIMIT $1 FOR UPDATE SKIP LOCKED
  ), stamped AS (
    UPDATE outbox o SET relayed_at = clock_timestamp() FROM batch
    WHERE o.organization_id = batch.organization_id AND o.id = batch.id
  )
  SELECT id, trace_context FROM batch ORDER BY created_at, id`;

/** An event taken for the relay, with the traceparent of the span that wrote it (if traced). */
export interface RelayedEvent {
  id: string;
  traceContext: string | null;
}

export interface OutboxEvent {
  organizationId: string;
  eventType: WebhookEventType;
  payload: WebhookEventBody;
}

/** The relay's LISTEN connection. */
export type OutboxListener = Listener;

/** The transactional outbox: events written with their record, relayed to the queue, purged. */
@Injectable()
export class OutboxRepository {
  constructor(
    private readonly db: Db,
    private readonly config: AppConfig,
  ) {}

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
      activeTraceparent(),
    ]);
    return id;
  }

  /**
   * Takes up to `limit` events not relayed yet, oldest first, and stamps them relayed in `tx`.
   * Rows another relay holds are skipped (SKIP LOCKED); if `tx` rolls back, the rows wait.
   */
  async takeForRelay(tx: Tx, limit: number): Promise<RelayedEvent[]> {
    const rows = await tx.query<{ id: string; trace_context: string | null }[]>(TAKE_FOR_RELAY, [
      limit,
    ]);
    return rows.map((r) => ({ id: r.id, traceContext: r.trace_context }));
  }

  /** Events relayed more than `graceSeconds` ago and still not fanned out: their job was lost. */
  async relayedNotFannedOut(graceSeconds: number, limit: number): Promise<string[]> {
    const rows = await this.db.current.query<{ id: string }[]>(
      `SELECT id FROM outbox
       WHERE fanned_out_at IS NULL AND relayed_at < now() - make_interval(secs => $1)
       ORDER BY relayed_at LIMIT $2`,
      [graceSeconds, limit],
    );
    return rows.map((r) => r.id);
  }

  /** The event, unless it is gone or already fanned out. */
  async toFanOut(eventId: string): Promise<OutboxEvent | null> {
    const [row] = await this.db.current.query<
      { organization_id: string; event_type: WebhookEventType; payload: WebhookEventBody }[]
    >(
      `SELECT organization_id, event_type, payload FROM outbox
       WHERE id = $1 AND fanned_out_at IS NULL`,
      [eventId],
    );
    return row
      ? { organizationId: row.organization_id, eventType: row.event_type, payload: row.payload }
      : null;
  }

  /** Drops events fanned out more than `days` ago; one not fanned out is kept whatever its age. */
  async purgeFannedOut(days: number): Promise<number> {
    const rows = await queryRows(
      this.db.current,
      `DELETE FROM outbox WHERE fanned_out_at < now() - make_interval(days => $1) RETURNING 1`,
      [days],
    );
    return rows.length;
  }

  /** LISTENs for new events (see listenOn). */
  listen(onEvent: () => void, onLost: () => void): Promise<OutboxListener> {
    return listenOn(this.config.DATABASE_URL, OUTBOX_CHANNEL, onEvent, onLost);
  }
}
