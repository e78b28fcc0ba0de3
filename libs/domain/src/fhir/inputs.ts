// What the FHIR mappers read: plain rows, as the FHIR repository returns them. Times are
// ISO-8601 strings in UTC (`2026-10-05T14:03:00.000Z`), local days `YYYY-MM-DD` in the
// patient's time zone. The mappers add nothing the rows do not hold.

import type { ExerciseFamily, DoseKind } from '../exercises';
import type { AlertSeverity, AlertStatus } from '../alerts';
import type { ProgressionFlagId } from '../adherence/types';
import type { Instrument } from '../outcomes';
import type { PainContext, PainSide, PainSite } from '../pain';
import type { Action, RuleId, Severity } from '../rules/types';

export interface FhirPatientRow {
  id: string;
  organizationId: string;
  /** The organization's own reference for the patient: the only identifier shown. */
  externalRef: string;
  clinicianId: string;
  timezone: string;
  updatedAt: string;
}

export interface FhirExerciseRow {
  code: string;
  name: string;
  family: ExerciseFamily;
  doseKind: DoseKind;
  instructions: string;
}

export interface FhirProgramItemRow {
  position: number;
  exerciseCode: string;
  sets: number | null;
  reps: number | null;
  repsGoal: number | null;
  holdSeconds: number | null;
  holdGoalSeconds: number | null;
  durationMinutes: number | null;
  timesPerDay: number | null;
  daysPerWeek: number | null;
}

/** One version of a prescription; a CarePlan, and a Goal when it has a walking goal. */
export interface FhirProgramRow {
  id: string;
  patientId: string;
  version: number;
  status: 'active' | 'paused' | 'suspended' | 'completed';
  statusReason: string | null;
  startDate: string;
  walkingGoalDailySteps: number | null;
  supersedesProgramId: string | null;
  /** Set once a newer version replaced this one. */
  supersededAt: string | null;
  createdAt: string;
  /**
   * Optional (added for meta.lastUpdated): when the version last changed, the latest of its
   * creation, status change and supersession. Without it CarePlan and Goal carry no lastUpdated.
   */
  updatedAt?: string;
  items: FhirProgramItemRow[];
}

/** A patient-local day's steps after merging sources (activity_daily). */
export interface FhirDailyStepsRow {
  patientId: string;
  localDate: string;
  /** The patient's time zone: the day's bounds as instants. */
  timezone: string;
  steps: number;
  updatedAt: string;
}

export interface FhirPainRow {
  id: string;
  patientId: string;
  reportedAt: string;
  localDate: string;
  intensity: number;
  mostDistalSite: PainSite;
  side: PainSide | null;
  context: PainContext;
  sessionId: string | null;
  createdAt: string;
}

export interface FhirQuestionnaireRow {
  id: string;
  patientId: string;
  instrument: Instrument;
  completedAt: string;
  /** As stored: `{ sections: (0–5 | null)[10] }` for the ODI; see outcomes.ts for the others. */
  answers: Record<string, unknown>;
  /** As stored: `{ score, answered }` for the ODI (score 0–100). */
  score: Record<string, unknown>;
  createdAt: string;
}

export interface FhirSessionItemRow {
  exerciseCode: string;
  sets?: number;
  reps?: number;
  holdSeconds?: number;
  durationMinutes?: number;
}

/** An exercise session the patient logged. */
export interface FhirSessionRow {
  id: string;
  patientId: string;
  programId: string | null;
  performedAt: string;
  localDate: string;
  durationMinutes: number | null;
  items: FhirSessionItemRow[];
  createdAt: string;
}

/** A progression flag currently raised for a patient (patient_progress.flags). */
export interface FhirProgressionFlagRow {
  patientId: string;
  flag: ProgressionFlagId;
  /** First local day of the state the flag describes. */
  since: string;
  /** When the worker last computed the patient's flags. */
  computedAt: string;
}

export interface FhirAlertRow {
  id: string;
  patientId: string;
  rule: RuleId;
  severity: AlertSeverity;
  status: AlertStatus;
  findingId: string;
  createdAt: string;
  updatedAt: string;
  resolvedAt: string | null;
}

/** A rule finding with what it was found on. */
export interface FhirFindingRow {
  id: string;
  patientId: string;
  rule: RuleId;
  severity: Severity;
  action: Action;
  painReportId: string | null;
  questionnaireId: string | null;
  sessionId: string | null;
  createdAt: string;
}
