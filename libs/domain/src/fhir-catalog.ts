// The FHIR face's resource types and where each comes from: the one table of which rows make
// which resources, read by the API (read, search, $everything) and the worker (Bulk Data).

import type { Resource } from '@medplum/fhirtypes';
import type { Scope } from './access';
import {
  alertFlag,
  carePlanResource,
  dailyStepsObservation,
  findingDetectedIssue,
  odiObservation,
  painObservation,
  patientResource,
  progressionFlag,
  questionnaireResponse,
  sessionProcedure,
  walkingGoalResource,
} from './fhir';
import type {
  FhirAlertRow,
  FhirDailyStepsRow,
  FhirExerciseRow,
  FhirFindingRow,
  FhirPainRow,
  FhirPatientRow,
  FhirProgramRow,
  FhirProgressionFlagRow,
  FhirQuestionnaireRow,
  FhirSessionRow,
} from './fhir/inputs';

/** A kind of row that makes resources: a table, or a filtered view of one. */
export type FhirSource =
  | 'patient'
  | 'program'
  | 'goal'
  | 'steps'
  | 'pain'
  | 'questionnaire'
  | 'odi'
  | 'session'
  | 'progressionFlag'
  | 'alert'
  | 'finding';

export interface FhirSourceRows {
  patient: FhirPatientRow;
  program: FhirProgramRow;
  goal: FhirProgramRow;
  steps: FhirDailyStepsRow;
  pain: FhirPainRow;
  questionnaire: FhirQuestionnaireRow;
  odi: FhirQuestionnaireRow;
  session: FhirSessionRow;
  progressionFlag: FhirProgressionFlagRow;
  alert: FhirAlertRow;
  finding: FhirFindingRow;
}

/** The patient-data resource types served, and the sources of each, in the order they page. */
export const FHIR_TYPE_SOURCES = {
  Patient: ['patient'],
  CarePlan: ['program'],
  Goal: ['goal'],
  Observation: ['steps', 'pain', 'odi'],
  QuestionnaireResponse: ['questionnaire'],
  Procedure: ['session'],
  Flag: ['progressionFlag', 'alert'],
  DetectedIssue: ['finding'],
} as const satisfies Record<string, readonly FhirSource[]>;

export type FhirPatientDataType = keyof typeof FHIR_TYPE_SOURCES;
export const FHIR_PATIENT_DATA_TYPES = Object.keys(FHIR_TYPE_SOURCES) as FhirPatientDataType[];

/**
 * The scope a key needs to read each source, as the /v1 routes of the same records ask it
 * (every FHIR route also asks `records:read`): patients, programs, alerts and the findings
 * behind them.
 */
export const FHIR_SOURCE_SCOPES: Readonly<Record<FhirSource, Scope>> = {
  patient: 'patients:read',
  program: 'programs:read',
  goal: 'programs:read',
  steps: 'records:read',
  pain: 'records:read',
  questionnaire: 'records:read',
  odi: 'records:read',
  session: 'records:read',
  progressionFlag: 'records:read',
  alert: 'alerts:read',
  finding: 'alerts:read',
};

/** The sources of `sources` a key holding `scopes` may read. */
export function readableSources(
  scopes: readonly string[],
  sources: readonly FhirSource[],
): FhirSource[] {
  return sources.filter((s) => scopes.includes(FHIR_SOURCE_SCOPES[s]));
}

/** The catalog names the mappers show for exercise codes. */
export type ExerciseCatalog = ReadonlyMap<string, FhirExerciseRow>;

/** The exercise catalog (the exercises table's rows) by code, as the mappers read it. */
export function exerciseCatalog(rows: readonly FhirExerciseRow[]): ExerciseCatalog {
  return new Map(rows.map((e) => [e.code, e]));
}

/** The resource a source's row makes (null for the rare row that makes none). */
export function fhirResourceOf<S extends FhirSource>(
  source: S,
  row: FhirSourceRows[S],
  exercises: ExerciseCatalog,
): Resource | null {
  const catalog = exercises as Map<string, FhirExerciseRow>;
  switch (source) {
    case 'patient':
      return patientResource(row as FhirPatientRow);
    case 'program':
      return carePlanResource(row as FhirProgramRow, catalog);
    case 'goal':
      return walkingGoalResource(row as FhirProgramRow);
    case 'steps':
      return dailyStepsObservation(row as FhirDailyStepsRow);
    case 'pain':
      return painObservation(row as FhirPainRow);
    case 'questionnaire':
      return questionnaireResponse(row as FhirQuestionnaireRow);
    case 'odi':
      return odiObservation(row as FhirQuestionnaireRow);
    case 'session':
      return sessionProcedure(row as FhirSessionRow, catalog);
    case 'progressionFlag':
      return progressionFlag(row as FhirProgressionFlagRow);
    case 'alert':
      return alertFlag(row as FhirAlertRow);
    case 'finding':
      return findingDetectedIssue(row as FhirFindingRow);
  }
  return null;
}
