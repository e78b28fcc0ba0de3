// Canonical URLs, code systems and the external codes the FHIR face uses. Every external code
// here was looked up in its source (HL7 Physical Activity IG 1.0.0, FHIR R4, LOINC, SNOMED CT
// through published FHIR value sets); docs/fhir.md lists the sources.

import type { Coding, CodeableConcept } from '@medplum/fhirtypes';
import type { AlertSeverity, AlertStatus } from '../alerts';
import type { ProgressionFlagId } from '../adherence/types';
import type { Instrument } from '../outcomes';
import type { PainContext, PainSide, PainSite } from '../pain';
import type { Action, RuleId, Severity } from '../rules/types';

// ---- our own canonical base ---------------------------------------------------------------

export const FHIR_CANONICAL_BASE = 'https://fhir.sciatrack.example';

export const EXERCISE_CODE_SYSTEM_URL = `${FHIR_CANONICAL_BASE}/CodeSystem/exercise`;
export const PROGRESSION_FLAG_CODE_SYSTEM_URL = `${FHIR_CANONICAL_BASE}/CodeSystem/progression-flag`;
export const RULE_CODE_SYSTEM_URL = `${FHIR_CANONICAL_BASE}/CodeSystem/rule`;
export const SEVERITY_CODE_SYSTEM_URL = `${FHIR_CANONICAL_BASE}/CodeSystem/severity`;
export const ALERT_STATUS_CODE_SYSTEM_URL = `${FHIR_CANONICAL_BASE}/CodeSystem/alert-status`;
export const PAIN_SITE_CODE_SYSTEM_URL = `${FHIR_CANONICAL_BASE}/CodeSystem/pain-site`;
export const PAIN_CONTEXT_CODE_SYSTEM_URL = `${FHIR_CANONICAL_BASE}/CodeSystem/pain-context`;
/** Codes for Observation.component and similar "what is this value" slots of our own. */
export const OBSERVATION_COMPONENT_CODE_SYSTEM_URL = `${FHIR_CANONICAL_BASE}/CodeSystem/observation-component`;
/** STarT Back answer levels (item 9) and strata. */
export const STARTBACK_CODE_SYSTEM_URL = `${FHIR_CANONICAL_BASE}/CodeSystem/startback`;

/** Our Questionnaire canonical per instrument (QuestionnaireResponse.questionnaire). */
export function questionnaireCanonical(instrument: Instrument): string {
  return `${FHIR_CANONICAL_BASE}/Questionnaire/${instrument}`;
}

/** The patient-reference identifier system of an organization (Patient.identifier.system). */
export function patientRefSystem(organizationId: string): string {
  return `${FHIR_CANONICAL_BASE}/organization/${organizationId}/patient-ref`;
}

// Extensions of our own (no StructureDefinition is served; docs/fhir.md describes them).
export const LATERALITY_EXTENSION_URL = `${FHIR_CANONICAL_BASE}/StructureDefinition/body-site-laterality`;
export const EXERCISE_DOSE_EXTENSION_URL = `${FHIR_CANONICAL_BASE}/StructureDefinition/exercise-dose`;
export const SESSION_EXERCISE_EXTENSION_URL = `${FHIR_CANONICAL_BASE}/StructureDefinition/session-exercise`;

// ---- external code systems ----------------------------------------------------------------

export const LOINC_URL = 'http://loinc.org';
export const SNOMED_URL = 'http://snomed.info/sct';
export const UCUM_URL = 'http://unitsofmeasure.org';
export const OBSERVATION_CATEGORY_URL =
  'http://terminology.hl7.org/CodeSystem/observation-category';
export const FLAG_CATEGORY_URL = 'http://terminology.hl7.org/CodeSystem/flag-category';
export const FLAG_PRIORITY_URL = 'http://hl7.org/fhir/flag-priority-code';
export const US_CORE_CAREPLAN_CATEGORY_URL =
  'http://hl7.org/fhir/us/core/CodeSystem/careplan-category';

// FHIR R4 core extensions (hl7.org/fhir/R4/extension-flag-priority.html, -flag-detail.html).
export const FLAG_PRIORITY_EXTENSION_URL = 'http://hl7.org/fhir/StructureDefinition/flag-priority';
export const FLAG_DETAIL_EXTENSION_URL = 'http://hl7.org/fhir/StructureDefinition/flag-detail';

