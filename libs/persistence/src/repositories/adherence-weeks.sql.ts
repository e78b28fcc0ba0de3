/**
 * Weekly adherence of a batch of patients, set-based: $1/$2/$4/$5 the patients (organization
 * ids, patient ids, the last local day to count for each: its last closed day, and the share of
 * the walking goal that makes a day active, in %, their organization's), $3 a local day whose
 * week is the first to cover (weeks are always recomputed whole, never from mid-week). Weeks
 * are patient-local, Monday to Sunday; a day counts from the program's start. The same
 * figures as the domain's weeklyFiguresOf (libs/domain/src/adherence), which the patient
 * endpoint serves; test/adherence-weeks.e2e-spec.ts holds this statement to it on generated
 * records:
 *   - a round is a session with one of the program's daily items; a day needs as many rounds as
 *     its most frequent daily item (timesPerDay) and counts min(rounds, needed);
 *   - a weekly item (daysPerWeek) counts min(days it was done, daysPerWeek) per week;
 *   - a day is active with a session, or with steps at or above $5 % of the walking goal;
 *   - a day has data with a session, a pain report or device data;
 *   - on a day the program was on hold (paused or suspended for some or all of it) nothing is
 *     due and nothing done counts; a weekly item is due on at most the week's days off hold.
 * Rows equal to the stored ones are not rewritten, so a second run changes nothing.
 *
 * Shape: the program of each patient first (one row each, its items folded in), then one
 * LATERAL subquery per patient that reads only that patient's rows, from the covering indexes
 * sessions_patient_day_idx (local day, exercise codes) and activity_daily_steps_idx (index-only
 * scans: a few pages per patient, where the heap would cost a page per row). A plain join
 * over the whole batch let the planner hash-join every chunk against the whole activity_daily
 * table, and correlated sums over CTEs grew with the square of the batch (10 s for 2,000
 * patients; see BENCHMARKS.md).
 */
/**
 * The Monday of a date's week (0001-01-01 was a Monday), in date arithmetic: date_trunc would
 * convert every day to a timestamp with time zone and back, 15 % of the statement's time.
 * The domain's mondayOf in SQL (test/adherence-weeks.e2e-spec.ts compares them).
 */
export const sqlMondayOf = (day: string) => `(${day} - (${day} - DATE '0001-01-01') % 7)`;
/** An item prescribed in days per week (not per day). */
const WEEKLY = `COALESCE(pi.times_per_day, 0) = 0 AND pi.days_per_week > 0`;

