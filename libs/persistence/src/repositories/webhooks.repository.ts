import { Injectable } from '@nestjs/common';
import { Db } from '../db.service';

// Stamps the event fanned out and writes its deliveries in one statement. The UPDATE takes the
// event's row lock and answers nothing if the event is already fanned out, so a fan-out that
// runs twice at once (a relay and a sweep) waits for the first and then creates nothing.
// A clinician's endpoint hears about that clinician's patients only.
const FAN_OUT = `
  WITH event AS (
    UPDATE outbox SET fanned_out_at = clock_timestamp()
    WHERE id = $1 AND fanned_out_at IS NULL
    RETURNING id, organization_id, event_type
  )
  INSERT INTO webhook_deliveries (organization_id, endpoint_id, event_id, event_type, body)
  SELECT e.organization_id, e.id, ev.id, ev.event_type, $2
  FROM event ev JOIN webhook_endpoints e ON e.organization_id = ev.organization_id
  WHERE e.enabled AND ev.event_type = ANY (e.events)
    AND (e.clinician_id IS NULL OR e.clinician_id =
         (SELECT p.clinician_id FROM patients p WHERE p.organization_id = ev.organization_id AND p.id = $3))
  ON CONFLICT (endpoint_id, event_id) DO NOTHING
  RETURNING id`;

// Claims of one endpoint take turns on its row, so the count of attempts in flight in
// CLAIM_ATTEMPT is exact (FOR NO KEY UPDATE leaves the fan-out's foreign-key checks alone). It
// must be a statement of its own: a statement's snapshot is taken before it waits for a lock,
// and the count must see the leases the previous holder committed.
const LOCK_ENDPOINT_OF_DELIVERY = `
  SELECT 1 FROM webhook_endpoints e JOIN webhook_deliveries d ON d.endpoint_id = e.id
  WHERE d.id = $1 FOR NO KEY UPDATE OF e`;

// Takes the attempt: only a pending, due row whose lease (if any) has run out, and while its
// endpoint has fewer than $3 attempts in flight. The same statement says why not when it does
// not (the row as it stood when the statement began).
const CLAIM_ATTEMPT = `
  WITH claimed AS (
    UPDATE webhook_deliveries d
    SET attempts = d.attempts + 1, last_attempt_at = clock_timestamp(),
        leased_until = clock_timestamp() + make_interval(secs => $2)
    FROM webhook_endpoints e
    WHERE d.id = $1 AND e.id = d.endpoint_id AND d.status = 'pending'
      AND d.next_attempt_at <= clock_timestamp()
      AND (d.leased_until IS NULL OR d.leased_until < clock_timestamp())
      AND (SELECT count(*) FROM webhook_deliveries o
           WHERE o.endpoint_id = d.endpoint_id AND o.leased_until > clock_timestamp()) < $3
    RETURNING d.id, d.event_id, d.body, d.attempts, e.id AS endpoint_id, e.url, e.enabled,
      e.secret_encrypted,
      CASE WHEN e.previous_secret_expires_at > clock_timestamp() THEN e.previous_secret_encrypted END
        AS previous_secret_encrypted
  )
  SELECT c.*, s.status = 'pending' AS pending, s.attempts AS attempts_so_far,
    greatest(0, extract(epoch FROM s.next_attempt_at - clock_timestamp()) * 1000)::float8 AS wait_ms,
    coalesce(s.leased_until > clock_timestamp(), false) AS leased
  FROM webhook_deliveries s LEFT JOIN claimed c ON true
  WHERE s.id = $1`;

// The endpoint is disabled first (its row lock before any delivery's, the order claims take
// them in); nothing more can reach it, so what was waiting goes to the dead letter, replayable
// once the endpoint is enabled again.
const DISABLE_GONE_ENDPOINT = `
  WITH disabled AS (
    UPDATE webhook_endpoints SET enabled = false, disabled_at = now(), updated_at = now(),
      disabled_reason = 'the receiver answered 410 Gone'
    WHERE id = $1 RETURNING id
  )
  UPDATE webhook_deliveries d SET status = 'dead', dead_at = now(), leased_until = NULL,
    dead_reason = CASE WHEN d.id = $2 THEN 'the receiver answered 410 Gone'
                       ELSE 'the endpoint was disabled' END,
    last_status_code = CASE WHEN d.id = $2 THEN 410 ELSE d.last_status_code END
  FROM disabled
  WHERE d.endpoint_id = disabled.id AND d.status = 'pending'`;

/** A delivery and the attempt it is at: the attempt number names its job and fences its result. */
export interface DeliveryAttemptRef {
  id: string;
  attempts: number;
}

/** An attempt taken: what to send, where, and the secrets to sign it with. */
export interface ClaimedAttempt extends DeliveryAttemptRef {
  eventId: string;
  body: string;
  endpointId: string;
  url: string;
  enabled: boolean;
  secretEncrypted: Buffer;
  /** Only while it still signs. */
  previousSecretEncrypted: Buffer | null;
}

