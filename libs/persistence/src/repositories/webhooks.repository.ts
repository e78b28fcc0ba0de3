import type { WebhookEventType } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { Db, queryRows } from '../db.service';
import { WebhookDelivery, WebhookEndpoint, type DeliveryStatus } from '../entities';
import { keysetPage, type KeysetPage, type PageRequest } from '../keyset-page';

// An endpoint as the API shows it, named as the entity names it; its secrets never leave here.
const ENDPOINT_COLUMNS = `id, organization_id AS "organizationId", clinician_id AS "clinicianId",
  url, events, previous_secret_expires_at AS "previousSecretExpiresAt", enabled,
  disabled_reason AS "disabledReason", disabled_at AS "disabledAt", created_at AS "createdAt",
  updated_at AS "updatedAt"`;

// Every column of a delivery, named as the entity names it.
const DELIVERY_COLUMNS = `d.id, d.organization_id AS "organizationId", d.endpoint_id AS "endpointId",
  d.event_id AS "eventId", d.event_type AS "eventType", d.body, d.status, d.attempts,
  d.next_attempt_at AS "nextAttemptAt", d.leased_until AS "leasedUntil",
  d.last_attempt_at AS "lastAttemptAt", d.last_status_code AS "lastStatusCode",
  d.last_error AS "lastError", d.delivered_at AS "deliveredAt", d.dead_at AS "deadAt",
  d.dead_reason AS "deadReason", d.replay_count AS "replayCount", d.created_at AS "createdAt"`;

// The count and the insert in one statement: every alert is one POST per endpoint, from worker
// slots all clinics share, so an organization has at most $6.
const INSERT_ENDPOINT = `
  INSERT INTO webhook_endpoints (organization_id, clinician_id, url, events, secret_encrypted)
  SELECT $1::uuid, $2::uuid, $3, $4::text[], $5::bytea
  WHERE (SELECT count(*) FROM webhook_endpoints WHERE organization_id = $1) < $6
  RETURNING ${ENDPOINT_COLUMNS}`;

// A new secret signs from now on; the old one signs too until $4 seconds have passed.
const ROTATE_SECRET = `
  UPDATE webhook_endpoints SET previous_secret_encrypted = secret_encrypted, secret_encrypted = $3,
    previous_secret_expires_at = now() + make_interval(secs => $4), updated_at = now()
  WHERE organization_id = $1 AND id = $2
  RETURNING ${ENDPOINT_COLUMNS}`;

