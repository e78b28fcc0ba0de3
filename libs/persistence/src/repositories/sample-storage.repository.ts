import { Injectable } from '@nestjs/common';
import { Db, queryRows } from '../db.service';

/** How many months of partitions exist ahead of the current one (docs/scaling.md). */
export const SAMPLE_PARTITION_MONTHS_AHEAD = 3;
/** Months moved out of the default partition per run (the next run takes the rest). */
const STRAY_MONTHS_PER_RUN = 24;
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
   * Creates the partitions of the months from last month to SAMPLE_PARTITION_MONTHS_AHEAD ahead,
   * and one for every month found in the default partition (a historical import, a clock far
   * off), moving its rows there. Safe on several workers at once: the function serializes.
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
    const strays = await this.db.pool.query<{ month: string }[]>(
      // A bounded number per run: each one moves rows under a lock of the default partition.
      `SELECT DISTINCT to_char(date_trunc('month', start_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS month
       FROM activity_samples_default ORDER BY month LIMIT ${STRAY_MONTHS_PER_RUN}`,
    );
    let moved = 0;
    for (const { month } of strays) {
      const [row] = await this.db.pool.query<{ created: number }[]>(
        `SELECT ensure_activity_sample_partitions($1::date, ($1::date + interval '1 month')::date) AS created`,
        [month],
      );
      moved += row.created;
    }
    return created + moved;
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
