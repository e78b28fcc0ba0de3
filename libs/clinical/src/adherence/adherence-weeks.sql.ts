/**
 * Weekly adherence of a batch of patients, set-based: $1/$2/$4 the patients (organization ids,
 * patient ids, and the last local day to count for each: its last closed day), $3 a local day
 * whose week is the first to cover (weeks are always recomputed whole, never from mid-week),
 * $5 the share of the walking goal that makes a day active (%). Weeks are patient-local, Monday
 * to Sunday; a day counts from the program's start. The same definitions as the domain
 * functions (libs/domain/src/adherence), checked against them by test/adherence-weeks.e2e-spec.ts:
 *   - a round is a session with one of the program's daily items; a day needs as many rounds as
 *     its most frequent daily item (timesPerDay) and counts min(rounds, needed);
 *   - a weekly item (daysPerWeek) counts min(days it was done, daysPerWeek) per week;
 *   - a day is active with a session, or with steps at or above $5 % of the walking goal;
 *   - a day has data with a session, a pain report or device data.
 * Rows equal to the stored ones are not rewritten, so a second run changes nothing.
 */
export const ADHERENCE_WEEKS_SQL = `
WITH batch AS (
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $4::date[]) AS b(organization_id, patient_id, until)
), program AS (
  SELECT pr.organization_id, pr.patient_id, b.until, pr.id AS program_id, pr.start_date, pr.walking_goal_daily_steps AS goal,
         COALESCE((SELECT max(pi.times_per_day) FROM program_items pi
                   WHERE pi.program_id = pr.id AND pi.times_per_day > 0), 0) AS rounds_needed,
         COALESCE((SELECT array_agg(pi.exercise_code) FROM program_items pi
                   WHERE pi.program_id = pr.id AND pi.times_per_day > 0), '{}') AS daily_codes
  FROM batch b
  JOIN programs pr ON pr.organization_id = b.organization_id AND pr.patient_id = b.patient_id AND pr.superseded_at IS NULL
), weekly_item AS (
  SELECT p.organization_id, p.patient_id, pi.exercise_code, pi.days_per_week
  FROM program p JOIN program_items pi ON pi.program_id = p.program_id
  WHERE COALESCE(pi.times_per_day, 0) = 0 AND pi.days_per_week > 0
), day AS (
  SELECT p.organization_id, p.patient_id, p.goal, p.rounds_needed, p.daily_codes, d::date AS local_date
  FROM program p, generate_series(GREATEST(p.start_date, date_trunc('week', $3::date)::date), p.until, interval '1 day') AS d
), session_day AS (
  -- One row per patient-day with sessions: all of them, and those that are rounds.
  SELECT s.organization_id, s.patient_id, s.local_date, count(*) AS sessions,
         count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM jsonb_array_elements(s.items) e WHERE e->>'exerciseCode' = ANY(p.daily_codes)
         )) AS rounds
  FROM program p
  JOIN sessions s ON s.organization_id = p.organization_id AND s.patient_id = p.patient_id
  WHERE s.local_date BETWEEN GREATEST(p.start_date, date_trunc('week', $3::date)::date) AND p.until
  GROUP BY s.organization_id, s.patient_id, s.local_date
), pain_day AS (
  SELECT DISTINCT r.organization_id, r.patient_id, r.local_date
  FROM program p
  JOIN pain_reports r ON r.organization_id = p.organization_id AND r.patient_id = p.patient_id
  WHERE r.local_date BETWEEN GREATEST(p.start_date, date_trunc('week', $3::date)::date) AND p.until
), figures AS (
  SELECT d.organization_id, d.patient_id, date_trunc('week', d.local_date)::date AS week_start,
         sum(d.rounds_needed) AS prescribed,
         sum(LEAST(COALESCE(sd.rounds, 0), d.rounds_needed)) AS completed,
         count(*) FILTER (WHERE d.goal > 0) AS walking_goal_days,
         count(*) FILTER (WHERE d.goal > 0 AND a.steps >= d.goal) AS walking_days_met,
         count(*) FILTER (WHERE sd.sessions > 0 OR (d.goal > 0 AND a.steps >= d.goal * $5::numeric / 100)) AS active_days,
         count(*) FILTER (WHERE sd.sessions > 0 OR pd.local_date IS NOT NULL OR a.steps IS NOT NULL) AS data_days
  FROM day d
  LEFT JOIN session_day sd ON sd.organization_id = d.organization_id AND sd.patient_id = d.patient_id AND sd.local_date = d.local_date
  LEFT JOIN pain_day pd ON pd.organization_id = d.organization_id AND pd.patient_id = d.patient_id AND pd.local_date = d.local_date
  LEFT JOIN activity_daily a ON a.organization_id = d.organization_id AND a.patient_id = d.patient_id AND a.local_date = d.local_date
  GROUP BY 1, 2, 3
), weekly_done AS (
  -- Weekly items: per week, min(days done, days prescribed).
  SELECT w.organization_id, w.patient_id, date_trunc('week', s.local_date)::date AS week_start,
         w.exercise_code, w.days_per_week, count(DISTINCT s.local_date) AS days_done
  FROM weekly_item w
  JOIN program p ON p.organization_id = w.organization_id AND p.patient_id = w.patient_id
  JOIN sessions s ON s.organization_id = w.organization_id AND s.patient_id = w.patient_id
  WHERE s.local_date BETWEEN GREATEST(p.start_date, date_trunc('week', $3::date)::date) AND p.until
    AND s.items @> jsonb_build_array(jsonb_build_object('exerciseCode', w.exercise_code))
  GROUP BY w.organization_id, w.patient_id, 3, w.exercise_code, w.days_per_week
), weekly AS (
  SELECT f.organization_id, f.patient_id, f.week_start,
         COALESCE((SELECT sum(w.days_per_week) FROM weekly_item w
                   WHERE w.organization_id = f.organization_id AND w.patient_id = f.patient_id), 0) AS prescribed,
         COALESCE((SELECT sum(LEAST(wd.days_done, wd.days_per_week)) FROM weekly_done wd
                   WHERE wd.organization_id = f.organization_id AND wd.patient_id = f.patient_id
                     AND wd.week_start = f.week_start), 0) AS completed
  FROM figures f
)
INSERT INTO adherence_weeks AS w (organization_id, patient_id, week_start, prescribed_sessions, completed_sessions,
                                  walking_goal_days, walking_days_met, active_days, data_days, computed_at)
SELECT f.organization_id, f.patient_id, f.week_start, f.prescribed + k.prescribed, f.completed + k.completed,
       f.walking_goal_days, f.walking_days_met, f.active_days, f.data_days, now()
FROM figures f JOIN weekly k USING (organization_id, patient_id, week_start)
ON CONFLICT (organization_id, patient_id, week_start) DO UPDATE
  SET prescribed_sessions = EXCLUDED.prescribed_sessions, completed_sessions = EXCLUDED.completed_sessions,
      walking_goal_days = EXCLUDED.walking_goal_days, walking_days_met = EXCLUDED.walking_days_met,
      active_days = EXCLUDED.active_days, data_days = EXCLUDED.data_days, computed_at = now()
  WHERE (w.prescribed_sessions, w.completed_sessions, w.walking_goal_days, w.walking_days_met, w.active_days, w.data_days)
        IS DISTINCT FROM (EXCLUDED.prescribed_sessions, EXCLUDED.completed_sessions, EXCLUDED.walking_goal_days,
                          EXCLUDED.walking_days_met, EXCLUDED.active_days, EXCLUDED.data_days)
`;
