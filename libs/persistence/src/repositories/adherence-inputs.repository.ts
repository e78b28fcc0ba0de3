import type {
  AdherenceProgramItem,
  DailySteps,
  DatedFinding,
  ExerciseFamily,
  FlagInput,
  LocalDay,
  LoggedSession,
  LoggedSessionItem,
  PainSite,
  ProgramHold,
  ReportedPain,
  RuleId,
  SessionDay,
  SessionExercises,
  Severity,
} from '@app/domain';
import { Injectable } from '@nestjs/common';
import { Db, type Executor } from '../db.service';

/** A patient with a current program, and the records the adherence functions read. */
export interface PatientAdherenceInput {
  readonly organizationId: string;
  readonly patientId: string;
  readonly timezone: string;
  readonly input: FlagInput;
}

export interface PatientRef {
  readonly organizationId: string;
  readonly patientId: string;
}

export interface LoadOptions {
  /**
   * Load as `sessions` only the newest `recentItems` sessions of each program item that can
   * progress (a hold or reps goal above its dose), with their doses, and every session of the
   * range as `sessionDays` (its exercise codes, from a covering index, no heap read). The flags
   * read doses only in such an item's last few sessions (settings.progressionSessions, for
   * HOLD/REPS_PROGRESSION_READY); everything else needs only which exercises a session held.
   */
  readonly recentItems?: number;
}

// The patients of a batch as a relation: every statement below joins it on the patient key, so
// each one is an index range scan per patient inside one statement, not one query per patient.
// $1/$2 the organization and patient ids; $3..$4 the local days of the range where there is one.
const BATCH = `(SELECT * FROM unnest($1::uuid[], $2::uuid[]) AS b(organization_id, patient_id))`;

/**
 * The program's holds as patient-local days (`pr` the program, `pa` the patient), oldest
 * first: the day each began and the day it ended (null while it lasts).
 */
const HOLDS = `(
  SELECT COALESCE(json_agg(json_build_object(
           'from', (h.started_at AT TIME ZONE pa.timezone)::date,
           'to', (h.ended_at AT TIME ZONE pa.timezone)::date) ORDER BY h.started_at), '[]')
  FROM program_holds h WHERE h.organization_id = pr.organization_id AND h.program_id = pr.id)`;

interface ProgramRow {
  organization_id: string;
  patient_id: string;
  timezone: string;
  program_id: string;
  start_date: string;
  walking_goal_daily_steps: number | null;
  rest_gap_days: number;
  holds: ProgramHold[];
}

const PROGRAMS_SQL = `
  SELECT pr.organization_id, pr.patient_id, pa.timezone, pr.id AS program_id, pr.start_date::text AS start_date,
         pr.walking_goal_daily_steps, pr.rest_gap_days, ${HOLDS} AS holds
  FROM ${BATCH} b
  JOIN patients pa ON pa.organization_id = b.organization_id AND pa.id = b.patient_id
  JOIN programs pr ON pr.organization_id = b.organization_id AND pr.patient_id = b.patient_id AND pr.superseded_at IS NULL`;

interface ItemRow {
  program_id: string;
  position: number;
  exercise_code: string;
  sets: number | null;
  reps: number | null;
  reps_goal: number | null;
  hold_seconds: number | null;
  hold_goal_seconds: number | null;
  times_per_day: number | null;
  days_per_week: number | null;
  family: ExerciseFamily;
}

/** $1/$2 the programs' organization and program ids. */
const ITEMS_SQL = `
  SELECT pi.program_id, pi.position, pi.exercise_code, pi.sets, pi.reps, pi.reps_goal, pi.hold_seconds,
         pi.hold_goal_seconds, pi.times_per_day, pi.days_per_week, e.family
  FROM unnest($1::uuid[], $2::uuid[]) AS b(organization_id, program_id)
  JOIN program_items pi ON pi.organization_id = b.organization_id AND pi.program_id = b.program_id
  JOIN exercises e ON e.code = pi.exercise_code
  ORDER BY pi.program_id, pi.position`;

