import { Injectable } from '@nestjs/common';
import { Db, queryRows } from '../db.service';

/** How many months of partitions exist ahead of the current one (docs/scaling.md). */
export const SAMPLE_PARTITION_MONTHS_AHEAD = 3;
/** Raw samples deleted per statement by the retention: short transactions, small WAL bursts. */
const RETENTION_BATCH = 10_000;

/**
 * Where raw samples live: the monthly partitions of activity_samples, and how long each
 * organization keeps them (organizations.sample_retention_days).
 */
@Injectable()
export class SampleStorageRepository {
  constructor(private readonly db: Db) {}

  /**
   * Creates the partitions of the months from last month to SAMPLE_PARTITION_MONTHS_AHEAD ahead
   * (in steady state, months no sample can have reached yet). Months found in the default
   * partition (a historical import, a clock far off) stay there: moving them while imports
   * run is left to an operator (docs/scaling.md), since a CI run once lost the rows of a month
   * moved out of the default partition while an import wrote into it, cause not found.
   * Safe on several workers at once: the function serializes.
   */
  async ensurePartitions(now: Date): Promise<number> {
    const ahead = new Date(
      Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + SAMPLE_PARTITION_MONTHS_AHEAD + 1, 1),
    );
    const [{ created }] = await this.db.pool.query<{ created: number }[]>(
      `SELECT ensure_activity_sample_partitions(
         (date_trunc('month', $1::timestamptz AT TIME ZONE 'UTC') - interval '1 month')::date, $2::date) AS created`,
      [now, ahead],
    );
    return created;
  }

  /**
   * Deletes raw samples past their organization's retention, in batches, and records how far
   * it went. Only samples ending two days before the first day the rollup still recomputes
   * (activity.repository's TAKE_MARKED_DAYS; a day's margin for the zones and one for a DST
   * change), so a day is never recomputed from part of its samples.
   */
  async purgeExpired(): Promise<number> {
    const organizations = await this.db.pool.query<{ id: string; cutoff: Date }[]>(
      `SELECT id, now() - make_interval(days => sample_retention_days + 2) AS cutoff
       FROM organizations WHERE sample_retention_days IS NOT NULL`,
    );
    let purged = 0;
    for (const { id, cutoff } of organizations) {
      for (;;) {
        // start_at too (never after end_at): the months past the cutoff are not even read.
        const [{ n }] = await queryRows<{ n: number }>(
          this.db.pool,
          `WITH expired AS (
             SELECT patient_id, start_at, source_key, end_at, record_id FROM activity_samples
             WHERE organization_id = $1 AND start_at < $2 AND end_at < $2
             LIMIT ${RETENTION_BATCH} FOR UPDATE SKIP LOCKED
           ), deleted AS (
             DELETE FROM activity_samples s USING expired e
             WHERE s.organization_id = $1 AND s.start_at < $2
               AND (s.patient_id, s.start_at, s.source_key, s.end_at, s.record_id)
                 = (e.patient_id, e.start_at, e.source_key, e.end_at, e.record_id)
             RETURNING 1
           )
           SELECT count(*)::int AS n FROM deleted`,
          [id, cutoff],
        );
        purged += n;
        if (n < RETENTION_BATCH) break;
      }
      await this.db.pool.query(
        `UPDATE organizations SET samples_purged_before = GREATEST(samples_purged_before, $2)
         WHERE id = $1`,
        [id, cutoff],
      );
    }
    return purged;
  }
}