// The delivery is locked first, so that two replays take turns and the second sees the first's
// status; only a dead delivery of an enabled endpoint starts again, from a fresh schedule.
const REPLAY_DEAD = `
  WITH target AS (
    SELECT d.id, d.status, e.enabled FROM webhook_deliveries d
    JOIN webhook_endpoints e ON e.organization_id = d.organization_id AND e.id = d.endpoint_id
    WHERE d.organization_id = $1 AND d.id = $2
    FOR UPDATE OF d
  ), replayed AS (
    UPDATE webhook_deliveries d SET status = 'pending', attempts = 0, next_attempt_at = now(),
      dead_at = NULL, dead_reason = NULL, replay_count = d.replay_count + 1
    FROM target t
    WHERE d.organization_id = $1 AND d.id = t.id AND t.status = 'dead' AND t.enabled
    RETURNING ${DELIVERY_COLUMNS}
  )
  SELECT t.status AS "statusBefore", t.enabled AS "endpointEnabled", r.*
  FROM target t LEFT JOIN replayed r ON true`;

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
  ON CONFLICT (organization_id, endpoint_id, event_id) DO NOTHING
  RETURNING id`;

// Claims of one endpoint take turns on its row, so the count of attempts in flight in
// CLAIM_ATTEMPT is exact (FOR NO KEY UPDATE leaves the fan-out's foreign-key checks alone). It
// must be a statement of its own: a statement's snapshot is taken before it waits for a lock,
// and the count must see the leases the previous holder committed.
const LOCK_ENDPOINT_OF_DELIVERY = `
  SELECT 1 FROM webhook_endpoints e
  JOIN webhook_deliveries d ON d.organization_id = e.organization_id AND d.endpoint_id = e.id
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
    WHERE d.id = $1 AND e.organization_id = d.organization_id AND e.id = d.endpoint_id
      AND d.status = 'pending'
      AND d.next_attempt_at <= clock_timestamp()
      AND (d.leased_until IS NULL OR d.leased_until < clock_timestamp())
      AND (SELECT count(*) FROM webhook_deliveries o
           WHERE o.endpoint_id = d.endpoint_id AND o.leased_until > clock_timestamp()) < $3
    RETURNING d.id, d.organization_id, d.event_id, d.body, d.attempts, e.id AS endpoint_id, e.url, e.enabled,
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
    WHERE organization_id = $3 AND id = $1 RETURNING organization_id, id
  )
  UPDATE webhook_deliveries d SET status = 'dead', dead_at = now(), leased_until = NULL,
    dead_reason = CASE WHEN d.id = $2 THEN 'the receiver answered 410 Gone'
                       ELSE 'the endpoint was disabled' END,
    last_status_code = CASE WHEN d.id = $2 THEN 410 ELSE d.last_status_code END
  FROM disabled
  WHERE d.organization_id = disabled.organization_id AND d.endpoint_id = disabled.id
    AND d.status = 'pending'`;

/** An endpoint without its secrets. */
export type WebhookEndpointView = Omit<
  WebhookEndpoint,
  'secretEncrypted' | 'previousSecretEncrypted'
>;

export interface NewWebhookEndpoint {
  organizationId: string;
  clinicianId: string | null;
  url: string;
  events: WebhookEventType[];
  secretEncrypted: Buffer;
}

export interface DeliveryFilter {
  status?: DeliveryStatus;
  endpointId?: string;
}

export type ReplayResult =
  | { kind: 'replayed'; delivery: WebhookDelivery }
  | { kind: 'not_found' }
  | { kind: 'not_dead'; status: DeliveryStatus }
  | { kind: 'endpoint_disabled' };

/** A delivery and the attempt it is at: the attempt number names its job and fences its result. */
export interface DeliveryAttemptRef {
  id: string;
  attempts: number;
}

/** An attempt taken: what to send, where, and the secrets to sign it with. */
export interface ClaimedAttempt extends DeliveryAttemptRef {
  organizationId: string;
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
  organization_id: string;
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

  /** The new endpoint, or null when the organization already has `maxPerOrganization`. */
  async insertEndpoint(
    endpoint: NewWebhookEndpoint,
    maxPerOrganization: number,
  ): Promise<WebhookEndpointView | null> {
    const [row] = await this.db.current.query<WebhookEndpointView[]>(INSERT_ENDPOINT, [
      endpoint.organizationId,
      endpoint.clinicianId,
      endpoint.url,
      endpoint.events,
      endpoint.secretEncrypted,
      maxPerOrganization,
    ]);
    return row ?? null;
  }

  findEndpoint(organizationId: string, id: string): Promise<WebhookEndpointView | null> {
    return this.db.current.getRepository(WebhookEndpoint).findOneBy({ id, organizationId });
  }

  endpointPage(
    organizationId: string,
    page: PageRequest,
  ): Promise<KeysetPage<WebhookEndpointView>> {
    const qb = this.db.current
      .getRepository(WebhookEndpoint)
      .createQueryBuilder('e')
      .where('e.organization_id = :org', { org: organizationId });
    return keysetPage(qb, page);
  }

  /** Deletes the endpoint with its deliveries; false if the organization has no such endpoint. */
  async deleteEndpoint(organizationId: string, id: string): Promise<boolean> {
    const rows = await queryRows(
      this.db.current,
      `DELETE FROM webhook_endpoints WHERE organization_id = $1 AND id = $2 RETURNING id`,
      [organizationId, id],
    );
    return rows.length > 0;
  }

  /** The endpoint signing with `secretEncrypted` from now on; null if there is no such endpoint. */
  async rotateSecret(
    organizationId: string,
    id: string,
    secretEncrypted: Buffer,
    previousValidSeconds: number,
  ): Promise<WebhookEndpointView | null> {
    const [row] = await queryRows<WebhookEndpointView>(this.db.current, ROTATE_SECRET, [
      organizationId,
      id,
      secretEncrypted,
      previousValidSeconds,
    ]);
    return row ?? null;
  }

  /** Turns an endpoint back on; null if there is no such endpoint. */
  async enableEndpoint(organizationId: string, id: string): Promise<WebhookEndpointView | null> {
    const [row] = await queryRows<WebhookEndpointView>(
      this.db.current,
      `UPDATE webhook_endpoints SET enabled = true, disabled_reason = NULL, disabled_at = NULL,
         updated_at = now()
       WHERE organization_id = $1 AND id = $2
       RETURNING ${ENDPOINT_COLUMNS}`,
      [organizationId, id],
    );
    return row ?? null;
  }

  deliveryPage(
    organizationId: string,
    filter: DeliveryFilter,
    page: PageRequest,
  ): Promise<KeysetPage<WebhookDelivery>> {
    const qb = this.db.current
      .getRepository(WebhookDelivery)
      .createQueryBuilder('d')
      .where('d.organization_id = :org', { org: organizationId });
    if (filter.status) qb.andWhere('d.status = :status', { status: filter.status });
    if (filter.endpointId)
      qb.andWhere('d.endpoint_id = :endpoint', { endpoint: filter.endpointId });
    return keysetPage(qb, page);
  }

  /**
   * Starts a dead delivery again from a fresh schedule, keeping its event id and body; says why
   * not otherwise.
   */
  async replayDead(organizationId: string, id: string): Promise<ReplayResult> {
    const [row] = await this.db.current.query<
      (WebhookDelivery & { statusBefore: DeliveryStatus; endpointEnabled: boolean })[]
    >(REPLAY_DEAD, [organizationId, id]);
    if (!row) return { kind: 'not_found' };
    const { statusBefore, endpointEnabled, ...delivery } = row;
    if (statusBefore !== 'dead') return { kind: 'not_dead', status: statusBefore };
    if (!endpointEnabled) return { kind: 'endpoint_disabled' };
    return { kind: 'replayed', delivery };
  }

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
            organizationId: row.organization_id,
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
  async disableGoneEndpoint(
    organizationId: string,
    endpointId: string,
    deliveryId: string,
  ): Promise<void> {
    await this.db.current.query(DISABLE_GONE_ENDPOINT, [endpointId, deliveryId, organizationId]);
  }

  /**
   * Drops deliveries delivered more than `days` ago (their bodies name patients); dead letters
   * are kept until replayed or their endpoint is deleted.
   */
  async purgeDelivered(days: number): Promise<number> {
    const rows = await queryRows(
      this.db.current,
      `DELETE FROM webhook_deliveries WHERE status = 'delivered'
         AND delivered_at < now() - make_interval(days => $1) RETURNING 1`,
      [days],
    );
    return rows.length;
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