/** A pending delivery that could not be claimed, and why. */
export interface UnclaimedDelivery {
  attempts: number;
  /** How long until it is due; 0 when due, so its endpoint has all the attempts it may. */
  waitMs: number;
  /** Another attempt holds it. */
  leased: boolean;
}

export type AttemptClaim =
  | { kind: 'claimed'; attempt: ClaimedAttempt }
  /** `pending` is null when the delivery is gone, delivered or dead. */
  | { kind: 'not_claimed'; pending: UnclaimedDelivery | null };

interface ClaimRow {
  id: string | null;
  event_id: string;
  body: string;
  attempts: number;
  endpoint_id: string;
  url: string;
  enabled: boolean;
  secret_encrypted: Buffer;
  previous_secret_encrypted: Buffer | null;
  pending: boolean;
  attempts_so_far: number;
  wait_ms: number;
  leased: boolean;
}

/** Webhook endpoints, their deliveries, and the leases that keep an attempt to one worker. */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly db: Db) {}

  /**
   * Stamps the event fanned out and creates its deliveries, one per enabled endpoint subscribed
   * to it; answers their ids. An event already fanned out gets nothing more.
   */
  async fanOut(eventId: string, body: string, patientId: string): Promise<string[]> {
    const rows = await this.db.current.query<{ id: string }[]>(FAN_OUT, [eventId, body, patientId]);
    return rows.map((r) => r.id);
  }

  /**
   * Takes a lease on the delivery's next attempt, in a transaction of its own, so that two jobs
   * of one delivery never send at once.
   */
  claimAttempt(
    deliveryId: string,
    leaseSeconds: number,
    maxInFlight: number,
  ): Promise<AttemptClaim> {
    return this.db.transaction(async (tx) => {
      const [endpoint] = await tx.query<unknown[]>(LOCK_ENDPOINT_OF_DELIVERY, [deliveryId]);
      if (!endpoint) return { kind: 'not_claimed', pending: null };
      const [row] = await tx.query<ClaimRow[]>(CLAIM_ATTEMPT, [
        deliveryId,
        leaseSeconds,
        maxInFlight,
      ]);
      if (row?.id) {
        return {
          kind: 'claimed',
          attempt: {
            id: row.id,
            attempts: row.attempts,
            eventId: row.event_id,
            body: row.body,
            endpointId: row.endpoint_id,
            url: row.url,
            enabled: row.enabled,
            secretEncrypted: row.secret_encrypted,
            previousSecretEncrypted: row.previous_secret_encrypted,
          },
        };
      }
      return {
        kind: 'not_claimed',
        pending: row?.pending
          ? { attempts: row.attempts_so_far, waitMs: row.wait_ms, leased: row.leased }
          : null,
      };
    });
  }

  /** Records a 2xx; a worker that outlived its lease (another attempt since) changes nothing. */
  async recordDelivered(attempt: DeliveryAttemptRef, statusCode: number | null): Promise<void> {
    await this.db.current.query(
      `UPDATE webhook_deliveries SET status = 'delivered', delivered_at = clock_timestamp(),
         leased_until = NULL, last_status_code = $3, last_error = NULL
       WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [attempt.id, attempt.attempts, statusCode],
    );
  }

  /** Records a failed attempt and when the next one is due. */
  async recordRetry(
    attempt: DeliveryAttemptRef,
    statusCode: number | null,
    error: string | null,
    delayMs: number,
  ): Promise<void> {
    await this.db.current.query(
      `UPDATE webhook_deliveries SET leased_until = NULL, last_status_code = $3, last_error = $4,
         next_attempt_at = clock_timestamp() + make_interval(secs => $5)
       WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [attempt.id, attempt.attempts, statusCode, error, delayMs / 1000],
    );
  }

  /** Puts the delivery in the dead letter, with its reason. */
  async bury(
    attempt: DeliveryAttemptRef,
    reason: string,
    statusCode: number | null,
    error: string | null,
  ): Promise<void> {
    await this.db.current.query(
      `UPDATE webhook_deliveries SET status = 'dead', dead_at = clock_timestamp(), dead_reason = $3,
         leased_until = NULL, last_status_code = coalesce($4, last_status_code), last_error = $5
       WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [attempt.id, attempt.attempts, reason, statusCode, error],
    );
  }

  /**
   * The receiver answered 410 Gone to `deliveryId`: its endpoint is disabled and every delivery
   * waiting for it goes to the dead letter.
   */
  async disableGoneEndpoint(endpointId: string, deliveryId: string): Promise<void> {
    await this.db.current.query(DISABLE_GONE_ENDPOINT, [endpointId, deliveryId]);
  }

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
