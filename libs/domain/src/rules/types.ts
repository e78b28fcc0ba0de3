import type { PainContext, PainSide, PainSite } from '../pain';
import type { RedFlagAnswers } from '../red-flags';

export const RULE_IDS = [
  'RED_FLAG_CAUDA_EQUINA',
  'RED_FLAG_MOTOR',
  'RED_FLAG_SYSTEMIC',
  'PERIPHERALIZATION',
  'NEW_LEG_PAIN',
  'LEG_PAIN_WORSE',
  'PERSISTENT_FLARE',
  'PAIN_TREND_WORSE',
  'PERSISTENT_SYMPTOMS',
  'INCREASED_PAIN_AFTER_EXERCISE',
  'CENTRALIZING',
  // Outcome questionnaires (clinical-rules §6): a meaningful change against the first.
  'FUNCTION_IMPROVED',
  'FUNCTION_WORSENED',
  'DISABILITY_IMPROVED',
  'DISABILITY_WORSENED',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

/** `positive` is a good sign (centralizing), never an alert. */
export const SEVERITIES = ['urgent', 'warning', 'info', 'positive'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What the app should tell the patient to do now. */
export const ACTIONS = [
  'seek_urgent_care',
  'stop_all_exercises',
  'pause_exercises',
  'contact_clinician',
  'review_with_clinician',
  'consider_specialist_review',
  'continue',
] as const;
export type Action = (typeof ACTIONS)[number];

/** What the rules change in the program by themselves: nothing else, ever. */
export type ProgramEffect = 'pause' | 'suspend' | null;

/** A pain report as the rules see it. Instants are absolute: offsets do not matter here. */
export interface PainObservation {
  readonly id: string;
  readonly reportedAt: Date;
  readonly intensity: number;
  readonly mostDistalSite: PainSite;
  readonly side: PainSide | null;
  readonly context: PainContext;
  /** The session this report was given with (before/after), if any. */
  readonly sessionId: string | null;
  readonly redFlags: RedFlagAnswers | null;
}

export interface BaselinePain {
  readonly intensity: number;
  readonly mostDistalSite: PainSite;
  readonly side?: PainSide | null;
}

export interface PatientContext {
  /** The pain recorded when the patient was enrolled, if any. */
  readonly baselinePain: BaselinePain | null;
  /** `YYYY-MM-DD`, the day symptoms began, if known. */
  readonly symptomOnsetDate: string | null;
  /** The patient's IANA time zone: the local days of the trend and of the months since onset. */
  readonly timezone: string;
  /**
   * The patient's first and latest ODI questionnaires (0–100, lower is better), if any; read
   * only for a patient with a known onset (PERSISTENT_SYMPTOMS), else absent.
   */
  readonly odi?: { readonly first: number; readonly latest: number } | null;
}

/** The thresholds clinical-rules marks *(configurable)*; organizations may override them. */
export interface RuleSettings {
  /** LEG_PAIN_WORSE: rise of leg/buttock pain after a session, NPRS points (MCID). */
  readonly legPainWorseDelta: number;
  /** PERSISTENT_FLARE: rise after the session and still the next day, NPRS points. */
  readonly flareDelta: number;
  /** PERSISTENT_FLARE: the next-day report counts from this many hours after the session… */
  readonly flareNextDayMinHours: number;
  /** …up to this many hours (both ends included). */
  readonly flareNextDayMaxHours: number;
  /** PAIN_TREND_WORSE: 7-day mean above baseline by this many points. */
  readonly painTrendDelta: number;
  readonly painTrendWindowDays: number;
  /** PERSISTENT_SYMPTOMS: months since onset, and the improvement that counts as recovery. */
  readonly persistentSymptomsMonths: number;
  readonly persistentImprovementPercent: number;
}

export const DEFAULT_RULE_SETTINGS: RuleSettings = {
  legPainWorseDelta: 2,
  flareDelta: 2,
  flareNextDayMinHours: 12,
  flareNextDayMaxHours: 36,
  painTrendDelta: 2,
  painTrendWindowDays: 7,
  persistentSymptomsMonths: 4,
  persistentImprovementPercent: 30,
};

export interface Finding {
  readonly rule: RuleId;
  readonly severity: Severity;
  readonly action: Action;
  readonly programEffect: ProgramEffect;
  /** The report the finding was concluded from (the newest one involved). */
  readonly reportId: string;
  /** Which reports and which values triggered it. */
  readonly evidence: Readonly<Record<string, unknown>>;
}

export interface PainRuleInput {
  readonly patient: PatientContext;
  /** The reports written now (one pain report, or a session's before/after pair). */
  readonly newReports: readonly PainObservation[];
  /** Earlier reports of the patient (any order; at least the last few weeks). */
  readonly history: readonly PainObservation[];
}
