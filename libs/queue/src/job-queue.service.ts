import { AppConfig } from '@app/config';
import { activeTraceparent } from '@app/telemetry';
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { JobsOptions, Queue } from 'bullmq';
import { queueKeyPrefix, serviceKey } from './keys';
import { createProducerConnection, type RedisConnection } from './redis';
import {
  JOB_QUEUE,
  JobName,
  JobPayloads,
  jobsNaming,
  type JobTrace,
  QUEUES,
  QueueName,
  type JobSubjects,
} from './jobs';

const ADD_TIMEOUT_MS = 2000;
/** Every state a job can wait or rest in; `active` jobs are locked by a worker. */
const NOT_RUNNING = [
  'waiting',
  'paused',
  'delayed',
  'prioritized',
  'waiting-children',
  'completed',
  'failed',
] as const;
const EVENTS_PER_READ = 1000;
// Finished jobs are kept a while (a completed job id still de-duplicates an add), then dropped.
const RETENTION: JobsOptions = {
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** A job's data: its payload, and the traceparent of the span queuing it when traced. */
function jobData<P extends object>(payload: P, traceparent: string | null): P & JobTrace {
  return traceparent ? { ...payload, traceparent } : payload;
}

// BullMQ waits for the connection to be ready; a producer must not hang a request on it.
function inTime<T>(adding: Promise<T>): Promise<T> {
  return Promise.race([
    adding,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('Redis did not answer in time')), ADD_TIMEOUT_MS).unref(),
    ),
  ]);
}

/** Typed producer: one BullMQ Queue per registry queue, sharing one Redis connection. */
@Injectable()
export class JobQueueService implements OnApplicationShutdown {
  private readonly connection: RedisConnection;
  private readonly queues: Map<QueueName, Queue>;

  constructor(private readonly config: AppConfig) {
    this.connection = createProducerConnection(config);
    this.queues = new Map(
      QUEUES.map((name) => [
        name,
        new Queue(name, {
          connection: this.connection,
          prefix: queueKeyPrefix(config.QUEUE_PREFIX, name),
        }),
      ]),
    );
  }

  queue(name: QueueName): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`unknown queue ${name}`);
    return queue;
  }

  /**
   * Queues a job. A `jobId` makes the add idempotent (adding a job that is still waiting is a
   * no-op); BullMQ builds Redis keys from it, so it must not contain ':'.
   */
  async add<N extends JobName>(
    name: N,
    payload: JobPayloads[N],
    options: JobsOptions = {},
  ): Promise<string> {
    if (options.jobId?.includes(':')) throw new Error(`job id ${options.jobId} contains ':'`);
    if (this.connection.status !== 'ready') throw new Error('Redis is not connected');
    const job = await inTime(
      this.queue(JOB_QUEUE[name]).add(name, jobData(payload, activeTraceparent()), {
        ...RETENTION,
        ...options,
      }),
    );
    return job.id ?? '';
  }

  /**
   * Queues several jobs of one name in one round trip; every job needs its own `jobId`, so that
   * queuing the same batch again adds nothing. A job's `traceparent` (the relay's span of its
   * event) stands for the active span's.
   */
  async addBulk<N extends JobName>(
    name: N,
    jobs: {
      payload: JobPayloads[N];
      jobId: string;
      options?: JobsOptions;
      traceparent?: string | null;
    }[],
  ): Promise<void> {
    if (jobs.length === 0) return;
    for (const { jobId } of jobs) {
      if (jobId.includes(':')) throw new Error(`job id ${jobId} contains ':'`);
    }
    if (this.connection.status !== 'ready') throw new Error('Redis is not connected');
    const active = activeTraceparent();
    await inTime(
      this.queue(JOB_QUEUE[name]).addBulk(
        jobs.map(({ payload, jobId, options, traceparent }) => ({
          name,
          data: jobData(payload, traceparent ?? active),
          opts: { ...RETENTION, ...options, jobId },
        })),
      ),
    );
  }

  /**
   * Whether a job of this name and id is still on its way (waiting, delayed or running), as
   * opposed to finished, failed or gone.
   */
  async isPending(name: JobName, jobId: string): Promise<boolean> {
    const job = await inTime(this.queue(JOB_QUEUE[name]).getJob(jobId));
    if (!job) return false;
    const state = await inTime(job.getState());
    return ['waiting', 'delayed', 'active', 'prioritized', 'waiting-children'].includes(state);
  }

  /**
   * Removes every job that names one of `subjects` (jobsNaming): waiting, delayed, and the
   * finished and failed ones kept for a while, and their entries in each queue's event stream.
   * A job a worker is running is left to finish (its processor finds its records gone) and
   * counted in `running`.
   */
  async removeJobsNaming(subjects: JobSubjects): Promise<{ removed: number; running: number }> {
    if (this.connection.status !== 'ready') throw new Error('Redis is not connected');
    let removed = 0;
    let running = 0;
    for (const { queue: name, matches } of jobsNaming(subjects)) {
      const queue = this.queue(name);
      const resting = await inTime(queue.getRanges([...NOT_RUNNING], 0, -1, true));
      for (const id of new Set(resting.filter(matches))) {
        // 0: locked by a worker since it was listed.
        if ((await inTime(queue.remove(id))) === 1) removed++;
        else running++;
      }
      running += (await inTime(queue.getRanges(['active'], 0, -1, true))).filter(matches).length;
      await this.dropEvents(queue, matches);
    }
    return { removed, running };
  }

  /** Deletes the entries of a queue's event stream whose job id `matches`. */
  private async dropEvents(queue: Queue, matches: (jobId: string) => boolean): Promise<void> {
    // The queues' own connection: the stream is a key of the queue's (its `keys.events`).
    const client = this.connection;
    const key = queue.keys.events;
    let start = '-';
    for (;;) {
      const entries = await inTime(client.xrange(key, start, '+', 'COUNT', EVENTS_PER_READ));
      const naming = entries
        .filter(([, fields]) => {
          const at = fields.indexOf('jobId');
          return at >= 0 && at % 2 === 0 && matches(fields[at + 1] ?? '');
        })
        .map(([id]) => id);
      if (naming.length > 0) await inTime(client.xdel(key, ...naming));
      if (entries.length < EVENTS_PER_READ) return;
      start = `(${entries[entries.length - 1][0]}`;
    }
  }

  /**
   * Takes one request from a budget shared by every process (a Redis counter per minute):
   * false when this minute's `perMinute` are spent.
   */
  async takeBudget(name: string, perMinute: number, nowMs: number): Promise<boolean> {
    const minute = Math.floor(nowMs / 60_000);
    const key = serviceKey(this.config.QUEUE_PREFIX, 'budget', name, minute);
    const [[, used]] = (await inTime(
      this.connection.multi().incr(key).expire(key, 120).exec(),
    )) as [[Error | null, number], [Error | null, number]];
    return used <= perMinute;
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.connection.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    // Closing a queue waits for a connection that may never come: drop the connection first.
    this.connection.disconnect();
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
  }
}