export const ADHERENCE_WEEKS_SQL = `
WITH program AS MATERIALIZED (
  SELECT pr.organization_id, pr.patient_id, b.until, pr.walking_goal_daily_steps AS goal,
         pr.walking_goal_daily_steps * b.active_percent / 100 AS active_steps,
         GREATEST(pr.start_date, ${sqlMondayOf('$3::date')}) AS first_day,
         COALESCE(max(pi.times_per_day) FILTER (WHERE pi.times_per_day > 0), 0) AS rounds_needed,
         COALESCE(array_agg(pi.exercise_code) FILTER (WHERE pi.times_per_day > 0), '{}') AS daily_codes,
         COALESCE(array_agg(pi.exercise_code) FILTER (WHERE ${WEEKLY}), '{}') AS weekly_codes,
         COALESCE(array_agg(pi.days_per_week) FILTER (WHERE ${WEEKLY}), '{}') AS weekly_days,
         COALESCE(sum(pi.days_per_week) FILTER (WHERE ${WEEKLY}), 0) AS weekly_prescribed,
         -- Days on hold (patient-local, both ends included; open while the hold lasts).
         -- (The patient's zone is read only for a program that has a hold: few have.)
         COALESCE((SELECT array_agg(daterange((h.started_at AT TIME ZONE pa.timezone)::date,
                                              (h.ended_at AT TIME ZONE pa.timezone)::date, '[]'))
                   FROM program_holds h
                   JOIN patients pa ON pa.organization_id = h.organization_id AND pa.id = pr.patient_id
                   WHERE h.organization_id = pr.organization_id AND h.program_id = pr.id), '{}') AS holds
  FROM unnest($1::uuid[], $2::uuid[], $4::date[], $5::numeric[]) AS b(organization_id, patient_id, until, active_percent)
  JOIN programs pr ON pr.organization_id = b.organization_id AND pr.patient_id = b.patient_id AND pr.superseded_at IS NULL
  LEFT JOIN program_items pi ON pi.organization_id = pr.organization_id AND pi.program_id = pr.id
  GROUP BY pr.organization_id, pr.patient_id, b.until, b.active_percent, pr.id
)
INSERT INTO adherence_weeks AS w (organization_id, patient_id, week_start, prescribed_sessions, completed_sessions,
                                  walking_goal_days, walking_days_met, active_days, data_days, computed_at)
SELECT p.organization_id, p.patient_id, f.week_start,
       f.prescribed + wp.weekly_prescribed, f.completed + COALESCE(k.completed, 0),
       f.walking_goal_days, f.walking_days_met, f.active_days, f.data_days, now()
FROM program p
CROSS JOIN LATERAL (
  -- The patient's days from the first covered day to the last closed one, by week.
  SELECT ${sqlMondayOf('d.day')} AS week_start,
         -- (An aggregate over the outer row's columns alone would belong to the outer query.)
         -- Nothing is due on a day on hold, and nothing done then is counted.
         p.rounds_needed * count(*) FILTER (WHERE NOT d.held) AS prescribed,
         COALESCE(sum(LEAST(COALESCE(sd.rounds, 0), p.rounds_needed)) FILTER (WHERE NOT d.held), 0) AS completed,
         CASE WHEN p.goal > 0 THEN count(*) ELSE 0 END AS walking_goal_days,
         count(*) FILTER (WHERE p.goal > 0 AND a.steps >= p.goal) AS walking_days_met,
         count(*) FILTER (WHERE sd.sessions > 0 OR (p.goal > 0 AND a.steps >= p.active_steps)) AS active_days,
         count(*) FILTER (WHERE sd.sessions > 0 OR pd.local_date IS NOT NULL OR a.steps IS NOT NULL) AS data_days
  FROM generate_series(0, p.until - p.first_day) AS g(i)
  CROSS JOIN LATERAL (SELECT p.first_day + g.i AS day,
                             cardinality(p.holds) > 0 AND p.first_day + g.i <@ ANY(p.holds) AS held) d
  LEFT JOIN (
    -- All sessions of a day, and those that are rounds (hold one of the daily items).
    SELECT s.local_date, count(*) AS sessions,
           count(*) FILTER (WHERE s.exercise_codes && p.daily_codes) AS rounds
    FROM sessions s
    WHERE s.organization_id = p.organization_id AND s.patient_id = p.patient_id
      AND s.local_date BETWEEN p.first_day AND p.until
    GROUP BY s.local_date
  ) sd ON sd.local_date = d.day
  LEFT JOIN activity_daily a
    ON a.organization_id = p.organization_id AND a.patient_id = p.patient_id AND a.local_date = d.day
  LEFT JOIN (
    SELECT DISTINCT r.local_date FROM pain_reports r
    WHERE r.organization_id = p.organization_id AND r.patient_id = p.patient_id
      AND r.local_date BETWEEN p.first_day AND p.until
  ) pd ON pd.local_date = d.day
  GROUP BY 1
) f
CROSS JOIN LATERAL (
  -- A weekly item is due on at most as many days as the week (all seven) has off hold.
  SELECT CASE WHEN cardinality(p.holds) = 0 THEN p.weekly_prescribed
              ELSE (SELECT COALESCE(sum(LEAST(x.days_per_week, 7 - held.days)), 0)
                    FROM unnest(p.weekly_days) AS x(days_per_week),
                         (SELECT count(*) AS days
                          FROM generate_series(f.week_start, f.week_start + 6, interval '1 day') AS w(at)
                          WHERE w.at::date <@ ANY(p.holds)) held)
         END AS weekly_prescribed
) wp
LEFT JOIN LATERAL (
  -- Weekly items: per week, min(days done, days prescribed), summed over the items; computed
  -- once per patient, its weeks matched below.
  SELECT x.week_start, sum(LEAST(x.days, x.days_per_week)) AS completed
  FROM (
    SELECT ${sqlMondayOf('s.local_date')} AS week_start, c.code, c.days_per_week,
           count(DISTINCT s.local_date) AS days
    FROM unnest(p.weekly_codes, p.weekly_days) AS c(code, days_per_week)
    JOIN sessions s ON s.organization_id = p.organization_id AND s.patient_id = p.patient_id
      AND s.local_date BETWEEN p.first_day AND p.until
      AND s.exercise_codes && p.weekly_codes -- (on the index entry, before the join)
      AND c.code = ANY(s.exercise_codes)
      AND NOT (cardinality(p.holds) > 0 AND s.local_date <@ ANY(p.holds))
    GROUP BY 1, c.code, c.days_per_week
  ) x
  GROUP BY x.week_start
) k ON k.week_start = f.week_start
ON CONFLICT (organization_id, patient_id, week_start) DO UPDATE
  SET prescribed_sessions = EXCLUDED.prescribed_sessions, completed_sessions = EXCLUDED.completed_sessions,
      walking_goal_days = EXCLUDED.walking_goal_days, walking_days_met = EXCLUDED.walking_days_met,
      active_days = EXCLUDED.active_days, data_days = EXCLUDED.data_days, computed_at = now()
  WHERE (w.prescribed_sessions, w.completed_sessions, w.walking_goal_days, w.walking_days_met, w.active_days, w.data_days)
        IS DISTINCT FROM (EXCLUDED.prescribed_sessions, EXCLUDED.completed_sessions, EXCLUDED.walking_goal_days,
                          EXCLUDED.walking_days_met, EXCLUDED.active_days, EXCLUDED.data_days)
`;
