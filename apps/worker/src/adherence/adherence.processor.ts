import { AdherenceComputeService } from '@app/adherence';
import { AppConfig, Clock } from '@app/config';
import { addDays, evaluationDay } from '@app/domain';
import { AdherenceRepository, Db, type PeriodPlan } from '@app/persistence';
import { JobQueueService, type JobPayloads } from '@app/queue';
import { Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { OnJob } from '../jobs/on-job.decorator';
import {
  chunkIds,
  FULL_WEEKS_DAYS,
  parsePeriod,
  periodJobId,
  type Period,
} from './adherence-periods';

/** Patients per chunk job: big enough for set-based statements, small enough to retry. */
export const CHUNK_PATIENTS = 2000;
/** Patients whose records changed, recomputed per transaction. */
export const DIRTY_BATCH = 1000;
/** A tick may fire a little before its hour on a clock a little ahead. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

/**
 * Scheduled adherence: a period is planned once (its row in adherence_periods), split into
 * chunk jobs by ranges of patient ids (payloads hold only the chunk's number), and each chunk is
 * computed once (its row in adherence_period_chunks commits with its results). A chunk that
 * fails rolls back with its row and is retried whole. Patients whose records changed are
 * recomputed by the `adherence.dirty` job every few seconds.
 */
@Injectable()
export class AdherenceProcessor {
  private readonly logger = new Logger(AdherenceProcessor.name);

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly db: Db,
    private readonly jobs: JobQueueService,
    private readonly results: AdherenceRepository,
    private readonly adherence: AdherenceComputeService,
  ) {}

  @OnJob('adherence.period')
  async planPeriod({ period: name }: JobPayloads['adherence.period']): Promise<{
    chunks: number;
  } | null> {
    const period = parsePeriod(name);
    // A period of an hour to come would count days not yet lived as missed, and its as_of
    // would hold patient_progress back until then (it never goes back to an older day).
    if (period.at.getTime() > this.clock.nowMs() + FUTURE_TOLERANCE_MS)
      throw new UnrecoverableError(`adherence period ${name} has not begun`);
    // Patients without a program are in no period; their worklist entries still age (days
    // without review, RTM deadlines): their local midnight marks them for the next update.
    await this.results.markUnprogrammedAtMidnight(period.at);
    const patients = await this.results.countPeriodPatients(
      period.at,
      period.full,
      period.organizationId,
    );
    await this.results.insertPeriod(period.name, Math.max(1, Math.ceil(patients / CHUNK_PATIENTS)));
    // The first plan stands, whoever wrote it. Its chunks are queued again for as long as the
    // period is open: a planner that stopped between the row and the jobs is made good, and a
    // chunk queued twice (same job id) is added once and computed once (its claim row).
    const plan = await this.results.openPlan(period.name);
    if (!plan) return null;
    await this.queueChunks(period, plan);
    return { chunks: plan.chunks };
  }

  /**
   * Queues the chunks of a plan not yet computed. The job id names the plan (its start time),
   * so a period planned again after its row was deleted (to recompute it) is not mistaken for
   * the earlier plan's completed jobs that BullMQ still keeps.
   */
  private async queueChunks(period: Period, plan: PeriodPlan): Promise<void> {
    const done = new Set(plan.done);
    for (let chunk = 0; chunk < plan.chunks; chunk++) {
      if (done.has(chunk)) continue;
      await this.jobs.add(
        'adherence.chunk',
        { period: period.name, chunk, chunks: plan.chunks },
        {
          jobId: `${periodJobId(period.name)}-${plan.run}-${chunk}`,
          attempts: 5,
          backoff: { type: 'exponential', delay: 5000 },
        },
      );
    }
  }

  @OnJob('adherence.chunk')
  async computeChunk({
    period: name,
    chunk,
    chunks,
  }: JobPayloads['adherence.chunk']): Promise<{ patients: number } | null> {
    const period = parsePeriod(name);
    const result = await this.db.transaction(async (tx) => {
      if (!(await this.results.claimChunk(tx, period.name, chunk))) return null; // computed already
      const patients = await this.results.chunkPatients(
        tx,
        period.at,
        period.full,
        period.organizationId,
        chunkIds(chunk, chunks),
      );
      await this.adherence.computeZoned(patients, period.at, {
        weeksFrom: period.full
          ? addDays(evaluationDay(period.at, 'UTC'), -FULL_WEEKS_DAYS - 1)
          : undefined,
      });
      const completed = await this.results.completeChunk(tx, period.name, chunk, patients.length);
      return { patients: patients.length, completed };
    });
    if (!result) return null;
    if (result.completed) await this.vacuumResults(period.name);
    return { patients: result.patients };
  }

  /**
   * After the last chunk of a period: the dashboards read these tables by index-only scans,
   * which skip the heap only on pages a VACUUM has marked all-visible, and a period has just
   * rewritten many of them. Autovacuum would get there in its own time (or never, where it is
   * turned off); the worker knows when. Only the tables' owner may VACUUM (PostgreSQL 15), so
   * a worker without DATABASE_OWNER_URL leaves it to autovacuum. A failure is logged: the
   * results stand either way.
   */
  private async vacuumResults(period: string): Promise<void> {
    const ownerUrl = this.config.DATABASE_OWNER_URL;
    if (!ownerUrl) {
      this.logger.log({ period }, 'adherence results left to autovacuum (no DATABASE_OWNER_URL)');
      return;
    }
    const started = this.clock.nowMs();
    try {
      await this.results.vacuumResults(ownerUrl);
      this.logger.log({ period, ms: this.clock.nowMs() - started }, 'adherence results vacuumed');
    } catch (err) {
      this.logger.warn(
        { period, errorClass: (err as Error).constructor.name },
        'adherence results not vacuumed',
      );
    }
  }

  /**
   * Recomputes, as of now, the patients whose records changed: batch after batch while the
   * batches come full (a backlog), and once a batch comes short (caught up) the marks written
   * meanwhile wait for the next tick, at most DIRTY_EVERY_MS later. Draining until none was left
   * kept a patient who writes continuously (an app posting session after session) recomputed
   * back to back, the worker's whole core spent on the same few patients.
   */
  @OnJob('adherence.dirty')
  async computeDirty(): Promise<{ patients: number }> {
    let total = 0;
    for (;;) {
      const done = await this.db.transaction(async (tx) => {
        const taken = await this.results.takeDirty(tx, DIRTY_BATCH);
        // Computed in the same transaction: a failure puts the marks back.
        await this.adherence.computeZoned(taken, this.clock.now());
        return taken.length;
      });
      total += done;
      if (done < DIRTY_BATCH) return { patients: total };
    }
  }
}
