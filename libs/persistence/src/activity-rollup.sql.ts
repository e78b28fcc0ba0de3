/**
 * Re-rolls the given patient-local days of one patient from its samples ($1 organization,
 * $2 patient, $3 the days). Merge: on a day with two or more sources, each interval sample is
 * spread evenly over the minutes it covers and each minute counts the most any source saw in
 * it (phone and watch on the same walk are not added up; what only one of them saw is kept); a
 * day with one source is simply its sum. Daily totals a source did not break down count as a
 * floor for the day. Days are bounded in the patient's zone, so 23- and 25-hour days are right.
 *
 * Sent from the application rather than kept as a SQL function: as a statement with bound
 * values PostgreSQL plans it for this patient and these days (a function body gets a generic
 * plan, measured 15 times slower on 200,000 samples).
 */
export const ACTIVITY_ROLLUP_SQL = `
WITH zone AS (
  SELECT timezone FROM patients WHERE organization_id = $1 AND id = $2
), days AS (
  SELECT d AS local_date,
         (d::timestamp AT TIME ZONE zone.timezone) AS day_start,
         ((d + 1)::timestamp AT TIME ZONE zone.timezone) AS day_end
  FROM (SELECT DISTINCT unnest($3::date[]) AS d) u, zone
), samples AS (
  -- A per-day index range scan however many days are asked for: OFFSET 0 keeps the planner
  -- from flattening the LATERAL into one scan of every sample compared with every day
  -- (measured: 106 s for 486 days over 500,000 samples).
  SELECT days.local_date, days.day_start, days.day_end, s.source_key, s.start_at, s.end_at,
         s.steps, s.active_minutes, s.manual, s.granularity,
         -- date_part gives float8; EXTRACT's numeric made this sum the rollup's largest cost.
         date_part('epoch', LEAST(s.end_at, days.day_end) - GREATEST(s.start_at, days.day_start))
           / date_part('epoch', s.end_at - s.start_at) AS share
  FROM days
  CROSS JOIN LATERAL (
    SELECT * FROM activity_samples s
    WHERE s.organization_id = $1 AND s.patient_id = $2
      -- No sample is longer than 48 hours: this bound keeps the scan to the day's index range.
      AND s.start_at < days.day_end AND s.start_at > days.day_start - interval '48 hours'
      AND s.end_at > days.day_start
    OFFSET 0
  ) s
), shared_days AS (
  -- Only a day with two or more sources needs the minute-by-minute merge.
  SELECT local_date FROM samples WHERE granularity = 'interval' AND steps > 0
  GROUP BY local_date HAVING count(DISTINCT source_key) > 1
), minutes AS (
  SELECT s.local_date, m AS minute,
         s.steps * date_part('epoch', LEAST(s.end_at, m + interval '1 minute') - GREATEST(s.start_at, m))
           / date_part('epoch', s.end_at - s.start_at) AS steps
  FROM samples s,
       generate_series(date_trunc('minute', GREATEST(s.start_at, s.day_start)),
                       LEAST(s.end_at, s.day_end) - interval '1 microsecond',
                       interval '1 minute') AS m
  WHERE s.granularity = 'interval' AND s.steps > 0 AND s.local_date IN (SELECT local_date FROM shared_days)
), merged AS MATERIALIZED (
  SELECT local_date, sum(steps) AS steps
  FROM (SELECT local_date, minute, max(steps) AS steps FROM minutes GROUP BY local_date, minute) per_minute
  GROUP BY local_date
  UNION ALL
  SELECT local_date, sum(steps * share) FROM samples
  WHERE granularity = 'interval' AND local_date NOT IN (SELECT local_date FROM shared_days)
  GROUP BY local_date
), per_source AS (
  SELECT local_date, source_key,
         COALESCE(sum(steps * share) FILTER (WHERE granularity = 'interval'), 0) AS interval_steps,
         COALESCE(max(steps * share) FILTER (WHERE granularity = 'day'), 0) AS day_steps,
         COALESCE(sum(active_minutes * share), 0) AS active_minutes,
         COALESCE(sum(steps * share) FILTER (WHERE manual), 0) AS manual_steps,
         count(*) AS samples
  FROM samples GROUP BY local_date, source_key
), totals AS (
  SELECT ps.local_date,
         round(GREATEST(COALESCE(max(m.steps), 0), max(ps.day_steps)))::int AS steps,
         round(max(ps.active_minutes))::int AS active_minutes,
         round(sum(ps.manual_steps))::int AS manual_steps,
         sum(ps.samples)::int AS sample_count,
         jsonb_agg(jsonb_build_object(
           'name', src.name, 'device', src.device,
           'steps', round(GREATEST(ps.interval_steps, ps.day_steps)),
           'manualSteps', round(ps.manual_steps)
         ) ORDER BY src.name, src.device) AS sources
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
