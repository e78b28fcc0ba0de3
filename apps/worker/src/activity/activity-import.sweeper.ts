import { Db } from '@app/persistence';
import { importJobOptions, JobQueueService } from '@app/queue';
import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';

const SWEEP_EVERY_MS = 30_000;

/**
 * Queues imports the API stored but could not queue (Redis away at that moment). The job id
 * is the import's, so an import already waiting in the queue is not queued twice.
 */
@Injectable()
export class ActivityImportSweeper {
  private readonly logger = new Logger(ActivityImportSweeper.name);

  constructor(
    private readonly db: Db,
    private readonly jobs: JobQueueService,
  ) {}

  @Interval(SWEEP_EVERY_MS)
  async sweep(): Promise<number> {
    const stale = await this.db.manager.query<{ id: string }[]>(
      `SELECT id FROM activity_imports WHERE status = 'queued' AND created_at < now() - interval '30 seconds'
       ORDER BY created_at LIMIT 1000`,
    );
    let queued = 0;
    for (const { id } of stale) {
      try {
        await this.jobs.add('activity.import', { importId: id }, importJobOptions(id));
        queued++;
      } catch {
        this.logger.warn('cannot reach Redis to queue stored imports; will retry');
        break;
      }
    }
    return queued;
  }
}
