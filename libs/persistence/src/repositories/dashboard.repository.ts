import { Injectable } from '@nestjs/common';
import { Db } from '../db.service';

// Each query is one statement over adherence_weeks ($1 organization, $2..$3 the Mondays), read
// through a covering index, (organization_id, week_start) by week and the primary key by
// clinician: 10,000 patients × 13 weeks are 130,000 index entries and no heap page. A
// patient's exercise ratio is completed / prescribed over the group's weeks; patients with
// nothing prescribed are left out of mean, median and share, and counted in `patients` only.
// No patient id leaves the database.

// Means as sum / count: avg() keeps an array as its running state, measurably slower per row.
const FIGURES = `
  count(*)::int AS patients,
  count(exercise)::int AS exercise_patients,
  sum(exercise) / NULLIF(count(exercise), 0) AS exercise_mean,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY exercise) AS exercise_median,
  count(*) FILTER (WHERE exercise >= 0.8)::float8 / NULLIF(count(exercise), 0) AS exercise_share_80,
  count(walking)::int AS walking_patients,
  sum(walking) / NULLIF(count(walking), 0) AS walking_mean,
  sum(data_days)::float8 / count(*) AS data_days_mean`;

// Eligibility is a patient's state over the 30 days to their last computation, not a weekly
// figure: it is counted for the organization, and per clinician, never per week.
// \`progress\`: the organization's patient_progress rows (a table expression or a CTE's name).
const eligibility = (progress: string) => `
  eligibility AS (
    SELECT count(*)::int AS rm_patients,
           count(*) FILTER (WHERE remote_monitoring_code = '98977')::int AS rm_98977,
           count(*) FILTER (WHERE remote_monitoring_code = '98985')::int AS rm_98985,
           count(*) FILTER (WHERE remote_monitoring_code IS NULL)::int AS rm_none
    FROM ${progress}
  ), open_alerts AS (
    SELECT count(*) FILTER (WHERE severity = 'warning')::int AS open_warning,
           count(*) FILTER (WHERE severity = 'urgent')::int AS open_urgent
    FROM alerts WHERE organization_id = $1 AND status = 'open'
  ), strata AS (
    -- Each patient's current STarT Back stratum: the screening completed last (a backward walk
    -- of the instrument's index, one row kept per patient).
    SELECT count(*) FILTER (WHERE stratum = 'low')::int AS sb_low,
           count(*) FILTER (WHERE stratum = 'medium')::int AS sb_medium,
           count(*) FILTER (WHERE stratum = 'high')::int AS sb_high
    FROM (SELECT DISTINCT ON (q.patient_id) q.score->>'stratum' AS stratum
          FROM questionnaires q WHERE q.organization_id = $1 AND q.instrument = 'startback'
          ORDER BY q.patient_id DESC, q.completed_at DESC, q.id DESC) current
  ), rtm AS (
    -- Patients per RTM code met so far in their current month, as the worker last computed
    -- them (worklist_entries), for the month $4.
    SELECT count(*) FILTER (WHERE '98975' = ANY (rtm_codes))::int AS rtm_98975,
           count(*) FILTER (WHERE '98977' = ANY (rtm_codes))::int AS rtm_98977,
           count(*) FILTER (WHERE '98985' = ANY (rtm_codes))::int AS rtm_98985,
           count(*) FILTER (WHERE '98979' = ANY (rtm_codes))::int AS rtm_98979,
           count(*) FILTER (WHERE '98980' = ANY (rtm_codes))::int AS rtm_98980,
           count(*) FILTER (WHERE '98981' = ANY (rtm_codes))::int AS rtm_98981
    FROM worklist_entries WHERE organization_id = $1 AND rtm_month = $4
  )`;

/** Per week, every patient-week row is one patient's ratio for that week. */
const BY_WEEK_SQL = `
WITH patient_week AS (
  SELECT w.week_start, w.data_days,
         w.completed_sessions::float8 / NULLIF(w.prescribed_sessions, 0) AS exercise,
         w.walking_days_met::float8 / NULLIF(w.walking_goal_days, 0) AS walking
  FROM adherence_weeks w
  WHERE w.organization_id = $1 AND w.week_start BETWEEN $2::date AND $3::date
), groups AS (
  SELECT week_start::text AS week_start, ${FIGURES}
  FROM patient_week GROUP BY week_start
), ${eligibility('patient_progress WHERE organization_id = $1')}
SELECT e.*, o.*, sb.*, rm.*, g.* FROM eligibility e CROSS JOIN open_alerts o CROSS JOIN strata sb CROSS JOIN rtm rm
LEFT JOIN groups g ON true
ORDER BY g.week_start`;

/**
 * Per clinician, each patient's weeks are added up first (an index-only scan of the primary key,
 * which holds the counts in patient order), then grouped by assigned clinician. The
 * organization's eligibility rows are read once, for its totals and for each group's.
 */
