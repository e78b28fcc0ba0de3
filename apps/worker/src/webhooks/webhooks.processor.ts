import { AppConfig } from '@app/config';
import {
  type AlertEventBody,
  type AttemptOutcome,
  describeOutcome,
  nextDeliveryStep,
  signatureHeader,
  type WebhookEventType,
} from '@app/domain';
import { Db, queryRows, WebhookSecrets } from '@app/persistence';
import { deliveryJob, JobQueueService, type JobPayloads } from '@app/queue';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { OnJob } from '../jobs/on-job.decorator';
import { sendWebhook, webhookAgents, type WebhookAgents } from './webhook-sender';

/** How long an attempt waits, at least, when its endpoint has all the attempts in flight it may. */
const ENDPOINT_BUSY_RETRY_MS = 500;

interface ClaimedDelivery {
  id: string;
  event_id: string;
  body: string;
  attempts: number;
  endpoint_id: string;
  url: string;
  enabled: boolean;
  secret_encrypted: Buffer;
  previous_secret_encrypted: Buffer | null;
}

/**
 * Fan-out and delivery. Exactly-once lives in PostgreSQL, not in the queue: a delivery row is
 * unique per event and endpoint, and an attempt first takes a lease on its row, so a job that
 * runs twice (two relays, a sweep, a retry) sends nothing twice. A worker killed between sending
 * and recording leaves the lease to expire and the attempt is made again with the same
 * `webhook-id`, which is what receivers de-duplicate on (Standard Webhooks).
 */
@Injectable()
export class WebhooksProcessor implements OnApplicationShutdown {
  private readonly logger = new Logger(WebhooksProcessor.name);
  private readonly schedule: number[];
  private readonly leaseSeconds: number;
  private readonly agents: WebhookAgents;

  constructor(
    private readonly db: Db,
    private readonly jobs: JobQueueService,
    private readonly secrets: WebhookSecrets,
    private readonly config: AppConfig,
  ) {
    this.schedule = config.webhookRetrySchedule;
    this.leaseSeconds = Math.ceil(config.WEBHOOK_TIMEOUT_MS / 1000) + 30;
    this.agents = webhookAgents(config.WEBHOOK_ALLOW_PRIVATE_URLS);
  }

