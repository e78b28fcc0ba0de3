import { AppConfig, Clock } from '@app/config';
import {
  type AttemptOutcome,
  describeOutcome,
  nextDeliveryStep,
  signatureHeader,
  webhookBody,
} from '@app/domain';
import {
  OutboxRepository,
  WebhookSecrets,
  WebhooksRepository,
  type AttemptClaim,
  type ClaimedAttempt,
  type DeliveryAttemptRef,
} from '@app/persistence';
import { deliveryJob, JobQueueService, type JobPayloads } from '@app/queue';
import { ATTR, inSpan, SpanKind, SpanStatusCode } from '@app/telemetry';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { OnJob } from '../jobs/on-job.decorator';
import { sendWebhook, webhookAgents, type WebhookAgents } from './webhook-sender';

/** How long an attempt waits, at least, when its endpoint has all the attempts in flight it may. */
const ENDPOINT_BUSY_RETRY_MS = 500;

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
    private readonly outbox: OutboxRepository,
    private readonly webhooks: WebhooksRepository,
    private readonly jobs: JobQueueService,
    private readonly secrets: WebhookSecrets,
    private readonly config: AppConfig,
    private readonly clock: Clock,
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
    const event = await this.outbox.toFanOut(eventId);
    if (!event) return { deliveries: 0 };
    // Written in the contract's field order; the same bytes on every attempt.
    const body = webhookBody(event.payload);
    // Read without a lock (an event never changes); fanOut stamps it under its row lock, so
    // a second fan-out running at once creates nothing.
    const created = await this.webhooks.fanOut(eventId, body, event.payload.data.patientId);
    await this.queueAttempts(created.map((id) => deliveryJob(id, 0)));
    return { deliveries: created.length };
  }

  @OnJob('webhook.deliver')
  async deliver({ deliveryId }: JobPayloads['webhook.deliver']): Promise<{ outcome: string }> {
    // A delayed job may fire a little before the row's time (two clocks): then wait for it.
    let claim = await this.claim(deliveryId);
    if (claim.kind === 'not_claimed') {
      const row = claim.pending;
      if (!row || row.leased || row.waitMs > 5000) return { outcome: 'not due or taken' };
      if (row.waitMs === 0) {
        // Due and free, yet not claimed: its endpoint has as many attempts in flight as it may.
        // Try again shortly, rather than hold a slot the other receivers need.
        const delay = ENDPOINT_BUSY_RETRY_MS * (1 + Math.random());
        await this.queueAttempts([
          deliveryJob(deliveryId, row.attempts, delay, `-busy-${this.clock.nowMs()}`),
        ]);
        return { outcome: 'endpoint busy' };
      }
      await new Promise((r) => setTimeout(r, row.waitMs));
      claim = await this.claim(deliveryId);
    }
    if (claim.kind !== 'claimed') return { outcome: 'taken' };
    const claimed = claim.attempt;
    // The attempt number fences what follows: a worker that outlived its lease finds its row
    // taken by a newer attempt and changes nothing.
    const mine: DeliveryAttemptRef = { id: claimed.id, attempts: claimed.attempts };
    if (!claimed.enabled) {
      await this.webhooks.bury(mine, 'the endpoint is disabled', null, null);
      return { outcome: 'dead' };
    }
    // Attempts cut short before they could be recorded (a worker killed mid-attempt, again and
    // again) still end in the dead letter.
    if (claimed.attempts > this.schedule.length + 1) {
      await this.webhooks.bury(
        mine,
        `no answer recorded after ${claimed.attempts - 1} attempts`,
        null,
        null,
      );
      return { outcome: 'dead' };
    }

    const outcome = await this.attempt(claimed);
    const statusCode = outcome.kind === 'response' ? outcome.status : null;
    const error = outcome.kind === 'response' ? null : outcome.error;
    const step = nextDeliveryStep(outcome, claimed.attempts, this.schedule, Math.random());
    switch (step.kind) {
      case 'delivered':
        await this.webhooks.recordDelivered(mine, statusCode);
        break;
      case 'retry':
        await this.webhooks.recordRetry(mine, statusCode, error, step.delayMs);
        await this.queueAttempts([deliveryJob(claimed.id, claimed.attempts, step.delayMs)]);
        break;
      case 'dead':
        await this.webhooks.bury(mine, step.reason, statusCode, error);
        break;
      case 'disable_endpoint':
        await this.webhooks.disableGoneEndpoint(
          claimed.organizationId,
          claimed.endpointId,
          claimed.id,
        );
        this.logger.warn({ endpointId: claimed.endpointId }, 'webhook endpoint disabled (410)');
        break;
    }
    return { outcome: step.kind === 'retry' ? `retry (${describeOutcome(outcome)})` : step.kind };
  }

  /**
   * Signs and sends one attempt, in a client span of the delivery's trace: the receiver's host,
   * never its URL (a query may hold its token), and no trace header is sent to it.
   */
  private attempt(claimed: ClaimedAttempt): Promise<AttemptOutcome> {
    const url = URL.canParse(claimed.url) ? new URL(claimed.url) : null;
    const attributes = {
      'http.request.method': 'POST',
      ...(url
        ? {
            'url.scheme': url.protocol.replace(':', ''),
            'server.address': url.hostname,
            'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
          }
        : {}),
      [ATTR.deliveryId]: claimed.id,
      [ATTR.deliveryAttempt]: claimed.attempts,
    };
    return inSpan('webhook POST', { kind: SpanKind.CLIENT, attributes }, async (span) => {
      let outcome: AttemptOutcome;
      try {
        const secrets = [claimed.secretEncrypted, claimed.previousSecretEncrypted]
          .filter((s): s is Buffer => s !== null)
          .map((s) => this.secrets.open(s));
        const timestamp = Math.floor(this.clock.nowMs() / 1000);
        outcome = await sendWebhook({
          url: claimed.url,
          body: claimed.body,
          headers: {
            'webhook-id': claimed.eventId,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signatureHeader(secrets, claimed.eventId, timestamp, claimed.body),
          },
          timeoutMs: this.config.WEBHOOK_TIMEOUT_MS,
          allowPrivate: this.config.WEBHOOK_ALLOW_PRIVATE_URLS,
          agents: this.agents,
          now: () => this.clock.now(),
        });
      } catch (err) {
        // A secret that cannot be opened (WEBHOOK_SECRETS_KEY changed), say: a failed attempt,
        // retried on the schedule and dead-lettered in the end, never retried forever.
        outcome = { kind: 'error', error: err instanceof Error ? err.constructor.name : 'error' };
      }
      if (outcome.kind === 'response') {
        span.setAttribute('http.response.status_code', outcome.status);
        if (outcome.status >= 300) span.setStatus({ code: SpanStatusCode.ERROR });
      } else {
        span.setAttribute('error.type', outcome.error);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      return outcome;
    });
  }

  /** Takes the attempt, so that two jobs of one delivery never send at once. */
  private claim(deliveryId: string): Promise<AttemptClaim> {
    return this.webhooks.claimAttempt(
      deliveryId,
      this.leaseSeconds,
      this.config.WEBHOOK_ENDPOINT_CONCURRENCY,
    );
  }

  /** Queues attempts; if Redis refuses, the rows are due in PostgreSQL and the sweep queues them. */
  async queueAttempts(jobs: ReturnType<typeof deliveryJob>[]): Promise<void> {
    try {
      await this.jobs.addBulk('webhook.deliver', jobs);
    } catch {
      this.logger.warn('cannot queue webhook attempts now; the sweep will');
    }
  }
}
