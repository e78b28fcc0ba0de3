import { Clock } from '@app/config';
import {
  IdempotencyRepository,
  OutboxRepository,
  SampleStorageRepository,
  WebhooksRepository,
} from '@app/persistence';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';

/** Idempotency-Key answers are replayed for this long; after it, a key may be used afresh. */
export const IDEMPOTENCY_RETENTION_HOURS = 24;
/**
 * Fanned-out outbox rows are kept this long (for tracing a delivery back to its event); each
 * delivery keeps its own body, so a dead letter can still be replayed after the row is gone.
 */
export const OUTBOX_RETENTION_DAYS = 7;
/** Delivered webhooks are kept this long, to answer "did the clinic get it?". */
export const DELIVERY_RETENTION_DAYS = 30;
const EVERY_HOUR_MS = 3_600_000;

@Injectable()
export class MaintenanceService implements OnApplicationBootstrap {
  private readonly logger = new Logger(MaintenanceService.name);

  constructor(
    private readonly idempotency: IdempotencyRepository,
    private readonly outbox: OutboxRepository,
    private readonly webhooks: WebhooksRepository,
    private readonly samples: SampleStorageRepository,
    private readonly clock: Clock,
  ) {}

  /** The partitions ahead exist before the first sample of a new month arrives. */
  async onApplicationBootstrap(): Promise<void> {
    await this.ensureSamplePartitions().catch((err: unknown) =>
      this.logger.warn(
        { errorClass: err instanceof Error ? err.constructor.name : typeof err },
        'could not create the sample partitions ahead; the next hour retries',
      ),
    );
  }

  /**
   * Keeps monthly partitions of activity_samples ahead of time, and moves any month that
   * landed in the default partition into one of its own; several workers at once serialize.
   */
  @Interval(EVERY_HOUR_MS)
  async ensureSamplePartitions(): Promise<number> {
    return this.samples.ensurePartitions(this.clock.now());
  }

  /** Deletes raw samples past their organization's retention (their daily figures stay). */
  @Interval(EVERY_HOUR_MS)
  async purgeExpiredSamples(): Promise<number> {
    return this.samples.purgeExpired();
  }

  /** Forgets old Idempotency-Key answers; running on several workers at once is harmless. */
  @Interval(EVERY_HOUR_MS)
  async purgeIdempotencyKeys(): Promise<number> {
    return this.idempotency.purgeOlderThan(IDEMPOTENCY_RETENTION_HOURS);
  }

  /** Drops outbox rows fanned out long ago; a row not fanned out is kept whatever its age. */
  @Interval(EVERY_HOUR_MS)
  async purgeRelayedOutbox(): Promise<number> {
    return this.outbox.purgeFannedOut(OUTBOX_RETENTION_DAYS);
  }

  /**
   * Drops deliveries done long ago (their bodies name patients); dead letters are kept until
   * replayed or their endpoint is deleted.
   */
  @Interval(EVERY_HOUR_MS)
  async purgeDeliveredWebhooks(): Promise<number> {
    return this.webhooks.purgeDelivered(DELIVERY_RETENTION_DAYS);
  }
}
