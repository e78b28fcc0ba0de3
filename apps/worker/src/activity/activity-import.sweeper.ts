import { ActivityRepository, Db } from '@app/persistence';
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
    private readonly activity: ActivityRepository,
    private readonly jobs: JobQueueService,
  ) {}

  @Interval(SWEEP_EVERY_MS)
  async sweep(): Promise<number> {
    const stale = await this.activity.staleQueued(1000);
    let queued = 0;
    for (const id of stale) {
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
    const patients = await this.activity.patientsWithMarkedDays(100);
    let settled = 0;
    for (const p of patients) {
      const done = await this.db.transaction((tx) =>
        this.activity.rollUpMarkedDays(tx, p.organizationId, p.patientId),
      );
      if (done !== null) settled++;
    }
    return settled;
  }
}
