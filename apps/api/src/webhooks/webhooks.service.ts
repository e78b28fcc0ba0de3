import { AppConfig } from '@app/config';
import { generateWebhookSecret } from '@app/domain';
import {
  Db,
  queryRows,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookSecrets,
  keysetPage,
} from '@app/persistence';
import { deliveryJob, JobQueueService } from '@app/queue';
import { Injectable, Logger } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { pageRequest, type Page, type PageQueryDto } from '../common/pagination';
import { notFound, ProblemException, validationProblem } from '../common/problem';
import {
  DEFAULT_PREVIOUS_SECRET_SECONDS,
  MAX_ENDPOINTS_PER_ORGANIZATION,
  type CreateWebhookEndpointDto,
  type DeliveryQueryDto,
  type RotateSecretDto,
  type WebhookDeliveryDto,
  type WebhookEndpointDto,
  type WebhookEndpointWithSecretDto,
} from './webhook.dto';
import { webhookUrlProblem } from './webhook-url';

const toEndpointDto = (e: WebhookEndpoint): WebhookEndpointDto => ({
  id: e.id,
  url: e.url,
  events: e.events,
  clinicianId: e.clinicianId,
  enabled: e.enabled,
  disabledReason: e.disabledReason,
  disabledAt: e.disabledAt,
  previousSecretExpiresAt:
    e.previousSecretExpiresAt && e.previousSecretExpiresAt > new Date()
      ? e.previousSecretExpiresAt
      : null,
  createdAt: e.createdAt,
});

const toDeliveryDto = (d: WebhookDelivery): WebhookDeliveryDto => ({
  id: d.id,
  endpointId: d.endpointId,
  eventId: d.eventId,
  eventType: d.eventType,
  status: d.status,
  attempts: d.attempts,
  nextAttemptAt: d.nextAttemptAt,
  lastAttemptAt: d.lastAttemptAt,
  lastStatusCode: d.lastStatusCode,
  lastError: d.lastError,
  deliveredAt: d.deliveredAt,
  deadAt: d.deadAt,
  deadReason: d.deadReason,
  replayCount: d.replayCount,
  createdAt: d.createdAt,
});

/** Webhook endpoints of an organization, their secrets, and their deliveries' dead letter. */
@Injectable()
export class WebhooksService {
  private readonly logger = new Logger(WebhooksService.name);

  constructor(
    private readonly db: Db,
    private readonly secrets: WebhookSecrets,
    private readonly jobs: JobQueueService,
    private readonly config: AppConfig,
  ) {}

