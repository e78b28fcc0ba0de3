/**
 * Re-rolls the given patient-local days of one patient from its samples ($1 organization,
 * $2 patient, $3 the days; $4 and $5 bound the samples' starts around them: see rollupParams). Days are bounded in the patient's zone, so 23- and 25-hour days are
 * right.
 *
 * Whole steps are dealt out by time: a sample's steps up to an instant t are its running total
 * rounded half up, round(steps × elapsed / duration), so the part of a sample that falls in a
 * day or a minute is the difference of two running totals. The parts of a sample add up to the
 * sample exactly, and cutting a sample into pieces whose counts are in proportion to their
 * durations changes no part. Times are whole milliseconds (as every source sends them), so the
 * arithmetic is exact in bigint.
 *
 * Merge: on a day with two or more sources of interval samples, each source's samples are
 * spread over the minutes they cover and summed per source and minute; each minute counts the
 * largest source (phone and watch on the same walk are not added up; what only one of them saw
 * is kept; back-to-back records of one source sharing a minute are summed first). A day with
 * one source is simply its sum. Daily totals a source did not break down count as a floor for
 * the day. A manual entry at one instant (granularity `point`) belongs to the minute and day it
 * names.
 *
 * Sent from the application rather than kept as a SQL function: as a statement with bound
 * values PostgreSQL plans it for this patient and these days (a function body gets a generic
 * plan, measured 15 times slower on 200,000 samples).
 */