interface SessionRow {
  patient_id: string;
  id: string;
  performed_ms: number;
  local_date: string;
  items: LoggedSessionItem[];
}

/** Every session of the range with its doses (one patient's page, a single flag computation). */
const SESSIONS_SQL = `
  SELECT s.patient_id, s.id, (extract(epoch FROM s.performed_at) * 1000)::float8 AS performed_ms,
         s.local_date::text AS local_date, s.items
  FROM ${BATCH} b
  JOIN sessions s ON s.organization_id = b.organization_id AND s.patient_id = b.patient_id
  WHERE s.local_date BETWEEN $3::date AND $4::date`;

/**
 * For each program item that can progress (a hold or a reps goal above its prescribed dose),
 * its newest $5 sessions of the range, with their doses: all the flags read doses from
 * (HOLD/REPS_PROGRESSION_READY, by time, then id, as they order them). The index holds the
 * codes, times and ids, so only the sessions chosen are read from the table.
 */
const RECENT_SESSIONS_SQL = `
  SELECT r.patient_id, s.id, (extract(epoch FROM s.performed_at) * 1000)::float8 AS performed_ms,
         s.local_date::text AS local_date, s.items
  FROM (
    SELECT DISTINCT b.organization_id, b.patient_id, t.id
    FROM ${BATCH} b
    JOIN programs pr ON pr.organization_id = b.organization_id AND pr.patient_id = b.patient_id
                    AND pr.superseded_at IS NULL
    JOIN program_items pi ON pi.organization_id = pr.organization_id AND pi.program_id = pr.id
                         AND (pi.hold_goal_seconds > pi.hold_seconds OR pi.reps_goal > pi.reps)
    CROSS JOIN LATERAL (
      SELECT s.id FROM sessions s
      WHERE s.organization_id = b.organization_id AND s.patient_id = b.patient_id
        AND s.local_date BETWEEN $3::date AND $4::date AND pi.exercise_code = ANY(s.exercise_codes)
      ORDER BY s.performed_at DESC, s.id DESC
      LIMIT $5
    ) t
  ) r
  JOIN sessions s ON s.organization_id = r.organization_id AND s.id = r.id`;

/**
 * Every session of the range as its exercise codes, by patient and day: one row per patient
 * holding `day=code,code;day=code;…`. Row by row (some 80 sessions per patient over the flags'
 * window) cost about twice the time in PostgreSQL and five times the driver's.
 */
const SESSION_DAYS_SQL = `
  SELECT b.patient_id,
         (SELECT string_agg(s.local_date::text || '=' || array_to_string(s.exercise_codes, ','), ';')
          FROM sessions s
          WHERE s.organization_id = b.organization_id AND s.patient_id = b.patient_id
            AND s.local_date BETWEEN $3::date AND $4::date) AS sessions
  FROM ${BATCH} b`;

interface PainRow {
  patient_id: string;
  id: string;
  local_date: string;
  most_distal_site: PainSite;
}

const PAINS_SQL = `
  SELECT r.patient_id, r.id, r.local_date::text AS local_date, r.most_distal_site
  FROM ${BATCH} b
  JOIN pain_reports r ON r.organization_id = b.organization_id AND r.patient_id = b.patient_id
  WHERE r.local_date BETWEEN $3::date AND $4::date`;

/**
 * A row per patient, its days as one string (`day=steps;…`): a row per patient-day (about 35
 * each in a full recompute) cost three times the time in PostgreSQL and seven in the driver.
 */
const STEPS_SQL = `
  SELECT b.patient_id,
         (SELECT string_agg(d.local_date::text || '=' || d.steps, ';')
          FROM activity_daily d
          WHERE d.organization_id = b.organization_id AND d.patient_id = b.patient_id
            AND d.local_date BETWEEN $3::date AND $4::date) AS days
  FROM ${BATCH} b`;

interface FindingRow {
  patient_id: string;
  local_date: string;
  severity: Severity;
}

