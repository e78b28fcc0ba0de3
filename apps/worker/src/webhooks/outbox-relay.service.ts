import { AppConfig, Clock } from '@app/config';
import { Db, OutboxRepository, WebhooksRepository, type OutboxListener } from '@app/persistence';
import { deliveryJob, eventJob, JobQueueService } from '@app/queue';
import {
  ATTR,
  contextOfTraceparent,
  recordFailure,
  SpanKind,
  traceparentOf,
  tracer,
} from '@app/telemetry';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { WebhooksProcessor } from './webhooks.processor';

const RELAY_BATCH = 200;
const SWEEP_BATCH = 500;
// An event relayed, or a delivery due, this long ago and still not done: its job was lost (Redis
// away, a crash), or it waits behind others. Either way one more job per minute is harmless:
// the fan-out and the attempt are idempotent in PostgreSQL.
const SWEEP_GRACE_SECONDS = 30;
const SWEEP_EVERY_MS = 10_000;

/**
 * Moves outbox rows to the queue (job id = outbox id) and stamps them relayed, in one
 * transaction per batch: a row is stamped only once its job is in Redis. Rows are taken with
 * SKIP LOCKED, so any number of workers relay side by side without taking the same rows; a row
 * queued twice anyway (a crash between queuing and stamping) is the same job id, and the
 * fan-out is idempotent in PostgreSQL besides.
 *
 * It wakes on the NOTIFY sent at commit and polls every OUTBOX_POLL_MS; every 10 s a pass also
 * sweeps what a lost job left behind (see sweep).
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelayService.name);
  private listener?: OutboxListener;
  private timer?: NodeJS.Timeout;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private lastSweep = 0;

  constructor(
    private readonly db: Db,
    private readonly outbox: OutboxRepository,
    private readonly webhooks: WebhooksRepository,
    private readonly jobs: JobQueueService,
    private readonly processor: WebhooksProcessor,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.listen();
    this.timer = setInterval(() => this.wake(), this.config.OUTBOX_POLL_MS);
    this.wake();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await this.listener?.close().catch(() => undefined);
  }

  /** Runs a pass now, or right after the one in progress. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async pass(): Promise<void> {
    try {
      while ((await this.relayBatch()) === RELAY_BATCH && !this.stopped);
      if (this.clock.nowMs() - this.lastSweep >= SWEEP_EVERY_MS) {
        this.lastSweep = this.clock.nowMs();
        await this.sweep();
      }
    } catch (err) {
      this.logger.warn(
        { errorClass: err instanceof Error ? err.constructor.name : typeof err },
        'outbox relay pass failed; will retry',
      );
    }
  }

  /** Relays one batch; returns how many rows it moved. */
  async relayBatch(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const events = await this.outbox.takeForRelay(tx, RELAY_BATCH);
      if (events.length === 0) return 0;
      // A span per event, in the trace of the request (or job) that wrote it; the event's job
      // carries the span's context, so its fan-out and deliveries follow in the same trace.
      const spans = events.map((event) =>
        tracer.startSpan(
          'outbox relay',
          { kind: SpanKind.PRODUCER, attributes: { [ATTR.outboxEventId]: event.id } },
          contextOfTraceparent(event.traceContext),
        ),
      );
      try {
        // Redis refusing rolls the stamps back: the rows wait for the next pass.
        await this.jobs.addBulk(
          'webhook.event',
          events.map((event, i) => ({
            ...eventJob(event.id),
            traceparent: traceparentOf(spans[i]),
          })),
        );
      } catch (err) {
        spans.forEach((span) => recordFailure(span, err));
        throw err;
      } finally {
        spans.forEach((span) => span.end());
      }
      return events.length;
    });
  }

  /**
   * Queues again what a lost job left behind (Redis keeps nothing on disk): events relayed a
   * while ago and still not fanned out, and due deliveries that no attempt holds.
   */
  async sweep(): Promise<{ events: number; deliveries: number }> {
    // A fresh job id per minute: the lost job's id may still be held by a finished or failed
    // job, and an item still waiting in the queue gets at most one more job a minute.
    const slot = `-swept-${Math.floor(this.clock.nowMs() / 60_000)}`;
    const events = await this.outbox.relayedNotFannedOut(SWEEP_GRACE_SECONDS, SWEEP_BATCH);
    if (events.length > 0) {
      await this.jobs.addBulk(
        'webhook.event',
        events.map((id) => eventJob(id, slot)),
      );
    }
    const due = await this.webhooks.dueWithoutAttempt(SWEEP_GRACE_SECONDS, SWEEP_BATCH);
    if (due.length > 0) {
      await this.processor.queueAttempts(due.map((d) => deliveryJob(d.id, d.attempts, 0, slot)));
    }
    return { events: events.length, deliveries: due.length };
  }

  /** LISTENs on its own connection; on any failure polling carries on and it tries again. */
  private async listen(): Promise<void> {
    let retrying = false;
    let listener: OutboxListener | undefined;
    const retry = () => {
      if (retrying) return;
      retrying = true;
      this.listener = undefined;
      listener?.close().catch(() => undefined);
      if (!this.stopped) setTimeout(() => void this.listen(), 5000).unref();
    };
    try {
      listener = await this.outbox.listen(() => this.wake(), retry);
      if (retrying) await listener.close().catch(() => undefined);
      else this.listener = listener;
    } catch {
      this.logger.warn('cannot LISTEN for outbox events; polling until it can');
      retry();
    }
  }
}
