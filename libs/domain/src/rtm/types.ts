import type { LocalDay } from '../adherence/types';

/**
 * Remote therapeutic monitoring (RTM), the 2026 CPT codes (docs/rtm.md has the rules and their
 * sources): set-up once per episode, device supply per 30-day period, treatment management per
 * calendar month in the patient's time zone.
 */
export type RtmCode = '98975' | '98977' | '98985' | '98979' | '98980' | '98981';

/** A calendar month, `YYYY-MM`. */
export type RtmMonth = string;

export type CareTimeKind = 'data_review' | 'program_change' | 'call' | 'video' | 'message';

/** One entry of the care-time log, as the ledger reads it. */
export interface CareTimeEntry {
  readonly id: string;
  readonly clinicianId: string;
  readonly startedAt: Date;
  readonly minutes: number;
  /** A real-time interactive communication with the patient (a call or video, not a message). */
  readonly interactive: boolean;
  readonly kind: CareTimeKind;
  /** Voided entries stay in the log and count for nothing. */
  readonly voided: boolean;
  /**
   * The patient's local day of `startedAt` as stored when it was logged; without it, the day
   * in `RtmLedgerInput.timezone`.
   */
  readonly localDate?: LocalDay;
}

/** A monitoring episode: its periods start on `startDate` and run 30 days each, until it ends. */
export interface RtmEpisode {
  readonly id: string;
  readonly startDate: LocalDay;
  /** The last day monitored (inclusive); null while the episode is open. */
  readonly endDate: LocalDay | null;
}

export interface RtmLedgerInput {
  readonly month: RtmMonth;
  readonly timezone: string;
  /** The patient's local today: what is still missing is reckoned from it. */
  readonly today: LocalDay;
  /** The patient's episodes that overlap the month, oldest first. */
  readonly episodes: readonly RtmEpisode[];
  /**
   * The patient's data days (local dates with data, as the organization counts them: any record
   * or sample, or exercise sessions only), at least those of every period of `episodes` that
   * overlaps the month; any order, duplicates allowed.
   */
  readonly dataDays: readonly LocalDay[];
  /** Care-time entries whose start falls in the month (local), voided ones included. */
  readonly careTime: readonly CareTimeEntry[];
}

/** A 30-day device-supply period of an episode (days counted in the patient's time zone). */
export interface DevicePeriodLedger {
  readonly episodeId: string;
  /** 0 for the period that starts on the episode's first day. */
  readonly index: number;
  readonly from: LocalDay;
  /** Inclusive: `from` + 29 days, or the episode's end if earlier. */
  readonly to: LocalDay;
  readonly dataDays: readonly LocalDay[];
  /** 98977 with 16–30 data days, 98985 with 2–15, none below 2. */
  readonly code: '98977' | '98985' | null;
  /** Date of service when billable: the period's last day (once it is over). */
  readonly dateOfService: LocalDay | null;
  /** True when the period has ended (or the episode ended) and its code is final. */
  readonly closed: boolean;
  /** What is still missing for the next code, and by when; null when nothing more can be had. */
  readonly missing: RtmShortfall | null;
}

export interface RtmShortfall {
  readonly code: RtmCode;
  /** `data_days`, `minutes` or `interactive_contact`. */
  readonly kind: 'data_days' | 'minutes' | 'interactive_contact';
  /** How many more (data days, minutes); 1 for an interactive contact. */
  readonly needed: number;
  /** The last day it can still be reached. */
  readonly by: LocalDay;
  /** Whether there is still time to reach it (`needed` ≤ the days left, for data days). */
  readonly reachable: boolean;
  /** Human-readable, e.g. `needs 3 more data days by 2026-12-14`. */
  readonly text: string;
}

export interface TreatmentLedger {
  readonly month: RtmMonth;
  /** Minutes of non-voided entries started in the month, per clinician. */
  readonly minutesByClinician: readonly { clinicianId: string; minutes: number }[];
  readonly totalMinutes: number;
  readonly interactiveContacts: readonly {
    id: string;
    startedAt: Date;
    kind: CareTimeKind;
    minutes: number;
  }[];
  /** 98979 (10–19 min) or 98980 (20+) plus 98981 × each further full 20 min; none without an interactive contact. */
  readonly codes: readonly { code: '98979' | '98980' | '98981'; units: number }[];
  /** Date of service for the month's codes: the month's last day, once it is over (else null). */
  readonly dateOfService: LocalDay | null;
  readonly missing: readonly RtmShortfall[];
}

export interface SetupLedger {
  readonly episodeId: string;
  readonly code: '98975';
  readonly met: boolean;
  /** The day it was met (the first period's second data day); billed in that day's month. */
  readonly dateOfService: LocalDay | null;
  readonly missing: RtmShortfall | null;
}

export interface RtmLedger {
  readonly month: RtmMonth;
  readonly setup: readonly SetupLedger[];
  readonly devicePeriods: readonly DevicePeriodLedger[];
  readonly treatment: TreatmentLedger;
}

/** One billable line: a patient's code with its dates of service and units. */
export interface RtmClaimLine {
  readonly code: RtmCode;
  readonly units: number;
  readonly dateOfService: LocalDay;
  /** Period or month it covers. */
  readonly from: LocalDay;
  readonly to: LocalDay;
  readonly evidence: Record<string, unknown>;
}
