import { Clock } from '@app/config';
import { JobQueueService, periodJob } from '@app/queue';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Cron, Interval } from '@nestjs/schedule';
import { periodOfTick } from './adherence-periods';

/** How often changed records are picked up: well within the minute the product promises. */
export const DIRTY_EVERY_MS = 10_000;

/**
 * The ticks only queue jobs. Every replica ticks; the job id names the period (or the
 * 10-second slot), so a period is queued once and, being claimed in PostgreSQL, computed once
 * even if its job were queued again after completing.
 */
@Injectable()
export class AdherenceScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdherenceScheduler.name);

  constructor(
    private readonly clock: Clock,
    private readonly jobs: JobQueueService,
  ) {}

  /** A worker that was down at the top of the hour catches up with that hour's period. */
  async onApplicationBootstrap(): Promise<void> {
    const hourStart = new Date(Math.floor(this.clock.nowMs() / 3_600_000) * 3_600_000);
    await this.queuePeriod(periodOfTick(hourStart));
  }

  @Cron('0 * * * *')
  async hourly(): Promise<void> {
    await this.queuePeriod(periodOfTick(this.clock.now()));
  }

  @Interval(DIRTY_EVERY_MS)
  async dirty(): Promise<void> {
    const slot = Math.floor(this.clock.nowMs() / DIRTY_EVERY_MS);
    try {
      await this.jobs.add('adherence.dirty', {}, { jobId: `adherence-dirty-${slot}` });
    } catch {
      this.logger.warn('cannot reach Redis to queue the adherence update; will retry');
    }
  }

  async queuePeriod(period: string): Promise<void> {
    try {
      const job = periodJob(period);
      await this.jobs.add('adherence.period', job.payload, { ...job.options, jobId: job.jobId });
    } catch {
      this.logger.warn({ period }, 'cannot reach Redis to queue an adherence period');
    }
  }
}