/**
 * Only warning and urgent findings, dated by the local day of what they came from: a pain
 * report, or a questionnaire (DISABILITY_WORSENED).
 */
const FINDINGS_SQL = `
  SELECT f.patient_id, COALESCE(r.local_date, q.local_date)::text AS local_date, f.severity
  FROM ${BATCH} b
  JOIN findings f ON f.organization_id = b.organization_id AND f.patient_id = b.patient_id
  LEFT JOIN pain_reports r ON r.organization_id = f.organization_id AND r.id = f.pain_report_id
  LEFT JOIN questionnaires q ON q.organization_id = f.organization_id AND q.id = f.questionnaire_id
  WHERE COALESCE(r.local_date, q.local_date) BETWEEN $3::date AND $4::date
    AND f.severity IN ('warning', 'urgent')`;

interface OpenAlertRow {
  patient_id: string;
  rule: RuleId;
  severity: Severity;
}

const OPEN_ALERTS_SQL = `
  SELECT a.patient_id, a.rule, a.severity
  FROM ${BATCH} b
  JOIN alerts a ON a.organization_id = b.organization_id AND a.patient_id = b.patient_id
  WHERE a.status = 'open'`;

/**
 * The records the adherence functions of libs/domain read: each patient's current program and
 * the sessions, pain reports, daily steps, findings and open alerts of a range of local days,
 * for many patients at once (a statement per kind of record, whatever their number). Shared by
 * the worker's flags and the API's patient endpoint.
 */
@Injectable()
export class AdherenceInputsRepository {
  constructor(private readonly db: Db) {}

  /**
   * Each patient's current program and records of the local days `from`..`to`. Patients
   * without a current program are left out: nothing is prescribed to them. `on`: the open
   * transaction of the call chain, or the pool (or a caller's own transaction).
   */
  async load(
    patients: readonly PatientRef[],
    from: LocalDay,
    to: LocalDay,
    options: LoadOptions = {},
    on: Executor = this.db.current,
  ): Promise<PatientAdherenceInput[]> {
    if (patients.length === 0) return [];
    const batch = [patients.map((p) => p.organizationId), patients.map((p) => p.patientId)];
    const programs = await on.query<ProgramRow[]>(PROGRAMS_SQL, batch);
    if (programs.length === 0) return [];
    const range = [...batch, from, to];
    // Outside a transaction each statement takes its own pooled connection and they run side by
    // side; in one, they share its connection, which runs one at a time (and pg 9 will refuse
    // overlapping queries on one client), so they are awaited in turn.
    const light = options.recentItems !== undefined;
    const [items, sessions, sessionDays, pains, steps, findings, alerts] = await inTurnOrTogether(
      on,
      [
        () =>
          on.query<ItemRow[]>(ITEMS_SQL, [
            programs.map((p) => p.organization_id),
            programs.map((p) => p.program_id),
          ]),
        () =>
          options.recentItems === undefined
            ? on.query<SessionRow[]>(SESSIONS_SQL, range)
            : on.query<SessionRow[]>(RECENT_SESSIONS_SQL, [...range, options.recentItems]),
        () =>
          light ? loadSessionDays(on, range) : Promise.resolve(new Map<string, SessionDay[]>()),
        () => on.query<PainRow[]>(PAINS_SQL, range),
        () => loadSteps(on, range),
        () => on.query<FindingRow[]>(FINDINGS_SQL, range),
        () => on.query<OpenAlertRow[]>(OPEN_ALERTS_SQL, batch),
      ],
    );
    const itemsOf = groupBy(items, (i) => i.program_id);
    const sessionsOf = groupBy(sessions, (s) => s.patient_id);
    const painsOf = groupBy(pains, (p) => p.patient_id);
    const stepsOf = groupBy(steps, (s) => s.patient_id);
    const findingsOf = groupBy(findings, (f) => f.patient_id);
    const alertsOf = groupBy(alerts, (a) => a.patient_id);
    return programs.map((p) => ({
      organizationId: p.organization_id,
      patientId: p.patient_id,
      timezone: p.timezone,
      input: {
        program: {
          startDate: p.start_date,
          walkingGoalDailySteps: p.walking_goal_daily_steps,
          restGapDays: p.rest_gap_days,
          holds: p.holds,
          items: (itemsOf.get(p.program_id) ?? []).map((i): AdherenceProgramItem => ({
            position: i.position,
            exerciseCode: i.exercise_code,
            sets: i.sets,
            reps: i.reps,
            repsGoal: i.reps_goal,
            holdSeconds: i.hold_seconds,
            holdGoalSeconds: i.hold_goal_seconds,
            timesPerDay: i.times_per_day,
            daysPerWeek: i.days_per_week,
            family: i.family,
          })),
        },
        sessions: (sessionsOf.get(p.patient_id) ?? []).map((s): LoggedSession => ({
          id: s.id,
          performedAt: new Date(s.performed_ms),
          localDate: s.local_date,
          items: s.items,
        })),
        ...(light ? { sessionDays: sessionDays.get(p.patient_id) ?? [] } : {}),
        painReports: (painsOf.get(p.patient_id) ?? []).map((r): ReportedPain => ({
          id: r.id,
          localDate: r.local_date,
          mostDistalSite: r.most_distal_site,
        })),
        dailySteps: (stepsOf.get(p.patient_id) ?? []).map((d): DailySteps => ({
          localDate: d.local_date,
          steps: d.steps,
        })),
        findings: (findingsOf.get(p.patient_id) ?? []).map((f): DatedFinding => ({
          localDate: f.local_date,
          severity: f.severity,
        })),
        openAlerts: (alertsOf.get(p.patient_id) ?? []).map(({ rule, severity }) => ({
          rule,
          severity,
        })),
      },
    }));
  }
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = groups.get(k);
    if (list) list.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}

