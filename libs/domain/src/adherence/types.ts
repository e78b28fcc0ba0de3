import type { ExerciseFamily } from '../exercises';
import type { PainSite } from '../pain';
import type { ResolvedProgramItem } from '../program-items';
import type { RuleId, Severity } from '../rules/types';

/** A patient-local calendar day, `YYYY-MM-DD`, computed by the caller in the patient's zone. */
export type LocalDay = string;

/** Local days from `from` to `to`, both included. */
export interface DayRange {
  readonly from: LocalDay;
  readonly to: LocalDay;
}

/** A program item as adherence sees it: the resolved dose plus the catalog's family. */
export interface AdherenceProgramItem extends Readonly<
  Pick<
    ResolvedProgramItem,
    | 'position'
    | 'exerciseCode'
    | 'sets'
    | 'reps'
    | 'repsGoal'
    | 'holdSeconds'
    | 'holdGoalSeconds'
    | 'timesPerDay'
    | 'daysPerWeek'
  >
> {
  readonly family: ExerciseFamily;
}

export interface AdherenceProgram {
  /** The first local day the program applies: nothing before it is a rest or a data gap. */
  readonly startDate: LocalDay;
  readonly walkingGoalDailySteps: number | null;
  /** REST_GAP_EXCEEDED threshold for this program; the settings' default when absent. */
  readonly restGapDays?: number | null;
  readonly items: readonly AdherenceProgramItem[];
  /** When the rules paused or suspended the program (none when absent); see ProgramHold. */
  readonly holds?: readonly ProgramHold[];
}

/**
 * Local days on which the program was on hold (paused or suspended by the rules) for some or
 * all of the day: `from` the day the hold began, `to` the day it was lifted, or null while it
 * lasts. Nothing is prescribed on such a day, and a rest gap does not run through it: the
 * patient was told to stop.
 */
export interface ProgramHold {
  readonly from: LocalDay;
  readonly to: LocalDay | null;
}

/** What the patient logged for one exercise in a session (fields the app did not send are absent). */
export interface LoggedSessionItem {
  readonly exerciseCode: string;
  readonly sets?: number | null;
  readonly reps?: number | null;
  readonly holdSeconds?: number | null;
  readonly durationMinutes?: number | null;
}

export interface LoggedSession {
  readonly id: string;
  /** Orders the sessions: "the last 3 sessions" of an item. */
  readonly performedAt: Date;
  readonly localDate: LocalDay;
  readonly items: readonly LoggedSessionItem[];
}

export interface ReportedPain {
  readonly id: string;
  readonly localDate: LocalDay;
  readonly mostDistalSite: PainSite;
}

/** A day's device data merged across sources; a row means the devices reported that day. */
export interface DailySteps {
  readonly localDate: LocalDay;
  readonly steps: number;
}

/** A rule finding placed on the patient-local day of the report it came from. */
export interface DatedFinding {
  readonly localDate: LocalDay;
  readonly severity: Severity;
}

/** An alert not yet acknowledged or resolved. */
export interface OpenAlert {
  readonly rule: RuleId;
  readonly severity: Severity;
}

/** What the day questions (rounds, days an exercise was done, activity) need of a session. */
export interface SessionExercises {
  readonly exerciseCodes: readonly string[];
}

/** The sessions of one local day, as the exercises each logged. */
export interface SessionDay {
  readonly localDate: LocalDay;
  readonly sessions: readonly SessionExercises[];
}

export interface AdherenceInput {
  readonly program: AdherenceProgram;
  /**
   * The logged sessions. With `sessionDays` given, these need only be, for each program item,
   * its newest sessions (at least `progressionSessions` of those up to the evaluated day) with
   * their doses: the day questions then read `sessionDays` instead.
   */
  readonly sessions: readonly LoggedSession[];
  /**
   * Every session of the period reduced to its exercises, by day: a cheaper form of the same
   * facts for a batch of thousands of patients (one row per patient from the database).
   */
  readonly sessionDays?: readonly SessionDay[];
  readonly painReports: readonly ReportedPain[];
  readonly dailySteps: readonly DailySteps[];
}

export interface FlagInput extends AdherenceInput {
  readonly findings: readonly DatedFinding[];
  readonly openAlerts: readonly OpenAlert[];
}