export const ACTIVITY_ROLLUP_SQL = `
WITH zone AS (
  SELECT timezone FROM patients WHERE organization_id = $1 AND id = $2
), days AS (
  SELECT local_date, day_start, day_end,
         round(date_part('epoch', day_start) * 1000)::bigint AS day_start_ms,
         round(date_part('epoch', day_end) * 1000)::bigint AS day_end_ms
  FROM (
    SELECT d AS local_date,
           (d::timestamp AT TIME ZONE zone.timezone) AS day_start,
           ((d + 1)::timestamp AT TIME ZONE zone.timezone) AS day_end
    FROM (SELECT DISTINCT unnest($3::date[]) AS d) u, zone
  ) bounds
), pieces AS (
  -- Each sample's part of each day: the milliseconds it covers there (from_ms, to_ms).
  SELECT days.local_date, s.source_key, s.granularity, s.manual, s.steps, s.active_minutes,
         s.start_ms, s.end_ms - s.start_ms AS duration_ms,
         GREATEST(s.start_ms, days.day_start_ms) AS from_ms, LEAST(s.end_ms, days.day_end_ms) AS to_ms
  FROM days
  CROSS JOIN LATERAL (
    -- A per-day index range scan however many days are asked for: OFFSET 0 keeps the planner
    -- from flattening the LATERAL into one scan of every sample compared with every day
    -- (measured: 106 s for 486 days over 500,000 samples).
    SELECT s.source_key, s.granularity, s.manual, s.steps, s.active_minutes,
           round(date_part('epoch', s.start_at) * 1000)::bigint AS start_ms,
           -- A point (a manual entry at one instant) lasts one millisecond here.
           GREATEST(round(date_part('epoch', s.end_at) * 1000)::bigint,
                    round(date_part('epoch', s.start_at) * 1000)::bigint + 1) AS end_ms
    FROM activity_samples s
    WHERE s.organization_id = $1 AND s.patient_id = $2
      -- Constants at planning: the planner leaves out the months no day can reach (the table
      -- is partitioned by month; planning every partition cost more than the scan itself).
      AND s.start_at >= $4::timestamptz AND s.start_at < $5::timestamptz
      -- No sample is longer than 48 hours: this bound keeps the scan to the day's index range.
      AND s.start_at < days.day_end AND s.start_at > days.day_start - interval '48 hours'
      AND (s.end_at > days.day_start OR s.start_at >= days.day_start)
    OFFSET 0
  ) s
), parts AS (
  -- Whole steps of each part: the difference of the sample's running totals at its two ends.
  SELECT local_date, source_key, granularity, manual, from_ms, to_ms, start_ms, duration_ms, steps,
         (2 * steps * (to_ms - start_ms) + duration_ms) / (2 * duration_ms)
           - (2 * steps * (from_ms - start_ms) + duration_ms) / (2 * duration_ms) AS part_steps,
         active_minutes * (to_ms - from_ms)::float8 / duration_ms AS part_active_minutes
  FROM pieces
), shared_days AS (
  -- Only a day with two or more sources needs the minute-by-minute merge.
  SELECT local_date FROM parts WHERE granularity <> 'day' AND part_steps > 0
  GROUP BY local_date HAVING count(DISTINCT source_key) > 1
), source_minutes AS (
  -- Each source's steps per minute: the sum of its samples' parts in that minute.
  SELECT p.local_date, p.source_key, m,
         sum((2 * p.steps * (LEAST(p.to_ms, m + 60000) - p.start_ms) + p.duration_ms) / (2 * p.duration_ms)
           - (2 * p.steps * (GREATEST(p.from_ms, m) - p.start_ms) + p.duration_ms) / (2 * p.duration_ms)) AS steps
  FROM parts p,
       generate_series(p.from_ms / 60000 * 60000, p.to_ms - 1, 60000) AS m
  WHERE p.granularity <> 'day' AND p.part_steps > 0
    AND p.local_date IN (SELECT local_date FROM shared_days)
  GROUP BY p.local_date, p.source_key, m
), merged AS MATERIALIZED (
  SELECT local_date, sum(steps) AS steps
  FROM (SELECT local_date, m, max(steps) AS steps FROM source_minutes GROUP BY local_date, m) per_minute
  GROUP BY local_date
  UNION ALL
  SELECT local_date, sum(part_steps) FROM parts
  WHERE granularity <> 'day' AND local_date NOT IN (SELECT local_date FROM shared_days)
  GROUP BY local_date
), per_source AS (
  SELECT local_date, source_key,
         COALESCE(sum(part_steps) FILTER (WHERE granularity <> 'day'), 0) AS interval_steps,
         COALESCE(max(part_steps) FILTER (WHERE granularity = 'day'), 0) AS day_steps,
         COALESCE(sum(part_active_minutes), 0) AS active_minutes,
         COALESCE(sum(part_steps) FILTER (WHERE manual), 0) AS manual_steps,
         count(*) AS samples
  FROM parts GROUP BY local_date, source_key
), totals AS (
  SELECT ps.local_date,
         GREATEST(COALESCE(max(m.steps), 0), max(ps.day_steps))::int AS steps,
         round(max(ps.active_minutes))::int AS active_minutes,
         sum(ps.manual_steps)::int AS manual_steps,
         sum(ps.samples)::int AS sample_count,
         jsonb_agg(jsonb_build_object(
           'name', src.name, 'device', src.device,
           'steps', GREATEST(ps.interval_steps, ps.day_steps),
           'manualSteps', ps.manual_steps
         ) || CASE WHEN src.account IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('account', src.account) END
           ORDER BY src.name, src.device NULLS FIRST, src.account NULLS FIRST) AS sources
  FROM per_source ps
  LEFT JOIN merged m ON m.local_date = ps.local_date
  JOIN activity_sources src
    ON src.organization_id = $1 AND src.patient_id = $2 AND src.source_key = ps.source_key
  GROUP BY ps.local_date
), cleared AS (
  DELETE FROM activity_daily a
  WHERE a.organization_id = $1 AND a.patient_id = $2
    AND a.local_date IN (SELECT local_date FROM days)
    AND a.local_date NOT IN (SELECT local_date FROM totals)
), written AS (
  INSERT INTO activity_daily AS a (organization_id, patient_id, local_date, steps, active_minutes, manual_steps, sample_count, sources, updated_at)
  SELECT $1, $2, local_date, steps, active_minutes, manual_steps, sample_count, sources, now() FROM totals
  ON CONFLICT (organization_id, patient_id, local_date) DO UPDATE
    SET steps = EXCLUDED.steps, active_minutes = EXCLUDED.active_minutes, manual_steps = EXCLUDED.manual_steps,
        sample_count = EXCLUDED.sample_count, sources = EXCLUDED.sources, updated_at = now()
  RETURNING 1
)
SELECT count(*)::int FROM written
`;

const DAY_MS = 86_400_000;

/**
 * The parameters of ACTIVITY_ROLLUP_SQL. The bounds hold every sample a day can take, in any
 * zone: a local day starts at most 14 hours before its UTC date and ends at most 12 hours after
 * the next, and a sample starts at most 48 hours before the day it reaches.
 */
export function rollupParams(organizationId: string, patientId: string, days: string[]): unknown[] {
  const times = days.map((d) => Date.parse(`${d}T00:00:00Z`));
  const from = new Date(Math.min(...times) - 3 * DAY_MS);
  const to = new Date(Math.max(...times) + 2 * DAY_MS);
  return [organizationId, patientId, days, from, to];
}