  async create(
    caller: Caller,
    input: CreateWebhookEndpointDto,
  ): Promise<WebhookEndpointWithSecretDto> {
    const problem = await webhookUrlProblem(input.url, {
      allowPrivate: this.config.WEBHOOK_ALLOW_PRIVATE_URLS,
      requireHttps: this.config.isProduction,
    });
    if (problem) throw validationProblem([{ field: 'url', message: problem }]);
    if (input.clinicianId) {
      const [clinician] = await this.db.manager.query<unknown[]>(
        'SELECT 1 FROM clinicians WHERE organization_id = $1 AND id = $2',
        [caller.organizationId, input.clinicianId],
      );
      if (!clinician)
        throw validationProblem([
          { field: 'clinicianId', message: 'is not a clinician of this organization' },
        ]);
    }
    const [{ endpoints }] = await this.db.manager.query<{ endpoints: number }[]>(
      'SELECT count(*)::int AS endpoints FROM webhook_endpoints WHERE organization_id = $1',
      [caller.organizationId],
    );
    // Every alert is one POST per endpoint, from worker slots all clinics share.
    if (endpoints >= MAX_ENDPOINTS_PER_ORGANIZATION) {
      throw new ProblemException(
        409,
        `An organization has at most ${MAX_ENDPOINTS_PER_ORGANIZATION} webhook endpoints; delete one first`,
      );
    }
    const secret = generateWebhookSecret();
    const [{ id }] = await this.db.manager.query<{ id: string }[]>(
      `INSERT INTO webhook_endpoints (organization_id, clinician_id, url, events, secret_encrypted)
       VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [
        caller.organizationId,
        input.clinicianId ?? null,
        input.url,
        input.events,
        this.secrets.seal(secret),
      ],
    );
    return { ...toEndpointDto(await this.find(caller, id)), secret };
  }

  async list(caller: Caller, page: PageQueryDto): Promise<Page<WebhookEndpointDto>> {
    const qb = this.db
      .repo(WebhookEndpoint)
      .createQueryBuilder('e')
      .where('e.organization_id = :org', { org: caller.organizationId });
    const result = await keysetPage(qb, pageRequest(page));
    return { data: result.data.map(toEndpointDto), nextCursor: result.nextCursor };
  }

  async get(caller: Caller, id: string): Promise<WebhookEndpointDto> {
    return toEndpointDto(await this.find(caller, id));
  }

  /** Deletes the endpoint and its deliveries: nothing is sent to it any more. */
  async delete(caller: Caller, id: string): Promise<void> {
    const [, affected] = await this.db.manager.query<[unknown, number]>(
      'DELETE FROM webhook_endpoints WHERE organization_id = $1 AND id = $2',
      [caller.organizationId, id],
    );
    if (!affected) throw notFound('webhook endpoint');
  }

  /**
   * A new secret signs from now on; the old one signs too (a second signature in the same
   * header) until `previousSecretValidSeconds` have passed, so receivers can switch without
   * rejecting a delivery.
   */
  async rotateSecret(
    caller: Caller,
    id: string,
    input: RotateSecretDto,
  ): Promise<WebhookEndpointWithSecretDto> {
    const keepSeconds = input.previousSecretValidSeconds ?? DEFAULT_PREVIOUS_SECRET_SECONDS;
    const current = await this.find(caller, id);
    // One previous secret at a time: a second rotation within the grace period would silently
    // stop signing with the secret receivers may still hold. Dropping it (0) is always allowed,
    // for a secret that leaked.
    if (
      keepSeconds > 0 &&
      current.previousSecretExpiresAt &&
      current.previousSecretExpiresAt > new Date()
    ) {
      throw new ProblemException(
        409,
        `The previous secret still signs until ${current.previousSecretExpiresAt.toISOString()}; rotate again after that, or with previousSecretValidSeconds 0 to stop signing with both old secrets now`,
      );
    }
    const secret = generateWebhookSecret();
    const rows = await queryRows(
      this.db.manager,
      `UPDATE webhook_endpoints SET previous_secret_encrypted = secret_encrypted, secret_encrypted = $3,
         previous_secret_expires_at = now() + make_interval(secs => $4), updated_at = now()
       WHERE organization_id = $1 AND id = $2 RETURNING id`,
      [caller.organizationId, id, this.secrets.seal(secret), keepSeconds],
    );
    if (rows.length === 0) throw notFound('webhook endpoint');
    return { ...toEndpointDto(await this.find(caller, id)), secret };
  }

  /** Turns an endpoint disabled by a 410 (or by hand) back on; its dead letters can then be replayed. */
  async enable(caller: Caller, id: string): Promise<WebhookEndpointDto> {
    const rows = await queryRows(
      this.db.manager,
      `UPDATE webhook_endpoints SET enabled = true, disabled_reason = NULL, disabled_at = NULL, updated_at = now()
       WHERE organization_id = $1 AND id = $2 RETURNING id`,
      [caller.organizationId, id],
    );
    if (rows.length === 0) throw notFound('webhook endpoint');
    return this.get(caller, id);
  }

  async listDeliveries(caller: Caller, query: DeliveryQueryDto): Promise<Page<WebhookDeliveryDto>> {
    const qb = this.db
      .repo(WebhookDelivery)
      .createQueryBuilder('d')
      .where('d.organization_id = :org', { org: caller.organizationId });
    if (query.status) qb.andWhere('d.status = :status', { status: query.status });
    if (query.endpointId) qb.andWhere('d.endpoint_id = :endpoint', { endpoint: query.endpointId });
    const result = await keysetPage(qb, pageRequest(query));
    return { data: result.data.map(toDeliveryDto), nextCursor: result.nextCursor };
  }

  /**
   * Sends a dead delivery again, from a fresh retry schedule, with its original `webhook-id`
   * and body. Queuing is best effort: the row is due in PostgreSQL, and the worker's sweep
   * queues what was not.
   */
  async replay(caller: Caller, id: string): Promise<WebhookDeliveryDto> {
    const delivery = await this.db.transaction(async (m) => {
      const [row] = await m.query<{ status: string; enabled: boolean }[]>(
        `SELECT d.status, e.enabled FROM webhook_deliveries d
         JOIN webhook_endpoints e ON e.id = d.endpoint_id
         WHERE d.organization_id = $1 AND d.id = $2 FOR UPDATE OF d`,
        [caller.organizationId, id],
      );
      if (!row) throw notFound('webhook delivery');
      if (row.status !== 'dead')
        throw new ProblemException(
          409,
          `Only a dead delivery can be replayed; this one is ${row.status}`,
        );
      if (!row.enabled)
        throw new ProblemException(409, 'The endpoint is disabled; enable it before replaying');
      await m.query(
        `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(),
           dead_at = NULL, dead_reason = NULL, replay_count = replay_count + 1 WHERE id = $1`,
        [id],
      );
      return m.findOneByOrFail(WebhookDelivery, { id });
    });
    try {
      const job = deliveryJob(id, 0, 0, `-replay-${delivery.replayCount}`);
      await this.jobs.add('webhook.deliver', job.payload, { ...job.options, jobId: job.jobId });
    } catch {
      this.logger.warn('cannot queue a replayed delivery now; the worker sweep will');
    }
    return toDeliveryDto(delivery);
  }

  private async find(caller: Caller, id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.db
      .repo(WebhookEndpoint)
      .findOneBy({ id, organizationId: caller.organizationId });
    if (!endpoint) throw notFound('webhook endpoint');
    return endpoint;
  }
}
