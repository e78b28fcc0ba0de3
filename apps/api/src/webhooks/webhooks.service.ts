import { AppConfig, Clock } from '@app/config';
import { generateWebhookSecret } from '@app/domain';
import {
  OrganizationsRepository,
  WebhookDelivery,
  WebhooksRepository,
  WebhookSecrets,
  type WebhookEndpointView,
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

const toEndpointDto = (e: WebhookEndpointView, now: Date): WebhookEndpointDto => ({
  id: e.id,
  url: e.url,
  events: e.events,
  clinicianId: e.clinicianId,
  enabled: e.enabled,
  disabledReason: e.disabledReason,
  disabledAt: e.disabledAt,
  previousSecretExpiresAt:
    e.previousSecretExpiresAt && e.previousSecretExpiresAt > now ? e.previousSecretExpiresAt : null,
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
    private readonly webhooks: WebhooksRepository,
    private readonly organizations: OrganizationsRepository,
    private readonly secrets: WebhookSecrets,
    private readonly jobs: JobQueueService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
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
    if (
      input.clinicianId &&
      !(await this.organizations.hasClinician(caller.organizationId, input.clinicianId))
    ) {
      throw validationProblem([
        { field: 'clinicianId', message: 'is not a clinician of this organization' },
      ]);
    }
    const secret = generateWebhookSecret();
    const endpoint = await this.webhooks.insertEndpoint(
      {
        organizationId: caller.organizationId,
        clinicianId: input.clinicianId ?? null,
        url: input.url,
        events: input.events,
        secretEncrypted: this.secrets.seal(secret),
      },
      MAX_ENDPOINTS_PER_ORGANIZATION,
    );
    // Every alert is one POST per endpoint, from worker slots all clinics share.
    if (!endpoint) {
      throw new ProblemException(
        409,
        `An organization has at most ${MAX_ENDPOINTS_PER_ORGANIZATION} webhook endpoints; delete one first`,
      );
    }
    return { ...toEndpointDto(endpoint, this.clock.now()), secret };
  }

  async list(caller: Caller, page: PageQueryDto): Promise<Page<WebhookEndpointDto>> {
    const result = await this.webhooks.endpointPage(caller.organizationId, pageRequest(page));
    return {
      data: result.data.map((e) => toEndpointDto(e, this.clock.now())),
      nextCursor: result.nextCursor,
    };
  }

  async get(caller: Caller, id: string): Promise<WebhookEndpointDto> {
    return toEndpointDto(await this.find(caller, id), this.clock.now());
  }

  /** Deletes the endpoint and its deliveries: nothing is sent to it any more. */
  async delete(caller: Caller, id: string): Promise<void> {
    if (!(await this.webhooks.deleteEndpoint(caller.organizationId, id))) {
      throw notFound('webhook endpoint');
    }
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
      current.previousSecretExpiresAt > this.clock.now()
    ) {
      throw new ProblemException(
        409,
        `The previous secret still signs until ${current.previousSecretExpiresAt.toISOString()}; rotate again after that, or with previousSecretValidSeconds 0 to stop signing with both old secrets now`,
      );
    }
    const secret = generateWebhookSecret();
    const rotated = await this.webhooks.rotateSecret(
      caller.organizationId,
      id,
      this.secrets.seal(secret),
      keepSeconds,
    );
    if (!rotated) throw notFound('webhook endpoint');
    return { ...toEndpointDto(rotated, this.clock.now()), secret };
  }

  /** Turns an endpoint disabled by a 410 (or by hand) back on; its dead letters can then be replayed. */
  async enable(caller: Caller, id: string): Promise<WebhookEndpointDto> {
    const enabled = await this.webhooks.enableEndpoint(caller.organizationId, id);
    if (!enabled) throw notFound('webhook endpoint');
    return toEndpointDto(enabled, this.clock.now());
  }

  async listDeliveries(caller: Caller, query: DeliveryQueryDto): Promise<Page<WebhookDeliveryDto>> {
    const result = await this.webhooks.deliveryPage(
      caller.organizationId,
      { status: query.status, endpointId: query.endpointId },
      pageRequest(query),
    );
    return { data: result.data.map(toDeliveryDto), nextCursor: result.nextCursor };
  }

  /**
   * Sends a dead delivery again, from a fresh retry schedule, with its original `webhook-id`
   * and body. Queuing is best effort: the row is due in PostgreSQL, and the worker's sweep
   * queues what was not.
   */
  async replay(caller: Caller, id: string): Promise<WebhookDeliveryDto> {
    const replay = await this.webhooks.replayDead(caller.organizationId, id);
    switch (replay.kind) {
      case 'not_found':
        throw notFound('webhook delivery');
      case 'not_dead':
        throw new ProblemException(
          409,
          `Only a dead delivery can be replayed; this one is ${replay.status}`,
        );
      case 'endpoint_disabled':
        throw new ProblemException(409, 'The endpoint is disabled; enable it before replaying');
      case 'replayed':
        break;
    }
    const { delivery } = replay;
    try {
      const job = deliveryJob(id, 0, 0, `-replay-${delivery.replayCount}`);
      await this.jobs.add('webhook.deliver', job.payload, { ...job.options, jobId: job.jobId });
    } catch {
      this.logger.warn('cannot queue a replayed delivery now; the worker sweep will');
    }
    return toDeliveryDto(delivery);
  }

  private async find(caller: Caller, id: string): Promise<WebhookEndpointView> {
    const endpoint = await this.webhooks.findEndpoint(caller.organizationId, id);
    if (!endpoint) throw notFound('webhook endpoint');
    return endpoint;
  }
}