async function loadSteps(
  on: Executor,
  range: unknown[],
): Promise<{ patient_id: string; local_date: string; steps: number }[]> {
  const rows = await on.query<{ patient_id: string; days: string | null }[]>(STEPS_SQL, range);
  return rows.flatMap(({ patient_id, days }) =>
    days === null
      ? []
      : days.split(';').map((day) => ({
          patient_id,
          local_date: day.slice(0, 10),
          steps: Number(day.slice(11)),
        })),
  );
}

async function loadSessionDays(on: Executor, range: unknown[]): Promise<Map<string, SessionDay[]>> {
  const rows = await on.query<{ patient_id: string; sessions: string | null }[]>(
    SESSION_DAYS_SQL,
    range,
  );
  const byPatient = new Map<string, SessionDay[]>();
  // Sessions hold a handful of different exercise lists between them: each list is made once
  // and shared (read-only), which spares the garbage collector a pair of objects per session.
  const lists = new Map<string, SessionExercises>();
  for (const row of rows) {
    if (row.sessions === null) continue;
    const days = new Map<string, SessionExercises[]>();
    for (const session of row.sessions.split(';')) {
      const day = session.slice(0, 10);
      const codes = session.slice(11);
      let exercises = lists.get(codes);
      if (!exercises) {
        exercises = { exerciseCodes: codes === '' ? [] : codes.split(',') };
        lists.set(codes, exercises);
      }
      const list = days.get(day);
      if (list) list.push(exercises);
      else days.set(day, [exercises]);
    }
    byPatient.set(
      row.patient_id,
      [...days].map(([localDate, sessions]) => ({ localDate, sessions })),
    );
  }
  return byPatient;
}

/** Runs the thunks together, or one after the other inside a transaction (see above). */
async function inTurnOrTogether<T extends unknown[]>(
  on: Executor,
  work: { [K in keyof T]: () => Promise<T[K]> },
): Promise<T> {
  if (!on.queryRunner?.isTransactionActive)
    return (await Promise.all(work.map((run) => run()))) as T;
  const results: unknown[] = [];
  for (const run of work) results.push(await run());
  return results as T;
}
