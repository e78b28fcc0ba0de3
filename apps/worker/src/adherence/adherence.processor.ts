import { AdherenceComputeService } from '@app/clinical';
import { addDays, evaluationDay } from '@app/domain';
import { AppConfig } from '@app/config';
import { Db, queryRows, vacuumAsOwner, type PatientRef } from '@app/persistence';
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

// The patients of a period: with a current program and, for an hourly period, a local date at
// the period's instant ($1) other than an hour before (their day ended within that hour).
const PERIOD_PATIENTS = `
  FROM patients pa
  JOIN programs pr ON pr.organization_id = pa.organization_id AND pr.patient_id = pa.id AND pr.superseded_at IS NULL
  WHERE ($2::boolean OR (($1::timestamptz AT TIME ZONE pa.timezone)::date
                         <> (($1::timestamptz - interval '1 hour') AT TIME ZONE pa.timezone)::date))`;

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
    private readonly db: Db,
    private readonly jobs: JobQueueService,
    private readonly adherence: AdherenceComputeService,
  ) {}

  @OnJob('adherence.period')
  async planPeriod({ period: name }: JobPayloads['adherence.period']): Promise<{
    chunks: number;
  } | null> {
    const period = parsePeriod(name);
    // A period of an hour to come would count days not yet lived as missed, and its as_of
    // would hold patient_progress back until then (it never goes back to an older day).
    if (period.at.getTime() > Date.now() + FUTURE_TOLERANCE_MS)
      throw new UnrecoverableError(`adherence period ${name} has not begun`);
    const [{ patients }] = await this.db.manager.query<{ patients: number }[]>(
      `SELECT count(*)::int AS patients ${PERIOD_PATIENTS}`,
      [period.at, period.full],
    );
    await this.db.manager.query(
      `INSERT INTO adherence_periods (period, chunks) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      [period.name, Math.max(1, Math.ceil(patients / CHUNK_PATIENTS))],
    );
    // The first plan stands, whoever wrote it. Its chunks are queued again for as long as the
    // period is open: a planner that stopped between the row and the jobs is made good, and a
    // chunk queued twice (same job id) is added once and computed once (its claim row).
    const [plan] = await this.db.manager.query<{ chunks: number; run: string; done: number[] }[]>(
      `SELECT p.chunks, (extract(epoch FROM p.started_at) * 1000000)::bigint::text AS run,
              ARRAY(SELECT c.chunk FROM adherence_period_chunks c WHERE c.period = p.period) AS done
       FROM adherence_periods p WHERE p.period = $1 AND p.completed_at IS NULL`,
      [period.name],
    );
    if (!plan) return null;
    await this.queueChunks(period, plan);
    return { chunks: plan.chunks };
  }

  /**
   * Queues the chunks of a plan not yet computed. The job id names the plan (its start time),
   * so a period planned again after its row was deleted (to recompute it) is not mistaken for
   * the earlier plan's completed jobs that BullMQ still keeps.
   */
  private async queueChunks(
    period: Period,
    plan: { chunks: number; run: string; done: number[] },
  ): Promise<void> {
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
    const result = await this.db.transaction(async (m) => {
      const [claimed] = await m.query<unknown[]>(
        `INSERT INTO adherence_period_chunks (period, chunk, patients) VALUES ($1, $2, 0)
         ON CONFLICT DO NOTHING RETURNING 1`,
        [period.name, chunk],
      );
      if (!claimed) return null; // computed already
      const ids = chunkIds(chunk, chunks);
      const patients = await m.query<{ organization_id: string; id: string }[]>(
        `SELECT pa.organization_id, pa.id ${PERIOD_PATIENTS}
           AND pa.id >= $3::uuid AND ($4::uuid IS NULL OR pa.id < $4::uuid)`,
        [period.at, period.full, ids.from, ids.to],
      );
      const refs: PatientRef[] = patients.map((p) => ({
        organizationId: p.organization_id,
        patientId: p.id,
      }));
      await this.adherence.compute(refs, period.at, {
        weeksFrom: period.full
          ? addDays(evaluationDay(period.at, 'UTC'), -FULL_WEEKS_DAYS - 1)
          : undefined,
      });
      await m.query(
        `UPDATE adherence_period_chunks SET patients = $3 WHERE period = $1 AND chunk = $2`,
        [period.name, chunk, refs.length],
      );
      const [done] = await queryRows<{ completed: boolean }>(
        m,
        `UPDATE adherence_periods SET chunks_done = chunks_done + 1, patients = patients + $2,
           completed_at = CASE WHEN chunks_done + 1 = chunks THEN now() END
         WHERE period = $1
         RETURNING completed_at IS NOT NULL AS completed`,
        [period.name, refs.length],
      );
      return { patients: refs.length, completed: done.completed };
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
    const started = Date.now();
    try {
      await vacuumAsOwner(ownerUrl, ['adherence_weeks', 'patient_progress']);
      this.logger.log({ period, ms: Date.now() - started }, 'adherence results vacuumed');
    } catch (err) {
      this.logger.warn(
        { period, errorClass: (err as Error).constructor.name },
        'adherence results not vacuumed',
      );
    }
  }

  /** Recomputes, as of now, the patients whose records changed; until none is left. */
  @OnJob('adherence.dirty')
  async computeDirty(): Promise<{ patients: number }> {
    let total = 0;
    for (;;) {
      const done = await this.db.transaction(async (m) => {
        const taken = await m.query<{ organization_id: string; patient_id: string }[]>(
          `WITH taken AS (
             DELETE FROM adherence_dirty WHERE ctid IN (
               SELECT ctid FROM adherence_dirty ORDER BY marked_at LIMIT $1 FOR UPDATE SKIP LOCKED)
             RETURNING organization_id, patient_id
           )
           SELECT DISTINCT organization_id, patient_id FROM taken`,
          [DIRTY_BATCH],
        );
        // Computed in the same transaction: a failure puts the marks back.
        await this.adherence.compute(
          taken.map((t) => ({ organizationId: t.organization_id, patientId: t.patient_id })),
          new Date(),
        );
        return taken.length;
      });
      total += done;
      if (done === 0) return { patients: total };
    }
  }
}
