import { AppConfig } from '@app/config';
import {
  createWorkerConnection,
  JOB_NAMES,
  JobName,
  JobPayloads,
  type JobTrace,
  queueKeyPrefix,
  QUEUES,
  type RedisConnection,
} from '@app/queue';
import { ATTR, inSpan, SpanKind } from '@app/telemetry';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { Job, Worker } from 'bullmq';
import { ON_JOB_KEY } from './on-job.decorator';

type Handler = (payload: JobPayloads[JobName], job: Job) => Promise<unknown>;

/**
 * One BullMQ worker per queue, dispatching on the job name to the method marked @OnJob. Boot
 * fails if a job of the registry has no handler, so a job can never sit unprocessed.
 */
@Injectable()
export class JobRunnerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobRunnerService.name);
  private readonly workers: Worker[] = [];
  private connection?: RedisConnection;

  constructor(
    private readonly config: AppConfig,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  discoverHandlers(): Map<JobName, Handler> {
    const handlers = new Map<JobName, Handler>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn = instance[method];
        if (typeof fn !== 'function') continue;
        const name = this.reflector.get<JobName | undefined>(ON_JOB_KEY, fn as () => unknown);
        if (!name) continue;
        if (handlers.has(name)) throw new Error(`job ${name} has two handlers`);
        handlers.set(name, (fn as Handler).bind(instance));
      }
    }
    const missing = JOB_NAMES.filter((name) => !handlers.has(name));
    if (missing.length) throw new Error(`no handler for job(s): ${missing.join(', ')}`);
    return handlers;
  }

  onApplicationBootstrap(): void {
    const handlers = this.discoverHandlers();
    this.connection = createWorkerConnection(this.config);
    for (const queue of QUEUES) {
      const worker = new Worker(
        queue,
        async (job: Job) => {
          const handler = handlers.get(job.name as JobName);
          if (!handler) throw new Error(`no handler for job ${job.name}`);
          // A span per run, in the trace of whatever queued the job (its data's traceparent).
          return inSpan(
            `${job.name} process`,
            {
              kind: SpanKind.CONSUMER,
              attributes: {
                'messaging.system': 'bullmq',
                'messaging.destination.name': queue,
                'messaging.operation.type': 'process',
                'messaging.message.id': job.id ?? '',
                [ATTR.jobName]: job.name,
                [ATTR.jobAttempt]: job.attemptsMade + 1,
              },
            },
            () => handler(job.data as JobPayloads[JobName], job),
            (job.data as JobTrace).traceparent ?? null,
          );
        },
        {
          connection: this.connection,
          prefix: queueKeyPrefix(this.config.QUEUE_PREFIX, queue),
          // Webhook attempts mostly wait on receivers (up to WEBHOOK_TIMEOUT_MS each): a few slow
          // ones must not hold up every organization's alerts.
          // An export streams a whole organization: one at a time per process keeps memory flat.
          concurrency:
            queue === 'webhooks'
              ? this.config.WEBHOOK_CONCURRENCY
              : queue === 'exports'
                ? 1
                : this.config.WORKER_CONCURRENCY,
          lockDuration: this.config.JOB_LOCK_MS,
          stalledInterval: Math.max(1000, Math.floor(this.config.JOB_LOCK_MS / 2)),
        },
      );
      // Job ids and names only: payloads never hold patient data, but errors are not logged whole.
      worker.on('failed', (job, err) =>
        this.logger.warn(
          { queue, job: job?.name, jobId: job?.id, errorClass: err.constructor.name },
          'job failed',
        ),
      );
      worker.on('error', (err) =>
        this.logger.error({ queue, errorClass: err.constructor.name }, 'worker error'),
      );
      this.workers.push(worker);
    }
    this.logger.log(`processing queues ${QUEUES.join(', ')}`);
  }

  /** Lets running jobs finish, then closes: SIGTERM never cuts a job in half. */
  async onApplicationShutdown(): Promise<void> {
    this.logger.log("closing the queues' workers");
    await Promise.all(this.workers.map((w) => w.close()));
    this.connection?.disconnect();
    this.logger.log('queue workers closed');
  }
}