const BY_CLINICIAN_SQL = `
WITH progress AS MATERIALIZED (
  SELECT patient_id, remote_monitoring_code FROM patient_progress WHERE organization_id = $1
), patient_range AS (
  SELECT w.patient_id,
         sum(w.completed_sessions)::float8 / NULLIF(sum(w.prescribed_sessions), 0) AS exercise,
         sum(w.walking_days_met)::float8 / NULLIF(sum(w.walking_goal_days), 0) AS walking,
         sum(w.data_days) AS data_days
  FROM adherence_weeks w
  WHERE w.organization_id = $1 AND w.week_start BETWEEN $2::date AND $3::date
  GROUP BY w.patient_id
), groups AS (
  SELECT pa.clinician_id, ${FIGURES},
         count(pg.patient_id)::int AS group_rm_patients,
         count(*) FILTER (WHERE pg.remote_monitoring_code = '98977')::int AS group_rm_98977,
         count(*) FILTER (WHERE pg.remote_monitoring_code = '98985')::int AS group_rm_98985,
         count(pg.patient_id) FILTER (WHERE pg.remote_monitoring_code IS NULL)::int AS group_rm_none
  FROM patient_range pr
  JOIN patients pa ON pa.organization_id = $1 AND pa.id = pr.patient_id
  LEFT JOIN progress pg ON pg.patient_id = pr.patient_id
  GROUP BY pa.clinician_id
), clinician_alerts AS (
  SELECT pa.clinician_id,
         count(*) FILTER (WHERE a.severity = 'warning')::int AS group_open_warning,
         count(*) FILTER (WHERE a.severity = 'urgent')::int AS group_open_urgent
  FROM alerts a JOIN patients pa ON pa.organization_id = $1 AND pa.id = a.patient_id
  WHERE a.organization_id = $1 AND a.status = 'open'
  GROUP BY pa.clinician_id
), ${eligibility('progress')}
SELECT e.*, o.*, sb.*, rm.*, c.name AS clinician_name, g.*, ca.group_open_warning, ca.group_open_urgent
FROM eligibility e CROSS JOIN open_alerts o CROSS JOIN strata sb CROSS JOIN rtm rm
LEFT JOIN (groups g JOIN clinicians c ON c.organization_id = $1 AND c.id = g.clinician_id
           LEFT JOIN clinician_alerts ca ON ca.clinician_id = g.clinician_id) ON true
ORDER BY c.name, c.id`;

export interface DashboardAdherenceRow {
  rm_patients: number;
  rm_98977: number;
  rm_98985: number;
  rm_none: number;
  open_warning: number;
  open_urgent: number;
  sb_low: number;
  sb_medium: number;
  sb_high: number;
  rtm_98975: number;
  rtm_98977: number;
  rtm_98985: number;
  rtm_98979: number;
  rtm_98980: number;
  rtm_98981: number;
  week_start?: string;
  clinician_id?: string;
  clinician_name?: string;
  // Null when the organization has no group in the range (the eligibility row stands alone).
  patients: number | null;
  exercise_patients: number;
  exercise_mean: number | null;
  exercise_median: number | null;
  exercise_share_80: number | null;
  walking_patients: number;
  walking_mean: number | null;
  data_days_mean: number;
  group_rm_patients?: number;
  group_rm_98977?: number;
  group_rm_98985?: number;
  group_rm_none?: number;
  group_open_warning?: number | null;
  group_open_urgent?: number | null;
}

/**
 * The adherence dashboard's read model: aggregates of the worker's weekly figures
 * (adherence_weeks), eligibility (patient_progress) and open alerts of one organization, each
 * request one statement. See docs/adherence-api.md, "Cost". Figures the worker computes are
 * behind the records anyway: they are read from the read replica (docs/read-replica.md).
 */
@Injectable()
export class DashboardRepository {
  constructor(private readonly db: Db) {}

  /**
   * A row per week from the Monday `fromMonday` to `to` with patients, each with the
   * organization's eligibility and open alerts; that row alone, without a group, if none.
   */
  adherenceByWeek(
    organizationId: string,
    fromMonday: string,
    to: string,
    month: string,
  ): Promise<DashboardAdherenceRow[]> {
    return this.db.replicaRead((m) =>
      m.query<DashboardAdherenceRow[]>(BY_WEEK_SQL, [organizationId, fromMonday, to, month]),
    );
  }

  /** As adherenceByWeek, a row per currently assigned clinician, in name order. */
  adherenceByClinician(
    organizationId: string,
    fromMonday: string,
    to: string,
    month: string,
  ): Promise<DashboardAdherenceRow[]> {
    return this.db.replicaRead((m) =>
      m.query<DashboardAdherenceRow[]>(BY_CLINICIAN_SQL, [organizationId, fromMonday, to, month]),
    );
  }
}