/** The thresholds clinical-rules §4–§5 mark *(configurable)*, and the windows this code chose. */
export interface AdherenceSettings {
  /** Active day: steps at or above this share of the walking goal, in %. */
  readonly activeDayStepPercent: number;
  /** REST_GAP_EXCEEDED: more than this many inactive days (a program may override it). */
  readonly restGapDays: number;
  readonly holdIncrementSeconds: number;
  readonly repsIncrement: number;
  /** HOLD/REPS_PROGRESSION_READY: the last N sessions with the item, on at least M local days. */
  readonly progressionSessions: number;
  readonly progressionMinDays: number;
  /** READY_FOR_STRENGTHENING: distinct report days that must all be centralized. */
  readonly centralizedReportDays: number;
  /** WALKING_GOAL_PROGRESSION: goal met on `walkingMetDays` of the last `walkingWindowDays`. */
  readonly walkingWindowDays: number;
  readonly walkingMetDays: number;
  readonly walkingIncreasePercent: number;
  /** LOW_ACTIVITY: steps below this share of the baseline, in %, for this many days. */
  readonly lowActivityPercent: number;
  readonly lowActivityDays: number;
  /** LOW_ACTIVITY baseline: mean of this many device-data days, found within the lookback. */
  readonly baselineDataDays: number;
  readonly baselineLookbackDays: number;
  /** PROGRAM_DOSE_MET: weeks in a row with the item done on at least this many days. */
  readonly doseMetDaysPerWeek: number;
  readonly doseMetWeeks: number;
  /** DATA_GAP: this many days or more without data of any kind. */
  readonly dataGapDays: number;
}

export const DEFAULT_ADHERENCE_SETTINGS: AdherenceSettings = {
  activeDayStepPercent: 50,
  restGapDays: 2,
  holdIncrementSeconds: 5,
  repsIncrement: 1,
  progressionSessions: 3,
  progressionMinDays: 2,
  centralizedReportDays: 3,
  walkingWindowDays: 7,
  walkingMetDays: 5,
  walkingIncreasePercent: 10,
  lowActivityPercent: 50,
  lowActivityDays: 3,
  baselineDataDays: 14,
  baselineLookbackDays: 28,
  doseMetDaysPerWeek: 2,
  doseMetWeeks: 4,
  dataGapDays: 3,
};

/** Completed over prescribed, each already capped; `ratio` is null when nothing was prescribed. */
export interface Adherence {
  readonly completed: number;
  readonly prescribed: number;
  readonly ratio: number | null;
}

export interface WeeklyItemAdherence extends Adherence {
  readonly position: number;
  readonly exerciseCode: string;
}

export interface WalkingAdherence {
  readonly goalSteps: number;
  readonly daysMet: number;
  readonly days: number;
  readonly ratio: number;
}

/** A Monday–Sunday week and the days of it that count (see weeksOf). */
export interface CountedWeek {
  /** The Monday. */
  readonly weekStart: LocalDay;
  readonly counted: DayRange;
}

/** A week's figures over its counted days (all seven unless the week was cut). */
export interface WeeklyFigures {
  readonly weekStart: LocalDay;
  readonly weekEnd: LocalDay;
  /** Daily rounds and weekly items together: a weekly item done on a day is one session. */
  readonly exercise: Adherence;
  readonly dailySessions: Adherence;
  readonly weeklyItems: readonly WeeklyItemAdherence[];
  /** Null when the program has no walking goal. */
  readonly walking: WalkingAdherence | null;
  readonly activeDays: number;
  readonly dataDays: number;
}

export interface CountedWeekFigures extends CountedWeek {
  readonly figures: WeeklyFigures;
}

/** A run of consecutive local days none of which was active. */
export interface RestGap {
  readonly from: LocalDay;
  readonly to: LocalDay;
  readonly days: number;
  /** Days of the run without data of any kind: not known to be rest. */
  readonly daysWithoutData: number;
}

/** CPT codes for remote therapeutic monitoring by data days in a 30-day period. */
export type RemoteMonitoringCode = '98977' | '98985';

export interface RemoteMonitoringEligibility {
  readonly from: LocalDay;
  readonly to: LocalDay;
  readonly dataDays: number;
  readonly code: RemoteMonitoringCode | null;
}

export const PROGRESSION_FLAGS = [
  'REST_GAP_EXCEEDED',
  'HOLD_PROGRESSION_READY',
  'REPS_PROGRESSION_READY',
  'READY_FOR_STRENGTHENING',
  'WALKING_GOAL_PROGRESSION',
  'LOW_ACTIVITY',
  'PROGRAM_DOSE_MET',
  'DATA_GAP',
] as const;
export type ProgressionFlagId = (typeof PROGRESSION_FLAGS)[number];

/** A suggestion for the clinician and the app; it never changes the prescription. */
export interface ProgressionFlag {
  readonly flag: ProgressionFlagId;
  /** The first local day of the state the flag describes. */
  readonly since: LocalDay;
  readonly evidence: Readonly<Record<string, unknown>>;
}
