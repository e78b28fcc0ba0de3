// The rows of inputs.ts as FHIR R4 resources: pure functions, no clock, no I/O. Where the HL7
// Physical Activity IG (1.0.0) has a profile, the resource follows it; docs/fhir.md has the
// mapping tables and the reasons for each choice where the IG and the base spec are silent.

import type {
  CarePlan,
  CarePlanActivity,
  CodeSystem,
  CodeableConcept,
  DetectedIssue,
  DetectedIssueEvidence,
  Extension,
  Flag,
  Goal,
  Observation,
  Patient,
  Procedure,
  Quantity,
  QuestionnaireResponse,
  QuestionnaireResponseItem,
  Reference,
  Resource,
  Timing,
  TimingRepeat,
} from '@medplum/fhirtypes';
import { EXERCISE_FAMILIES } from '../exercises';
import { RULE_IDS, type RuleId } from '../rules/types';
import {
  ACTION_DISPLAY,
  ACTIVITY_CATEGORY,
  ALERT_PRIORITY,
  ALERT_STATUS_CODE_SYSTEM_URL,
  ALERT_STATUS_DISPLAY,
  ASSESS_PLAN_CATEGORY,
  BOTHERSOMENESS_DISPLAY,
  CLINICAL_FLAG_CATEGORY,
  COMPONENT_DISPLAY,
  EXERCISE_CODE_SYSTEM_URL,
  EXERCISE_DOSE_EXTENSION_URL,
  FLAG_DETAIL_EXTENSION_URL,
  FLAG_PRIORITY_EXTENSION_URL,
  LATERALITY_EXTENSION_URL,
  LOINC_DAILY_STEPS,
  LOINC_ODI_SCORE,
  LOINC_PAIN_SEVERITY,
  OBSERVATION_COMPONENT_CODE_SYSTEM_URL,
  PAIN_CONTEXT_CODE_SYSTEM_URL,
  PAIN_CONTEXT_DISPLAY,
  PAIN_SIDE_DISPLAY,
  PAIN_SITE_CODE_SYSTEM_URL,
  PAIN_SITE_DISPLAY,
  PAIN_SITE_SNOMED,
  PA_CATEGORY,
  PA_IG,
  PROGRESSION_FLAG_CODE_SYSTEM_URL,
  PROGRESSION_FLAG_DISPLAY,
  RULE_CODE_SYSTEM_URL,
  RULE_DISPLAY,
  SESSION_EXERCISE_EXTENSION_URL,
  SEVERITY_CODE_SYSTEM_URL,
  SEVERITY_DISPLAY,
  SIDE_SNOMED,
  SNOMED_EXERCISE_THERAPY,
  STARTBACK_CODE_SYSTEM_URL,
  STRATUM_DISPLAY,
  SURVEY_CATEGORY,
  UNITS,
  coding,
  patientRefSystem,
  questionnaireCanonical,
} from './codes';
import { dailyStepsObservationId, progressionFlagId } from './ids';
import type {
  FhirAlertRow,
  FhirDailyStepsRow,
  FhirExerciseRow,
  FhirFindingRow,
  FhirPainRow,
  FhirPatientRow,
  FhirProgramItemRow,
  FhirProgramRow,
  FhirProgressionFlagRow,
  FhirQuestionnaireRow,
  FhirSessionItemRow,
  FhirSessionRow,
} from './inputs';
import { addMinutesIso, localDayPeriod } from './time';

// ---- helpers ------------------------------------------------------------------------------

/** A fresh copy of a shared constant, so that a caller editing a resource never edits it. */
function fresh<T>(value: T): T {
  return structuredClone(value);
}

function ref<T extends Resource>(type: T['resourceType'], id: string): Reference<T> {
  return { reference: `${type}/${id}` };
}

function escapeXhtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function xhtml(inner: string): string {
  return `<div xmlns="http://www.w3.org/1999/xhtml">${inner}</div>`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function isRuleId(value: string | null): value is RuleId {
  return value !== null && (RULE_IDS as readonly string[]).includes(value);
}

/** A whole number > 0, or null: frequencies and counts that FHIR types as positiveInt. */
function positive(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function finiteNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

// ---- exercise catalog ---------------------------------------------------------------------

/** The exercise catalog as our CodeSystem: one concept per exercise, family and dose kind. */
export function exerciseCodeSystem(exercises: FhirExerciseRow[]): CodeSystem {
  const sorted = [...exercises].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  return {
    resourceType: 'CodeSystem',
    id: 'exercise',
    url: EXERCISE_CODE_SYSTEM_URL,
    name: 'SciatrackExercise',
    title: 'Sciatrack exercise catalog',
    status: 'active',
    experimental: false,
    publisher: 'Sciatrack',
    description:
      'The home exercises a Sciatrack program can prescribe, with the family each belongs to and how it is dosed.',
    caseSensitive: true,
    content: 'complete',
    count: sorted.length,
    property: [
      {
        code: 'family',
        type: 'code',
        description: `The exercise's family: ${EXERCISE_FAMILIES.join(', ')}`,
      },
      {
        code: 'doseKind',
        type: 'code',
        description: 'How the exercise is dosed: hold, reps, duration or steps',
      },
    ],
    ...(sorted.length > 0 ? { concept: sorted.map(exerciseConcept) } : {}),
  };
}

function exerciseConcept(e: FhirExerciseRow): NonNullable<CodeSystem['concept']>[number] {
  return {
    code: e.code,
    display: e.name,
    ...(e.instructions ? { definition: e.instructions } : {}),
    property: [
      { code: 'family', valueCode: e.family },
      { code: 'doseKind', valueCode: e.doseKind },
    ],
  };
}

// ---- Patient ------------------------------------------------------------------------------

/**
 * Pseudonymous: the organization's own reference is the only identifier, and nothing that
 * names or locates the person (no name, birth date, address, telecom, gender, practitioner).
 */
export function patientResource(row: FhirPatientRow): Patient {
  return {
    resourceType: 'Patient',
    id: row.id,
    meta: { lastUpdated: row.updatedAt },
    identifier: [{ system: patientRefSystem(row.organizationId), value: row.externalRef }],
    active: true,
  };
}

// ---- CarePlan and Goal --------------------------------------------------------------------

/** Request status (FHIR request-status) of a program version; see docs/fhir.md. */
export function carePlanStatus(row: FhirProgramRow): CarePlan['status'] {
  // A newer version replaced this one before it ran its course: "revoked" (terminated before
  // full completion), whatever status the row was left in (the repository marks it completed).
  if (row.supersededAt) return 'revoked';
  switch (row.status) {
    case 'active':
      return 'active';
    case 'paused':
    case 'suspended':
      return 'on-hold';
    case 'completed':
      return 'completed';
  }
}

const ACTIVITY_STATUS: Record<
  CarePlan['status'],
  NonNullable<CarePlanActivity['detail']>['status']
> = {
  active: 'in-progress',
  'on-hold': 'on-hold',
  completed: 'completed',
  revoked: 'stopped',
  draft: 'not-started',
  'entered-in-error': 'entered-in-error',
  unknown: 'unknown',
};

/** Goal lifecycle status of a program version's walking goal. */
export function goalLifecycleStatus(row: FhirProgramRow): Goal['lifecycleStatus'] {
  if (row.supersededAt) return 'cancelled';
  switch (row.status) {
    case 'active':
      return 'active';
    case 'paused':
    case 'suspended':
      return 'on-hold';
    case 'completed':
      return 'completed';
  }
}

/** The human-readable dose of a program item, in our words. */
export function doseText(item: FhirProgramItemRow): string {
  const parts: string[] = [];
  const sets = positive(item.sets);
  const reps = positive(item.reps);
  if (reps !== null) {
    let text =
      sets !== null && sets > 1
        ? `${sets} sets of ${plural(reps, 'repetition')}`
        : plural(reps, 'repetition');
    const goal = positive(item.repsGoal);
    if (goal !== null && goal > reps) text += ` (build up to ${goal})`;
    parts.push(text);
  } else if (sets !== null) {
    parts.push(plural(sets, 'set'));
  }
  const hold = positive(item.holdSeconds);
  if (hold !== null) {
    let text = `holding each for ${hold} s`;
    const goal = positive(item.holdGoalSeconds);
    if (goal !== null && goal > hold) text += ` (build up to ${goal} s)`;
    parts.push(text);
  }
  const minutes = positive(item.durationMinutes);
  if (minutes !== null) parts.push(plural(minutes, 'minute'));
  const perDay = positive(item.timesPerDay);
  const perWeek = positive(item.daysPerWeek);
  if (perDay !== null) parts.push(perDay === 1 ? 'once a day' : `${perDay} times a day`);
  else if (perWeek !== null) parts.push(`${plural(perWeek, 'day')} a week`);
  return parts.join(', ');
}

function itemTiming(item: FhirProgramItemRow): Timing | undefined {
  const repeat: TimingRepeat = {};
  const perDay = positive(item.timesPerDay);
  const perWeek = positive(item.daysPerWeek);
  if (perDay !== null) Object.assign(repeat, { frequency: perDay, period: 1, periodUnit: 'd' });
  else if (perWeek !== null)
    Object.assign(repeat, { frequency: perWeek, period: 1, periodUnit: 'wk' });
  const minutes = positive(item.durationMinutes);
  if (minutes !== null) Object.assign(repeat, { duration: minutes, durationUnit: 'min' });
  return Object.keys(repeat).length > 0 ? { repeat } : undefined;
}

const DOSE_FIELDS = [
  'sets',
  'reps',
  'repsGoal',
  'holdSeconds',
  'holdGoalSeconds',
  'durationMinutes',
  'timesPerDay',
  'daysPerWeek',
] as const;

/** The whole dose, losslessly: one integer sub-extension per field the item sets. */
function doseExtension(item: FhirProgramItemRow): Extension | undefined {
  const fields = DOSE_FIELDS.flatMap((field) => {
    const value = item[field];
    return typeof value === 'number' && Number.isInteger(value)
      ? [{ url: field, valueInteger: value }]
      : [];
  });
  return fields.length > 0 ? { url: EXERCISE_DOSE_EXTENSION_URL, extension: fields } : undefined;
}

function exerciseCoded(
  code: string,
  exercises: Map<string, FhirExerciseRow>,
  fallbackText = code,
): CodeableConcept {
  const name = exercises.get(code)?.name;
  return { coding: [coding(EXERCISE_CODE_SYSTEM_URL, code, name)], text: name ?? fallbackText };
}

const WALKING_CODE = 'walking';

function walkingText(steps: number): string {
  return `walk every day, aiming for ${steps} steps a day`;
}

/**
 * One version of a prescription as a PA Care Plan: an activity per item (the dose in
 * scheduledTiming, quantity, a dose extension and a description) and, with a walking goal, the
 * Goal and a walking activity pointing at it.
 */
export function carePlanResource(
  row: FhirProgramRow,
  exercises: Map<string, FhirExerciseRow>,
): CarePlan {
  const status = carePlanStatus(row);
  const activityStatus = ACTIVITY_STATUS[status];
  const patient = ref<Patient>('Patient', row.patientId);
  const steps = positive(row.walkingGoalDailySteps);
  const goal = steps !== null ? [ref<Goal>('Goal', row.id)] : undefined;
  const items = [...row.items].sort((a, b) => a.position - b.position);
  const walkingItem =
    steps !== null
      ? (items.find((i) => (exercises.get(i.exerciseCode)?.doseKind ?? null) === 'steps') ??
        items.find((i) => i.exerciseCode === WALKING_CODE))
      : undefined;

  const lines: { name: string; dose: string }[] = [];
  const activity: CarePlanActivity[] = items.map((item) => {
    const code = exerciseCoded(item.exerciseCode, exercises);
    let description = doseText(item);
    const isWalking = item === walkingItem && steps !== null;
    if (isWalking) description = [walkingText(steps), description].filter(Boolean).join(', ');
    lines.push({ name: code.text ?? item.exerciseCode, dose: description });
    const timing = itemTiming(item);
    const reps = positive(item.reps);
    const quantity: Quantity | undefined =
      reps !== null ? { value: reps, ...UNITS.repetitions } : undefined;
    const extension = doseExtension(item);
    return {
      detail: {
        ...(extension ? { extension: [extension] } : {}),
        code,
        ...(isWalking && goal ? { goal } : {}),
        status: activityStatus,
        ...(timing ? { scheduledTiming: timing } : {}),
        performer: [patient],
        ...(quantity ? { quantity } : {}),
        ...(description ? { description } : {}),
      },
    };
  });
  if (steps !== null && goal && !walkingItem) {
    const code = exerciseCoded(WALKING_CODE, exercises, 'Walking');
    const description = walkingText(steps);
    lines.push({ name: code.text ?? WALKING_CODE, dose: description });
    activity.push({
      detail: { code, goal, status: activityStatus, performer: [patient], description },
    });
  }

  const title = `Home exercise program, version ${row.version}`;
  const description = carePlanDescription(row, status);
  const div = xhtml(
    `<p>${escapeXhtml(`${title}: ${description}`)}</p>` +
      (lines.length > 0
        ? `<ul>${lines
            .map((l) => `<li>${escapeXhtml(l.dose ? `${l.name}: ${l.dose}` : l.name)}</li>`)
            .join('')}</ul>`
        : ''),
  );

  return {
    resourceType: 'CarePlan',
    id: row.id,
    meta: {
      ...(row.updatedAt ? { lastUpdated: row.updatedAt } : {}),
      profile: [PA_IG.profiles.carePlan],
    },
    text: { status: 'generated', div },
    ...(row.supersedesProgramId
      ? { replaces: [ref<CarePlan>('CarePlan', row.supersedesProgramId)] }
      : {}),
    status,
    intent: 'plan',
    category: [fresh(ASSESS_PLAN_CATEGORY), fresh(PA_CATEGORY)],
    title,
    description,
    subject: patient,
    period: { start: row.startDate, ...(row.supersededAt ? { end: row.supersededAt } : {}) },
    created: row.createdAt,
    ...(goal ? { goal } : {}),
    ...(activity.length > 0 ? { activity } : {}),
  };
}

function carePlanDescription(row: FhirProgramRow, status: CarePlan['status']): string {
  const start = `starting ${row.startDate}`;
  if (status === 'revoked') return `Replaced by a newer version of the program (${start}).`;
  if (status === 'completed') return `Completed (${start}).`;
  if (status === 'on-hold') {
    const rule = isRuleId(row.statusReason) ? row.statusReason : null;
    const by = rule ? ' by the safety rules' : '';
    const why = rule ? `: ${RULE_DISPLAY[rule]}` : '';
    return row.status === 'suspended'
      ? `Suspended${by} until a clinician resumes it${why} (${start}).`
      : `Paused${by}${why} (${start}).`;
  }
  return `Home exercises and walking for sciatica, ${start}.`;
}

/** The walking goal of a program version as a PA Goal, or null without one. */
export function walkingGoalResource(row: FhirProgramRow): Goal | null {
  const steps = positive(row.walkingGoalDailySteps);
  if (steps === null) return null;
  return {
    resourceType: 'Goal',
    id: row.id,
    meta: {
      ...(row.updatedAt ? { lastUpdated: row.updatedAt } : {}),
      profile: [PA_IG.profiles.goal],
    },
    lifecycleStatus: goalLifecycleStatus(row),
    category: [fresh(PA_CATEGORY)],
    description: { text: `Walk at least ${steps} steps a day` },
    subject: ref<Patient>('Patient', row.patientId),
    startDate: row.startDate,
    target: [
      {
        measure: { coding: [fresh(LOINC_DAILY_STEPS)] },
        detailQuantity: { value: steps, ...UNITS.stepsPerDay },
      },
    ],
  };
}

// ---- Observations -------------------------------------------------------------------------

/**
 * A patient-local day's steps as a PA time-based measure: the day as a Period in the patient's
 * zone (23 or 25 hours when the clocks change).
 */
export function dailyStepsObservation(row: FhirDailyStepsRow): Observation {
  const patient = ref<Patient>('Patient', row.patientId);
  return {
    resourceType: 'Observation',
    id: dailyStepsObservationId(row.patientId, row.localDate),
    meta: { lastUpdated: row.updatedAt, profile: [PA_IG.profiles.timeMeasure] },
    status: 'final',
    category: [fresh(ACTIVITY_CATEGORY), fresh(PA_CATEGORY)],
    code: { coding: [fresh(LOINC_DAILY_STEPS)], text: 'Steps in the day' },
    subject: patient,
    effectivePeriod: localDayPeriod(row.localDate, row.timezone),
    performer: [patient],
    valueQuantity: { value: Math.round(row.steps), ...UNITS.stepsPerDay },
  };
}

function painBodySite(row: FhirPainRow): CodeableConcept | undefined {
  if (row.mostDistalSite === 'none') return undefined;
  const site = row.mostDistalSite;
  const side = row.side;
  const text =
    side === null
      ? PAIN_SITE_DISPLAY[site]
      : side === 'both'
        ? `${PAIN_SITE_DISPLAY[site]}, both sides`
        : `${PAIN_SIDE_DISPLAY[side]} ${PAIN_SITE_DISPLAY[site].toLowerCase()}`;
  return {
    ...(side
      ? {
          extension: [
            {
              url: LATERALITY_EXTENSION_URL,
              valueCodeableConcept: { coding: [fresh(SIDE_SNOMED[side])] },
            },
          ],
        }
      : {}),
    coding: [
      fresh(PAIN_SITE_SNOMED[site]),
      coding(PAIN_SITE_CODE_SYSTEM_URL, site, PAIN_SITE_DISPLAY[site]),
    ],
    text,
  };
}

/** A pain report: NPRS 0–10, the most distal site with its side, and when it was reported. */
export function painObservation(row: FhirPainRow): Observation {
  const patient = ref<Patient>('Patient', row.patientId);
  const bodySite = painBodySite(row);
  return {
    resourceType: 'Observation',
    id: row.id,
    meta: { lastUpdated: row.createdAt },
    ...(row.sessionId ? { partOf: [ref<Procedure>('Procedure', row.sessionId)] } : {}),
    status: 'final',
    category: [fresh(SURVEY_CATEGORY)],
    code: { coding: [fresh(LOINC_PAIN_SEVERITY)], text: 'Pain intensity (0 to 10)' },
    subject: patient,
    effectiveDateTime: row.reportedAt,
    performer: [patient],
    valueQuantity: { value: row.intensity, ...UNITS.score },
    ...(bodySite ? { bodySite } : {}),
    component: [
      {
        code: {
          coding: [
            coding(
              OBSERVATION_COMPONENT_CODE_SYSTEM_URL,
              'pain-context',
              COMPONENT_DISPLAY['pain-context'],
            ),
          ],
        },
        valueCodeableConcept: {
          coding: [
            coding(PAIN_CONTEXT_CODE_SYSTEM_URL, row.context, PAIN_CONTEXT_DISPLAY[row.context]),
          ],
          text: PAIN_CONTEXT_DISPLAY[row.context],
        },
      },
    ],
  };
}

/** The ODI total score (0–100 %) of an ODI questionnaire; null for other instruments. */
export function odiObservation(row: FhirQuestionnaireRow): Observation | null {
  if (row.instrument !== 'odi') return null;
  const score = isRecord(row.score) ? finiteNumber(row.score.score) : null;
  if (score === null) return null;
  const patient = ref<Patient>('Patient', row.patientId);
  return {
    resourceType: 'Observation',
    id: row.id,
    meta: { lastUpdated: row.createdAt },
    status: 'final',
    category: [fresh(SURVEY_CATEGORY)],
    code: { coding: [fresh(LOINC_ODI_SCORE)], text: 'Oswestry Disability Index (%)' },
    subject: patient,
    effectiveDateTime: row.completedAt,
    performer: [patient],
    valueQuantity: { value: score, ...UNITS.percent },
    derivedFrom: [ref<QuestionnaireResponse>('QuestionnaireResponse', row.id)],
  };
}

// ---- QuestionnaireResponse ----------------------------------------------------------------

function integerAnswer(linkId: string, value: unknown): QuestionnaireResponseItem[] {
  return typeof value === 'number' && Number.isInteger(value)
    ? [{ linkId, answer: [{ valueInteger: value }] }]
    : [];
}

function decimalAnswer(linkId: string, text: string, value: unknown): QuestionnaireResponseItem[] {
  const n = finiteNumber(value);
  return n === null ? [] : [{ linkId, text, answer: [{ valueDecimal: n }] }];
}

function codeAnswer(
  linkId: string,
  value: unknown,
  displays: Record<string, string>,
  text?: string,
): QuestionnaireResponseItem[] {
  return typeof value === 'string' && value in displays
    ? [
        {
          linkId,
          ...(text ? { text } : {}),
          answer: [{ valueCoding: coding(STARTBACK_CODE_SYSTEM_URL, value, displays[value]) }],
        },
      ]
    : [];
}

function scoreGroup(items: QuestionnaireResponseItem[]): QuestionnaireResponseItem[] {
  return items.length > 0
    ? [{ linkId: 'score', text: 'Score computed by Sciatrack', item: items }]
    : [];
}

function questionnaireItems(row: FhirQuestionnaireRow): QuestionnaireResponseItem[] {
  const answers = isRecord(row.answers) ? row.answers : {};
  const score = isRecord(row.score) ? row.score : {};
  switch (row.instrument) {
    case 'odi': {
      const sections = Array.isArray(answers.sections) ? answers.sections : [];
      return [
        ...sections.flatMap((value: unknown, i) => integerAnswer(`section-${i + 1}`, value)),
        // The sections answered are the section items: only the percentage is added.
        ...scoreGroup(decimalAnswer('score.percent', 'ODI score (%)', score.score)),
      ];
    }
    case 'startback': {
      const agree = Array.isArray(answers.agree) ? answers.agree : [];
      return [
        ...agree.flatMap((value: unknown, i) =>
          typeof value === 'boolean'
            ? [{ linkId: `item-${i + 1}`, answer: [{ valueBoolean: value }] }]
            : [],
        ),
        ...codeAnswer('item-9', answers.bothersomeness, BOTHERSOMENESS_DISPLAY),
        ...scoreGroup([
          ...integerAnswer('score.total', score.total).map((it) => ({
            ...it,
            text: 'Total score',
          })),
          ...integerAnswer('score.psychosocial', score.psychosocial).map((it) => ({
            ...it,
            text: 'Psychosocial subscale',
          })),
          ...codeAnswer('score.stratum', score.stratum, STRATUM_DISPLAY, 'Risk group'),
        ]),
      ];
    }
    case 'psfs': {
      const activities = Array.isArray(answers.activities) ? answers.activities : [];
      return [
        ...activities.flatMap((raw: unknown, i) => {
          if (!isRecord(raw)) return [];
          const linkId = `activity-${i + 1}`;
          const children: QuestionnaireResponseItem[] = [
            ...(typeof raw.name === 'string' && raw.name.trim()
              ? [{ linkId: `${linkId}.name`, answer: [{ valueString: raw.name.trim() }] }]
              : []),
            ...integerAnswer(`${linkId}.score`, raw.score),
          ];
          return children.length > 0 ? [{ linkId, item: children }] : [];
        }),
        ...scoreGroup(decimalAnswer('score.mean', 'Mean score', score.mean)),
      ];
    }
  }
}

/**
 * Any instrument's answers, against our Questionnaire canonical for it. Only answers and the
 * score are sent, never the instruments' item texts (docs/outcomes.md).
 */
export function questionnaireResponse(row: FhirQuestionnaireRow): QuestionnaireResponse {
  const patient = ref<Patient>('Patient', row.patientId);
  const item = questionnaireItems(row);
  return {
    resourceType: 'QuestionnaireResponse',
    id: row.id,
    meta: { lastUpdated: row.createdAt },
    questionnaire: questionnaireCanonical(row.instrument),
    status: 'completed',
    subject: patient,
    authored: row.completedAt,
    source: patient,
    ...(item.length > 0 ? { item } : {}),
  };
}

// ---- Procedure ----------------------------------------------------------------------------

function sessionItemText(
  item: FhirSessionItemRow,
  exercises: Map<string, FhirExerciseRow>,
): string {
  const name = exercises.get(item.exerciseCode)?.name ?? item.exerciseCode;
  const parts: string[] = [];
  const sets = positive(item.sets);
  const reps = positive(item.reps);
  if (reps !== null) {
    parts.push(
      sets !== null && sets > 1
        ? `${sets} sets of ${plural(reps, 'repetition')}`
        : plural(reps, 'repetition'),
    );
  } else if (sets !== null) parts.push(plural(sets, 'set'));
  const hold = positive(item.holdSeconds);
  if (hold !== null) parts.push(`held ${hold} s`);
  const minutes = positive(item.durationMinutes);
  if (minutes !== null) parts.push(plural(minutes, 'minute'));
  return parts.length > 0 ? `${name}: ${parts.join(', ')}` : name;
}

function sessionItemExtension(
  item: FhirSessionItemRow,
  exercises: Map<string, FhirExerciseRow>,
): Extension {
  const name = exercises.get(item.exerciseCode)?.name;
  const counts = (['sets', 'reps', 'holdSeconds', 'durationMinutes'] as const).flatMap((field) => {
    const value = item[field];
    return typeof value === 'number' && Number.isInteger(value)
      ? [{ url: field, valueInteger: value }]
      : [];
  });
  return {
    url: SESSION_EXERCISE_EXTENSION_URL,
    extension: [
      { url: 'exercise', valueCoding: coding(EXERCISE_CODE_SYSTEM_URL, item.exerciseCode, name) },
      ...counts,
    ],
  };
}

/**
 * A logged exercise session as a completed Procedure (exercise therapy), based on the program
 * version it followed; each exercise done is a session-exercise extension and a line of note.
 */
export function sessionProcedure(
  row: FhirSessionRow,
  exercises: Map<string, FhirExerciseRow>,
): Procedure {
  const patient = ref<Patient>('Patient', row.patientId);
  const minutes = positive(row.durationMinutes);
  const lines = row.items.map((item) => sessionItemText(item, exercises));
  return {
    resourceType: 'Procedure',
    id: row.id,
    meta: { lastUpdated: row.createdAt },
    ...(row.items.length > 0
      ? { extension: row.items.map((item) => sessionItemExtension(item, exercises)) }
      : {}),
    ...(row.programId ? { basedOn: [ref<CarePlan>('CarePlan', row.programId)] } : {}),
    status: 'completed',
    category: fresh(PA_CATEGORY),
    code: { coding: [fresh(SNOMED_EXERCISE_THERAPY)], text: 'Home exercise session' },
    subject: patient,
    ...(minutes !== null
      ? {
          performedPeriod: { start: row.performedAt, end: addMinutesIso(row.performedAt, minutes) },
        }
      : { performedDateTime: row.performedAt }),
    performer: [{ actor: patient }],
    ...(lines.length > 0 ? { note: [{ text: `Exercises done: ${lines.join('; ')}.` }] } : {}),
  };
}

// ---- Flags and DetectedIssue --------------------------------------------------------------

/** A progression flag holding for a patient: a suggestion for the clinician, never an order. */
export function progressionFlag(row: FhirProgressionFlagRow): Flag {
  const display = PROGRESSION_FLAG_DISPLAY[row.flag];
  return {
    resourceType: 'Flag',
    id: progressionFlagId(row.flag, row.patientId),
    meta: { lastUpdated: row.computedAt },
    status: 'active',
    category: [fresh(CLINICAL_FLAG_CATEGORY)],
    code: {
      coding: [coding(PROGRESSION_FLAG_CODE_SYSTEM_URL, row.flag, display)],
      text: display,
    },
    subject: ref<Patient>('Patient', row.patientId),
    period: { start: row.since },
  };
}

/** An alert (open, acknowledged or resolved) as a clinical Flag pointing at its finding. */
export function alertFlag(row: FhirAlertRow): Flag {
  const display = RULE_DISPLAY[row.rule];
  return {
    resourceType: 'Flag',
    id: row.id,
    meta: {
      lastUpdated: row.updatedAt,
      tag: [
        coding(ALERT_STATUS_CODE_SYSTEM_URL, row.status, ALERT_STATUS_DISPLAY[row.status]),
        coding(SEVERITY_CODE_SYSTEM_URL, row.severity, SEVERITY_DISPLAY[row.severity]),
      ],
    },
    extension: [
      {
        url: FLAG_PRIORITY_EXTENSION_URL,
        valueCodeableConcept: { coding: [fresh(ALERT_PRIORITY[row.severity])] },
      },
      {
        url: FLAG_DETAIL_EXTENSION_URL,
        valueReference: ref<DetectedIssue>('DetectedIssue', row.findingId),
      },
    ],
    status: row.status === 'resolved' ? 'inactive' : 'active',
    category: [fresh(CLINICAL_FLAG_CATEGORY)],
    code: { coding: [coding(RULE_CODE_SYSTEM_URL, row.rule, display)], text: display },
    subject: ref<Patient>('Patient', row.patientId),
    period: { start: row.createdAt, ...(row.resolvedAt ? { end: row.resolvedAt } : {}) },
  };
}

const ISSUE_SEVERITY: Record<FhirFindingRow['severity'], DetectedIssue['severity']> = {
  urgent: 'high',
  warning: 'moderate',
  info: 'low',
  positive: 'low',
};

/** A rule finding, with what it was found on as evidence. */
export function findingDetectedIssue(row: FhirFindingRow): DetectedIssue {
  const display = RULE_DISPLAY[row.rule];
  const evidence: DetectedIssueEvidence[] = [
    ...(row.painReportId ? [{ detail: [ref<Observation>('Observation', row.painReportId)] }] : []),
    ...(row.questionnaireId
      ? [{ detail: [ref<QuestionnaireResponse>('QuestionnaireResponse', row.questionnaireId)] }]
      : []),
    ...(row.sessionId ? [{ detail: [ref<Procedure>('Procedure', row.sessionId)] }] : []),
  ];
  return {
    resourceType: 'DetectedIssue',
    id: row.id,
    meta: {
      lastUpdated: row.createdAt,
      tag: [coding(SEVERITY_CODE_SYSTEM_URL, row.severity, SEVERITY_DISPLAY[row.severity])],
    },
    status: 'final',
    code: { coding: [coding(RULE_CODE_SYSTEM_URL, row.rule, display)], text: display },
    severity: ISSUE_SEVERITY[row.severity],
    patient: ref<Patient>('Patient', row.patientId),
    identifiedDateTime: row.createdAt,
    ...(evidence.length > 0 ? { evidence } : {}),
    detail: `${display} (${SEVERITY_DISPLAY[row.severity].toLowerCase()}). The app advised the patient to ${ACTION_DISPLAY[row.action]}.`,
  };
}