  onApplicationShutdown(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  @OnJob('webhook.event')
  async fanOut({ eventId }: JobPayloads['webhook.event']): Promise<{ deliveries: number }> {
    const created = await this.db.transaction(async (m) => {
      // Locked, so that two fan-outs of one event (a relay and a sweep) take turns, and the
      // second finds the first's stamp.
      const [event] = await m.query<
        {
          organization_id: string;
          event_type: WebhookEventType;
          payload: AlertEventBody;
          fanned_out_at: Date | null;
        }[]
      >(
        `SELECT organization_id, event_type, payload, fanned_out_at FROM outbox WHERE id = $1 FOR UPDATE`,
        [eventId],
      );
      if (!event || event.fanned_out_at) return [];
      const { type, timestamp, data } = event.payload;
      // Written in the contract's field order; the same bytes on every attempt.
      const body = JSON.stringify({
        type,
        timestamp,
        data: {
          alertId: data.alertId,
          patientId: data.patientId,
          rule: data.rule,
          severity: data.severity,
        },
      });
      // A clinician's endpoint hears about that clinician's patients only.
      const rows = await m.query<{ id: string }[]>(
        `INSERT INTO webhook_deliveries (organization_id, endpoint_id, event_id, event_type, body)
         SELECT e.organization_id, e.id, $1, $2, $3 FROM webhook_endpoints e
         WHERE e.organization_id = $4 AND e.enabled AND $2 = ANY (e.events)
           AND (e.clinician_id IS NULL OR e.clinician_id =
                (SELECT p.clinician_id FROM patients p WHERE p.organization_id = $4 AND p.id = $5))
         ON CONFLICT (endpoint_id, event_id) DO NOTHING
         RETURNING id`,
        [eventId, event.event_type, body, event.organization_id, data.patientId],
      );
      await m.query(`UPDATE outbox SET fanned_out_at = clock_timestamp() WHERE id = $1`, [eventId]);
      return rows;
    });
    await this.queueAttempts(created.map(({ id }) => deliveryJob(id, 0)));
    return { deliveries: created.length };
  }

  @OnJob('webhook.deliver')
  async deliver({ deliveryId }: JobPayloads['webhook.deliver']): Promise<{ outcome: string }> {
    // A delayed job may fire a little before the row's time (two clocks): then wait for it.
    let claimed = await this.claim(deliveryId);
    if (!claimed) {
      const [row] = await this.db.manager.query<
        { wait_ms: number; leased: boolean; attempts: number }[]
      >(
        `SELECT greatest(0, extract(epoch FROM next_attempt_at - clock_timestamp()) * 1000)::float8 AS wait_ms,
                coalesce(leased_until > clock_timestamp(), false) AS leased, attempts
         FROM webhook_deliveries WHERE id = $1 AND status = 'pending'`,
        [deliveryId],
      );
      if (!row || row.leased || row.wait_ms > 5000) return { outcome: 'not due or taken' };
      if (row.wait_ms === 0) {
        // Due and free, yet not claimed: its endpoint has as many attempts in flight as it may.
        // Try again shortly, rather than hold a slot the other receivers need.
        const delay = ENDPOINT_BUSY_RETRY_MS * (1 + Math.random());
        await this.queueAttempts([
          deliveryJob(deliveryId, row.attempts, delay, `-busy-${Date.now()}`),
        ]);
        return { outcome: 'endpoint busy' };
      }
      await new Promise((r) => setTimeout(r, row.wait_ms));
      claimed = await this.claim(deliveryId);
    }
    if (!claimed) return { outcome: 'taken' };
    const m = this.db.manager;
    // The attempt number fences what follows: a worker that outlived its lease finds its row
    // taken by a newer attempt and changes nothing.
    const mine = { id: claimed.id, attempts: claimed.attempts };
    if (!claimed.enabled) {
      await this.bury(mine, 'the endpoint is disabled', null, null);
      return { outcome: 'dead' };
    }
    // Attempts cut short before they could be recorded (a worker killed mid-attempt, again and
    // again) still end in the dead letter.
    if (claimed.attempts > this.schedule.length + 1) {
      await this.bury(
        mine,
        `no answer recorded after ${claimed.attempts - 1} attempts`,
        null,
        null,
      );
      return { outcome: 'dead' };
    }

    let outcome: AttemptOutcome;
    try {
      const secrets = [claimed.secret_encrypted, claimed.previous_secret_encrypted]
        .filter((s): s is Buffer => s !== null)
        .map((s) => this.secrets.open(s));
      const timestamp = Math.floor(Date.now() / 1000);
      outcome = await sendWebhook({
        url: claimed.url,
        body: claimed.body,
        headers: {
          'webhook-id': claimed.event_id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signatureHeader(secrets, claimed.event_id, timestamp, claimed.body),
        },
        timeoutMs: this.config.WEBHOOK_TIMEOUT_MS,
        allowPrivate: this.config.WEBHOOK_ALLOW_PRIVATE_URLS,
        agents: this.agents,
      });
    } catch (err) {
      // A secret that cannot be opened (WEBHOOK_SECRETS_KEY changed), say: a failed attempt,
      // retried on the schedule and dead-lettered in the end, never retried forever.
      outcome = { kind: 'error', error: err instanceof Error ? err.constructor.name : 'error' };
    }
    const statusCode = outcome.kind === 'response' ? outcome.status : null;
    const error = outcome.kind === 'response' ? null : outcome.error;
    const step = nextDeliveryStep(outcome, claimed.attempts, this.schedule, Math.random());
    switch (step.kind) {
      case 'delivered':
        await m.query(
          `UPDATE webhook_deliveries SET status = 'delivered', delivered_at = clock_timestamp(),
             leased_until = NULL, last_status_code = $3, last_error = NULL
           WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
          [mine.id, mine.attempts, statusCode],
        );
        break;
      case 'retry':
        await m.query(
          `UPDATE webhook_deliveries SET leased_until = NULL, last_status_code = $3, last_error = $4,
             next_attempt_at = clock_timestamp() + make_interval(secs => $5)
           WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
          [mine.id, mine.attempts, statusCode, error, step.delayMs / 1000],
        );
        await this.queueAttempts([deliveryJob(claimed.id, claimed.attempts, step.delayMs)]);
        break;
      case 'dead':
        await this.bury(mine, step.reason, statusCode, error);
        break;
      case 'disable_endpoint':
        await this.db.transaction(async (tx) => {
          await tx.query(
            `UPDATE webhook_endpoints SET enabled = false, disabled_at = now(), updated_at = now(),
               disabled_reason = 'the receiver answered 410 Gone' WHERE id = $1`,
            [claimed.endpoint_id],
          );
          // Nothing more can reach it: what was waiting goes to the dead letter, replayable
          // once the endpoint is enabled again.
          await tx.query(
            `UPDATE webhook_deliveries SET status = 'dead', dead_at = now(), leased_until = NULL,
               dead_reason = CASE WHEN id = $2 THEN 'the receiver answered 410 Gone'
                                  ELSE 'the endpoint was disabled' END,
               last_status_code = CASE WHEN id = $2 THEN 410 ELSE last_status_code END
             WHERE endpoint_id = $1 AND status = 'pending'`,
            [claimed.endpoint_id, claimed.id],
          );
        });
        this.logger.warn({ endpointId: claimed.endpoint_id }, 'webhook endpoint disabled (410)');
        break;
    }
    return { outcome: step.kind === 'retry' ? `retry (${describeOutcome(outcome)})` : step.kind };
  }

  /**
   * Takes the attempt: only a pending, due row whose lease (if any) has run out, so that two
   * jobs of one delivery never send at once.
   */
  private async claim(deliveryId: string): Promise<ClaimedDelivery | undefined> {
    return this.db.transaction(async (m) => {
      // Claims of one endpoint take turns on its row, so the count of attempts in flight below
      // is exact (FOR NO KEY UPDATE leaves the fan-out's foreign-key checks alone).
      const [endpoint] = await m.query<unknown[]>(
        `SELECT 1 FROM webhook_endpoints e JOIN webhook_deliveries d ON d.endpoint_id = e.id
         WHERE d.id = $1 FOR NO KEY UPDATE OF e`,
        [deliveryId],
      );
      if (!endpoint) return undefined;
      const [claimed] = await queryRows<ClaimedDelivery>(
        m,
        `UPDATE webhook_deliveries d
         SET attempts = d.attempts + 1, last_attempt_at = clock_timestamp(),
             leased_until = clock_timestamp() + make_interval(secs => $2)
         FROM webhook_endpoints e
         WHERE d.id = $1 AND e.id = d.endpoint_id AND d.status = 'pending'
           AND d.next_attempt_at <= clock_timestamp()
           AND (d.leased_until IS NULL OR d.leased_until < clock_timestamp())
           -- At most WEBHOOK_ENDPOINT_CONCURRENCY attempts in flight per endpoint.
           AND (SELECT count(*) FROM webhook_deliveries o
                WHERE o.endpoint_id = d.endpoint_id AND o.leased_until > clock_timestamp()) < $3
         RETURNING d.id, d.event_id, d.body, d.attempts, e.id AS endpoint_id, e.url, e.enabled,
           e.secret_encrypted,
           CASE WHEN e.previous_secret_expires_at > clock_timestamp() THEN e.previous_secret_encrypted END
             AS previous_secret_encrypted`,
        [deliveryId, this.leaseSeconds, this.config.WEBHOOK_ENDPOINT_CONCURRENCY],
      );
      return claimed;
    });
  }

  /** Queues attempts; if Redis refuses, the rows are due in PostgreSQL and the sweep queues them. */
  async queueAttempts(jobs: ReturnType<typeof deliveryJob>[]): Promise<void> {
    try {
      await this.jobs.addBulk('webhook.deliver', jobs);
    } catch {
      this.logger.warn('cannot queue webhook attempts now; the sweep will');
    }
  }

  private async bury(
    attempt: { id: string; attempts: number },
    reason: string,
    statusCode: number | null,
    error: string | null,
  ): Promise<void> {
    await this.db.manager.query(
      `UPDATE webhook_deliveries SET status = 'dead', dead_at = clock_timestamp(), dead_reason = $3,
         leased_until = NULL, last_status_code = coalesce($4, last_status_code), last_error = $5
       WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [attempt.id, attempt.attempts, reason, statusCode, error],
    );
  }
}