/** HL7 Physical Activity IG (hl7.fhir.us.physical-activity) STU1, 1.0.0. */
export const PA_IG = {
  version: '1.0.0',
  temporaryCodesUrl: 'http://hl7.org/fhir/us/physical-activity/CodeSystem/pa-temporary-codes',
  profiles: {
    /** Daily steps: LOINC 41950-7 is in its PA Observation Time-related codes value set. */
    timeMeasure:
      'http://hl7.org/fhir/us/physical-activity/StructureDefinition/pa-observation-time-measure',
    carePlan: 'http://hl7.org/fhir/us/physical-activity/StructureDefinition/pa-careplan',
    goal: 'http://hl7.org/fhir/us/physical-activity/StructureDefinition/pa-goal',
  },
} as const;

export const BULK_DATA_CAPABILITY_URL =
  'http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data';

// ---- codings ------------------------------------------------------------------------------

export const PA_CATEGORY: CodeableConcept = {
  coding: [
    { system: PA_IG.temporaryCodesUrl, code: 'PhysicalActivity', display: 'Physical Activity' },
  ],
};
export const ACTIVITY_CATEGORY: CodeableConcept = {
  coding: [{ system: OBSERVATION_CATEGORY_URL, code: 'activity', display: 'Activity' }],
};
export const SURVEY_CATEGORY: CodeableConcept = {
  coding: [{ system: OBSERVATION_CATEGORY_URL, code: 'survey', display: 'Survey' }],
};
export const CLINICAL_FLAG_CATEGORY: CodeableConcept = {
  coding: [{ system: FLAG_CATEGORY_URL, code: 'clinical', display: 'Clinical' }],
};
/** US Core CarePlan's required category (PA IG examples pair it with PhysicalActivity). */
export const ASSESS_PLAN_CATEGORY: CodeableConcept = {
  coding: [{ system: US_CORE_CAREPLAN_CATEGORY_URL, code: 'assess-plan' }],
};

export const LOINC_DAILY_STEPS: Coding = {
  system: LOINC_URL,
  code: '41950-7',
  display: 'Number of steps in 24 hour Measured',
};
export const LOINC_PAIN_SEVERITY: Coding = {
  system: LOINC_URL,
  code: '72514-3',
  display: 'Pain severity - 0-10 verbal numeric rating [Score] - Reported',
};
export const LOINC_ODI_SCORE: Coding = {
  system: LOINC_URL,
  code: '97909-6',
  display: 'Oswestry disability index score ODI',
};
export const SNOMED_EXERCISE_THERAPY: Coding = {
  system: SNOMED_URL,
  code: '229065009',
  display: 'Exercise therapy (regime/therapy)',
};

/** UCUM units as written in resources: `unit` is for people, `code` for machines. */
export const UNITS = {
  stepsPerDay: { unit: 'steps per day', system: UCUM_URL, code: '/d' },
  score: { unit: '{score}', system: UCUM_URL, code: '{score}' },
  percent: { unit: '%', system: UCUM_URL, code: '%' },
  repetitions: { unit: 'repetitions', system: UCUM_URL, code: '{repetitions}' },
} as const;

/** SNOMED CT body structures for our pain sites (`none` has no site). */
export const PAIN_SITE_SNOMED: Record<Exclude<PainSite, 'none'>, Coding> = {
  low_back: { system: SNOMED_URL, code: '37822005', display: 'Lower back structure' },
  buttock: { system: SNOMED_URL, code: '46862004', display: 'Buttock structure' },
  thigh: { system: SNOMED_URL, code: '68367000', display: 'Thigh structure' },
  calf: { system: SNOMED_URL, code: '53840002', display: 'Structure of calf of leg' },
  foot: { system: SNOMED_URL, code: '56459004', display: 'Foot structure' },
};

/** SNOMED CT laterality qualifiers (FHIR value set bodystructure-laterality). */
export const SIDE_SNOMED: Record<PainSide, Coding> = {
  left: { system: SNOMED_URL, code: '7771000', display: 'Left' },
  right: { system: SNOMED_URL, code: '24028007', display: 'Right' },
  both: { system: SNOMED_URL, code: '51440002', display: 'Right and left' },
};

// ---- our own displays (our words) ---------------------------------------------------------

