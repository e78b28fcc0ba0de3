import { Db } from '@app/persistence';
import { rollUpMarkedDays } from './activity-import.processor';
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

  /**
   * Rolls up days left marked: their import left the rollup to another import of the patient
   * that was on its way and has not ended since (stuck for minutes, or gone). A patient with an
   * import still on its way is skipped, as its end will roll them up.
   */
  @Interval(SWEEP_EVERY_MS)
  async settleMarkedDays(): Promise<number> {
    const patients = await this.db.manager.query<{ organization_id: string; patient_id: string }[]>(
      `SELECT DISTINCT organization_id, patient_id FROM activity_dirty_days LIMIT 100`,
    );
    let settled = 0;
    for (const p of patients) {
      const done = await this.db.transaction((m) =>
        rollUpMarkedDays(m, p.organization_id, p.patient_id),
      );
      if (done) settled++;
    }
    return settled;
  }
}