export const PAIN_SITE_DISPLAY: Record<PainSite, string> = {
  none: 'No pain',
  low_back: 'Low back',
  buttock: 'Buttock',
  thigh: 'Thigh',
  calf: 'Calf',
  foot: 'Foot',
};

export const PAIN_SIDE_DISPLAY: Record<PainSide, string> = {
  left: 'Left',
  right: 'Right',
  both: 'Both sides',
};

export const PAIN_CONTEXT_DISPLAY: Record<PainContext, string> = {
  baseline: 'At rest',
  before_session: 'Before an exercise session',
  after_session: 'After an exercise session',
  next_day: 'The day after an exercise session',
};

export const PROGRESSION_FLAG_DISPLAY: Record<ProgressionFlagId, string> = {
  REST_GAP_EXCEEDED: 'Break from the exercises longer than the program allows',
  HOLD_PROGRESSION_READY: 'Ready to hold the positions for longer',
  REPS_PROGRESSION_READY: 'Ready for more repetitions',
  READY_FOR_STRENGTHENING: 'Ready to add strengthening exercises',
  WALKING_GOAL_PROGRESSION: 'Walking goal met regularly; it could be raised',
  LOW_ACTIVITY: 'Daily activity well below usual',
  PROGRAM_DOSE_MET: 'Prescribed exercise done as planned',
  DATA_GAP: 'No activity or exercise data for several days',
};

export const RULE_DISPLAY: Record<RuleId, string> = {
  RED_FLAG_CAUDA_EQUINA: 'Possible cauda equina warning signs',
  RED_FLAG_MOTOR: 'New leg weakness reported',
  RED_FLAG_SYSTEMIC: 'Possible systemic warning signs',
  PERIPHERALIZATION: 'Pain spread farther down the leg',
  NEW_LEG_PAIN: 'New buttock or leg pain',
  LEG_PAIN_WORSE: 'Leg pain worse after exercising',
  PERSISTENT_FLARE: 'Flare-up still present the day after exercising',
  PAIN_TREND_WORSE: 'Pain rising over the last week',
  PERSISTENT_SYMPTOMS: 'Symptoms not easing after four months',
  INCREASED_PAIN_AFTER_EXERCISE: 'More pain after exercising',
  CENTRALIZING: 'Pain moving back toward the spine',
  FUNCTION_IMPROVED: 'Function improved (PSFS)',
  FUNCTION_WORSENED: 'Function worsened (PSFS)',
  DISABILITY_IMPROVED: 'Disability improved (ODI)',
  DISABILITY_WORSENED: 'Disability worsened (ODI)',
};

export const SEVERITY_DISPLAY: Record<Severity, string> = {
  urgent: 'Urgent',
  warning: 'Warning',
  info: 'For information',
  positive: 'Good sign',
};

export const ALERT_STATUS_DISPLAY: Record<AlertStatus, string> = {
  open: 'Open',
  acknowledged: 'Acknowledged by a clinician',
  resolved: 'Resolved',
};

export const ACTION_DISPLAY: Record<Action, string> = {
  seek_urgent_care: 'seek urgent care',
  stop_all_exercises: 'stop all exercises',
  pause_exercises: 'pause the exercises',
  contact_clinician: 'contact the clinician',
  review_with_clinician: 'review with the clinician',
  consider_specialist_review: 'consider a specialist review',
  continue: 'carry on with the program',
};

/** Flag priority (FHIR flag-priority-code) of an alert's severity. */
export const ALERT_PRIORITY: Record<AlertSeverity, Coding> = {
  urgent: { system: FLAG_PRIORITY_URL, code: 'PH', display: 'High priority' },
  warning: { system: FLAG_PRIORITY_URL, code: 'PM', display: 'Medium priority' },
};

export const BOTHERSOMENESS_DISPLAY = {
  not_at_all: 'Not at all',
  slightly: 'Slightly',
  moderately: 'Moderately',
  very_much: 'Very much',
  extremely: 'Extremely',
} as const;

export const STRATUM_DISPLAY = {
  low: 'Low risk',
  medium: 'Medium risk',
  high: 'High risk',
} as const;

/** Codes of OBSERVATION_COMPONENT_CODE_SYSTEM_URL. */
export const COMPONENT_DISPLAY = {
  'pain-context': 'When the pain was reported',
} as const;

export function coding(system: string, code: string, display?: string): Coding {
  return display === undefined ? { system, code } : { system, code, display };
}
