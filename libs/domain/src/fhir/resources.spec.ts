import type {
  CarePlan,
  Extension,
  Observation,
  QuestionnaireResponseItem,
} from '@medplum/fhirtypes';
import {
  assertPhysicalActivityCarePlan,
  assertPhysicalActivityGoal,
  assertPhysicalActivitySteps,
  expectValidFhir,
  PHYSICAL_ACTIVITY_IG,
} from '../../../../test/support/fhir-validator';
import { PROGRESSION_FLAGS } from '../adherence/types';
import { PAIN_CONTEXTS, PAIN_SIDES, PAIN_SITES } from '../pain';
import { RULE_IDS } from '../rules/types';
import {
  EXERCISE_CODE_SYSTEM_URL,
  EXERCISE_DOSE_EXTENSION_URL,
  FHIR_CANONICAL_BASE,
  LATERALITY_EXTENSION_URL,
  PAIN_CONTEXT_CODE_SYSTEM_URL,
  PROGRESSION_FLAG_CODE_SYSTEM_URL,
  RULE_CODE_SYSTEM_URL,
  SESSION_EXERCISE_EXTENSION_URL,
} from './codes';
import type {
  FhirAlertRow,
  FhirDailyStepsRow,
  FhirExerciseRow,
  FhirFindingRow,
  FhirPainRow,
  FhirPatientRow,
  FhirProgramRow,
  FhirQuestionnaireRow,
  FhirSessionRow,
} from './inputs';
import {
  alertFlag,
  carePlanResource,
  dailyStepsObservation,
  doseText,
  exerciseCodeSystem,
  findingDetectedIssue,
  odiObservation,
  painObservation,
  patientResource,
  progressionFlag,
  questionnaireResponse,
  sessionProcedure,
  walkingGoalResource,
} from './resources';

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const UCUM = 'http://unitsofmeasure.org';
const PATIENT = '0b6f3a52-9c1e-4d7a-8e2f-5a4b3c2d1e0f';
const ORG = '6d0c2f7e-1a2b-4c3d-8e9f-0a1b2c3d4e5f';
const PROGRAM = '3e1d2c4b-5a69-4788-9a0b-1c2d3e4f5a6b';
const PREVIOUS = '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a';
const SESSION = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const PAIN = 'b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e';
const QUESTIONNAIRE = 'c3d4e5f6-a7b8-4c9d-8e1f-2a3b4c5d6e7f';
const ALERT = 'd4e5f6a7-b8c9-4d0e-9f1a-3b4c5d6e7f80';
const FINDING = 'e5f6a7b8-c9d0-4e1f-8a2b-4c5d6e7f8091';

const EXERCISES: FhirExerciseRow[] = [
  {
    code: 'prone_press_up',
    name: 'Press-up on elbows (prone extension)',
    family: 'extension',
    doseKind: 'hold',
    instructions: 'Lie on your stomach and rise onto your elbows, keeping the hips down.',
  },
  {
    code: 'glute_bridge',
    name: 'Glute bridge',
    family: 'strengthening_gluteal',
    doseKind: 'reps',
    instructions: 'Lie on your back, knees bent, and lift the hips.',
  },
  {
    code: 'lumbar_stabilization',
    name: 'Deep stabilizer session',
    family: 'stabilization',
    doseKind: 'duration',
    instructions: 'Draw the lower stomach in & breathe <slowly>.',
  },
  {
    code: 'walking',
    name: 'Walking',
    family: 'aerobic',
    doseKind: 'steps',
    instructions: 'Walk every day at a comfortable pace.',
  },
];
const CATALOG = new Map(EXERCISES.map((e) => [e.code, e]));

const patientRow: FhirPatientRow = {
  id: PATIENT,
  organizationId: ORG,
  externalRef: 'MRN-0042',
  clinicianId: '11111111-2222-4333-8444-555555555555',
  timezone: 'America/New_York',
  updatedAt: '2026-10-05T14:03:00.000Z',
};

const item = (
  overrides: Partial<FhirProgramRow['items'][number]>,
): FhirProgramRow['items'][number] => ({
  position: 1,
  exerciseCode: 'prone_press_up',
  sets: null,
  reps: null,
  repsGoal: null,
  holdSeconds: null,
  holdGoalSeconds: null,
  durationMinutes: null,
  timesPerDay: null,
  daysPerWeek: null,
  ...overrides,
});

const program = (overrides: Partial<FhirProgramRow> = {}): FhirProgramRow => ({
  id: PROGRAM,
  patientId: PATIENT,
  version: 2,
  status: 'active',
  statusReason: null,
  startDate: '2026-10-05',
  walkingGoalDailySteps: 6000,
  supersedesProgramId: PREVIOUS,
  supersededAt: null,
  createdAt: '2026-10-04T09:00:00.000Z',
  updatedAt: '2026-10-04T09:00:00.000Z',
  items: [
    item({
      position: 2,
      exerciseCode: 'glute_bridge',
      sets: 2,
      reps: 8,
      repsGoal: 10,
      daysPerWeek: 3,
    }),
    item({ position: 1, reps: 10, holdSeconds: 5, holdGoalSeconds: 30, timesPerDay: 8 }),
    item({
      position: 3,
      exerciseCode: 'lumbar_stabilization',
      durationMinutes: 30,
      daysPerWeek: 2,
    }),
  ],
  ...overrides,
});

const stepsRow = (overrides: Partial<FhirDailyStepsRow> = {}): FhirDailyStepsRow => ({
  patientId: PATIENT,
  localDate: '2026-10-05',
  timezone: 'America/New_York',
  steps: 7267,
  updatedAt: '2026-10-06T04:10:00.000Z',
  ...overrides,
});

const painRow = (overrides: Partial<FhirPainRow> = {}): FhirPainRow => ({
  id: PAIN,
  patientId: PATIENT,
  reportedAt: '2026-10-05T14:03:00.000Z',
  localDate: '2026-10-05',
  intensity: 6,
  mostDistalSite: 'calf',
  side: 'left',
  context: 'after_session',
  sessionId: SESSION,
  createdAt: '2026-10-05T14:03:01.000Z',
  ...overrides,
});

const odiRow = (overrides: Partial<FhirQuestionnaireRow> = {}): FhirQuestionnaireRow => ({
  id: QUESTIONNAIRE,
  patientId: PATIENT,
  instrument: 'odi',
  completedAt: '2026-10-05T15:00:00.000Z',
  answers: { sections: [1, 2, 3, null, 0, 5, 2, 1, 1, 2] },
  score: { score: 37.8, answered: 9 },
  createdAt: '2026-10-05T15:00:02.000Z',
  ...overrides,
});

const sessionRow = (overrides: Partial<FhirSessionRow> = {}): FhirSessionRow => ({
  id: SESSION,
  patientId: PATIENT,
  programId: PROGRAM,
  performedAt: '2026-10-05T13:30:00.000Z',
  localDate: '2026-10-05',
  durationMinutes: 25,
  items: [
    { exerciseCode: 'prone_press_up', reps: 10, holdSeconds: 5 },
    { exerciseCode: 'glute_bridge', sets: 2, reps: 8 },
  ],
  createdAt: '2026-10-05T14:00:00.000Z',
  ...overrides,
});

const alertRow = (overrides: Partial<FhirAlertRow> = {}): FhirAlertRow => ({
  id: ALERT,
  patientId: PATIENT,
  rule: 'PERIPHERALIZATION',
  severity: 'warning',
  status: 'open',
  findingId: FINDING,
  createdAt: '2026-10-05T14:03:02.000Z',
  updatedAt: '2026-10-05T14:03:02.000Z',
  resolvedAt: null,
  ...overrides,
});

const findingRow = (overrides: Partial<FhirFindingRow> = {}): FhirFindingRow => ({
  id: FINDING,
  patientId: PATIENT,
  rule: 'PERIPHERALIZATION',
  severity: 'warning',
  action: 'pause_exercises',
  painReportId: PAIN,
  questionnaireId: null,
  sessionId: null,
  createdAt: '2026-10-05T14:03:02.000Z',
  ...overrides,
});

const codes = (concept: { coding?: { system?: string; code?: string }[] } | undefined) =>
  (concept?.coding ?? []).map((c) => `${c.system}|${c.code}`);

describe('exerciseCodeSystem', () => {
  const cs = exerciseCodeSystem(EXERCISES);

  it('is a complete, active CodeSystem at the exercise canonical', () => {
    expectValidFhir(cs);
    expect(cs).toMatchObject({
      id: 'exercise',
      url: EXERCISE_CODE_SYSTEM_URL,
      status: 'active',
      content: 'complete',
      count: EXERCISES.length,
    });
    expect(EXERCISE_CODE_SYSTEM_URL).toBe(`${FHIR_CANONICAL_BASE}/CodeSystem/exercise`);
  });

  it('has one concept per exercise, named, with its family', () => {
    expect(cs.concept).toHaveLength(EXERCISES.length);
    for (const e of EXERCISES) {
      const concept = cs.concept!.find((c) => c.code === e.code)!;
      expect(concept.display).toBe(e.name);
      expect(concept.property).toEqual(
        expect.arrayContaining([{ code: 'family', valueCode: e.family }]),
      );
    }
    expect(cs.property!.map((p) => p.code)).toEqual(['family', 'doseKind']);
  });

  it('is valid even for an empty catalog', () => {
    expectValidFhir(exerciseCodeSystem([]));
  });
});

describe('patientResource', () => {
  const patient = patientResource(patientRow);

  it('is valid and pseudonymous: only the allowed elements are serialized', () => {
    expectValidFhir(patient);
    expect(Object.keys(JSON.parse(JSON.stringify(patient))).sort()).toEqual(
      ['active', 'id', 'identifier', 'meta', 'resourceType'].sort(),
    );
    const json = JSON.stringify(patient);
    for (const field of [
      'name',
      'birthDate',
      'address',
      'telecom',
      'gender',
      'generalPractitioner',
    ]) {
      expect(json).not.toContain(`"${field}"`);
    }
    expect(json).not.toContain(patientRow.clinicianId);
    expect(json).not.toContain(patientRow.timezone);
  });

  it("carries the organization's own reference as its only identifier", () => {
    expect(patient).toEqual({
      resourceType: 'Patient',
      id: PATIENT,
      meta: { lastUpdated: patientRow.updatedAt },
      identifier: [
        { system: `${FHIR_CANONICAL_BASE}/organization/${ORG}/patient-ref`, value: 'MRN-0042' },
      ],
      active: true,
    });
  });
});

describe('carePlanResource', () => {
  const cp = carePlanResource(program(), CATALOG);

  it('is a valid PA Care Plan', () => {
    expectValidFhir(cp);
    assertPhysicalActivityCarePlan(cp);
    expect(cp.meta?.profile).toEqual([PHYSICAL_ACTIVITY_IG.profiles.carePlan]);
    expect(cp).toMatchObject({
      id: PROGRAM,
      status: 'active',
      intent: 'plan',
      subject: { reference: `Patient/${PATIENT}` },
      period: { start: '2026-10-05' },
      created: '2026-10-04T09:00:00.000Z',
      replaces: [{ reference: `CarePlan/${PREVIOUS}` }],
      goal: [{ reference: `Goal/${PROGRAM}` }],
    });
  });

  it('lists the items in position order, coded from the exercise CodeSystem with their names', () => {
    const details = cp.activity!.map((a) => a.detail!);
    expect(details.map((d) => d.code!.coding![0])).toEqual([
      {
        system: EXERCISE_CODE_SYSTEM_URL,
        code: 'prone_press_up',
        display: 'Press-up on elbows (prone extension)',
      },
      { system: EXERCISE_CODE_SYSTEM_URL, code: 'glute_bridge', display: 'Glute bridge' },
      {
        system: EXERCISE_CODE_SYSTEM_URL,
        code: 'lumbar_stabilization',
        display: 'Deep stabilizer session',
      },
      { system: EXERCISE_CODE_SYSTEM_URL, code: 'walking', display: 'Walking' },
    ]);
    expect(details.every((d) => d.status === 'in-progress')).toBe(true);
  });

  it('puts the dose in scheduledTiming, quantity, a dose extension and a description', () => {
    const [press, bridge, stabilizer] = cp.activity!.map((a) => a.detail!);
    expect(press.scheduledTiming).toEqual({ repeat: { frequency: 8, period: 1, periodUnit: 'd' } });
    expect(press.quantity).toEqual({
      value: 10,
      unit: 'repetitions',
      system: UCUM,
      code: '{repetitions}',
    });
    expect(press.description).toBe(
      '10 repetitions, holding each for 5 s (build up to 30 s), 8 times a day',
    );
    expect(bridge.scheduledTiming).toEqual({
      repeat: { frequency: 3, period: 1, periodUnit: 'wk' },
    });
    expect(bridge.description).toBe('2 sets of 8 repetitions (build up to 10), 3 days a week');
    const dose = bridge.extension!.find((e) => e.url === EXERCISE_DOSE_EXTENSION_URL)!;
    expect(dose.extension).toEqual([
      { url: 'sets', valueInteger: 2 },
      { url: 'reps', valueInteger: 8 },
      { url: 'repsGoal', valueInteger: 10 },
      { url: 'daysPerWeek', valueInteger: 3 },
    ]);
    expect(stabilizer.scheduledTiming).toEqual({
      repeat: { frequency: 2, period: 1, periodUnit: 'wk', duration: 30, durationUnit: 'min' },
    });
    expect(stabilizer.quantity).toBeUndefined();
  });

  it('adds a walking activity pointing at the Goal when no item is walking', () => {
    const walking = cp.activity![3].detail!;
    expect(walking.goal).toEqual([{ reference: `Goal/${PROGRAM}` }]);
    expect(walking.description).toMatch(/6000 steps a day/);
    expect(cp.activity!.slice(0, 3).every((a) => a.detail!.goal === undefined)).toBe(true);
  });

  it('points the walking item at the Goal rather than adding one when the program has it', () => {
    const withWalking = carePlanResource(
      program({
        items: [item({ exerciseCode: 'walking', timesPerDay: 1 }), item({ position: 2, reps: 10 })],
      }),
      CATALOG,
    );
    expectValidFhir(withWalking);
    expect(withWalking.activity).toHaveLength(2);
    expect(withWalking.activity![0].detail!.goal).toEqual([{ reference: `Goal/${PROGRAM}` }]);
    expect(withWalking.activity![0].detail!.description).toBe(
      'walk every day, aiming for 6000 steps a day, once a day',
    );
  });

  it('without a walking goal has no Goal, no goal reference and no walking activity', () => {
    const plain = carePlanResource(program({ walkingGoalDailySteps: null }), CATALOG);
    expectValidFhir(plain);
    assertPhysicalActivityCarePlan(plain);
    expect(plain.goal).toBeUndefined();
    expect(JSON.stringify(plain)).not.toContain('Goal/');
    expect(plain.activity).toHaveLength(3);
    expect(walkingGoalResource(program({ walkingGoalDailySteps: null }))).toBeNull();
  });

  it('escapes the narrative', () => {
    const cp2 = carePlanResource(
      program(),
      new Map([
        ...CATALOG,
        ['glute_bridge', { ...EXERCISES[1], name: 'Bridge <hips> & "glutes"' }],
      ]),
    );
    expectValidFhir(cp2);
    expect(cp2.text!.div).toContain('Bridge &lt;hips&gt; &amp; &quot;glutes&quot;');
    expect(cp2.text!.div.startsWith('<div xmlns="http://www.w3.org/1999/xhtml">')).toBe(true);
  });

  it.each<[string, Partial<FhirProgramRow>, CarePlan['status'], string, string]>([
    ['active', { status: 'active' }, 'active', 'in-progress', 'active'],
    [
      'paused',
      { status: 'paused', statusReason: 'PERIPHERALIZATION' },
      'on-hold',
      'on-hold',
      'on-hold',
    ],
    [
      'suspended',
      { status: 'suspended', statusReason: 'PERSISTENT_FLARE' },
      'on-hold',
      'on-hold',
      'on-hold',
    ],
    ['completed', { status: 'completed' }, 'completed', 'completed', 'completed'],
    [
      'superseded (left completed by the repository)',
      { status: 'completed', statusReason: 'superseded', supersededAt: '2026-11-01T10:00:00.000Z' },
      'revoked',
      'stopped',
      'cancelled',
    ],
    [
      'superseded while paused',
      { status: 'paused', supersededAt: '2026-11-01T10:00:00.000Z' },
      'revoked',
      'stopped',
      'cancelled',
    ],
  ])('a %s program is CarePlan %s, activities %s, Goal %s', (_n, row, status, activity, goal) => {
    const r = program(row);
    const plan = carePlanResource(r, CATALOG);
    expectValidFhir(plan);
    expect(plan.status).toBe(status);
    expect(new Set(plan.activity!.map((a) => a.detail!.status))).toEqual(new Set([activity]));
    expect(walkingGoalResource(r)!.lifecycleStatus).toBe(goal);
  });

  it('a superseded version ends its period when it was replaced', () => {
    const plan = carePlanResource(
      program({
        status: 'completed',
        statusReason: 'superseded',
        supersededAt: '2026-11-01T10:00:00.000Z',
      }),
      CATALOG,
    );
    expect(plan.period).toEqual({ start: '2026-10-05', end: '2026-11-01T10:00:00.000Z' });
    expect(plan.description).toMatch(/Replaced by a newer version/);
  });

  it('says why a program is on hold, in our words', () => {
    const plan = carePlanResource(
      program({ status: 'paused', statusReason: 'PERIPHERALIZATION' }),
      CATALOG,
    );
    expect(plan.description).toBe(
      'Paused by the safety rules: Pain spread farther down the leg (starting 2026-10-05).',
    );
  });

  it('a first version replaces nothing, and one without items or goal has no activity', () => {
    const plan = carePlanResource(
      program({
        supersedesProgramId: null,
        items: [],
        walkingGoalDailySteps: null,
        updatedAt: undefined,
      }),
      CATALOG,
    );
    expectValidFhir(plan);
    expect(plan.replaces).toBeUndefined();
    expect(plan.activity).toBeUndefined();
    expect(plan.meta).toEqual({ profile: [PHYSICAL_ACTIVITY_IG.profiles.carePlan] });
  });

  it('codes an exercise the catalog lacks by its code alone', () => {
    const plan = carePlanResource(
      program({ items: [item({ exerciseCode: 'retired_move', reps: 5 })] }),
      CATALOG,
    );
    expectValidFhir(plan);
    expect(plan.activity![0].detail!.code).toEqual({
      coding: [{ system: EXERCISE_CODE_SYSTEM_URL, code: 'retired_move' }],
      text: 'retired_move',
    });
  });
});

describe('doseText', () => {
  it.each([
    [{ reps: 10 }, '10 repetitions'],
    [{ sets: 1, reps: 1 }, '1 repetition'],
    [{ sets: 3 }, '3 sets'],
    [{ durationMinutes: 1, timesPerDay: 1 }, '1 minute, once a day'],
    [
      { holdSeconds: 20, holdGoalSeconds: 20, reps: 2, timesPerDay: 2 },
      '2 repetitions, holding each for 20 s, 2 times a day',
    ],
    [{ daysPerWeek: 1 }, '1 day a week'],
    [{}, ''],
  ])('%j reads %j', (dose, text) => {
    expect(doseText(item(dose))).toBe(text);
  });
});

describe('walkingGoalResource', () => {
  const goal = walkingGoalResource(program())!;

  it('is a valid PA Goal with a LOINC 41950-7 target in steps per day', () => {
    expectValidFhir(goal);
    assertPhysicalActivityGoal(goal);
    expect(goal).toMatchObject({
      id: PROGRAM,
      lifecycleStatus: 'active',
      subject: { reference: `Patient/${PATIENT}` },
      startDate: '2026-10-05',
      description: { text: 'Walk at least 6000 steps a day' },
      target: [
        {
          measure: {
            coding: [
              { system: LOINC, code: '41950-7', display: 'Number of steps in 24 hour Measured' },
            ],
          },
          detailQuantity: { value: 6000, unit: 'steps per day', system: UCUM, code: '/d' },
        },
      ],
    });
    expect(goal.meta?.profile).toEqual([PHYSICAL_ACTIVITY_IG.profiles.goal]);
  });
});

describe('dailyStepsObservation', () => {
  const obs = dailyStepsObservation(stepsRow());

  it('is a valid PA time-based measure of LOINC 41950-7 in UCUM /d', () => {
    expectValidFhir(obs);
    assertPhysicalActivitySteps(obs);
    expect(obs).toMatchObject({
      id: `steps-${PATIENT}-2026-10-05`,
      meta: {
        lastUpdated: '2026-10-06T04:10:00.000Z',
        profile: [PHYSICAL_ACTIVITY_IG.profiles.timeMeasure],
      },
      status: 'final',
      subject: { reference: `Patient/${PATIENT}` },
      valueQuantity: { value: 7267, unit: 'steps per day', system: UCUM, code: '/d' },
    });
    expect(codes(obs.category![0])).toEqual([
      'http://terminology.hl7.org/CodeSystem/observation-category|activity',
    ]);
    expect(codes(obs.category![1])).toEqual([
      'http://hl7.org/fhir/us/physical-activity/CodeSystem/pa-temporary-codes|PhysicalActivity',
    ]);
    expect(codes(obs.code)).toEqual([`${LOINC}|41950-7`]);
  });

  it.each([
    [
      '2026-10-05',
      'America/New_York',
      '2026-10-05T00:00:00.000-04:00',
      '2026-10-05T23:59:59.999-04:00',
      24,
    ],
    [
      '2026-03-08',
      'America/New_York',
      '2026-03-08T00:00:00.000-05:00',
      '2026-03-08T23:59:59.999-04:00',
      23,
    ],
    [
      '2026-11-01',
      'America/New_York',
      '2026-11-01T00:00:00.000-04:00',
      '2026-11-01T23:59:59.999-05:00',
      25,
    ],
    [
      '2026-06-01',
      'Pacific/Kiritimati',
      '2026-06-01T00:00:00.000+14:00',
      '2026-06-01T23:59:59.999+14:00',
      24,
    ],
    [
      '2026-06-01',
      'Pacific/Pago_Pago',
      '2026-06-01T00:00:00.000-11:00',
      '2026-06-01T23:59:59.999-11:00',
      24,
    ],
  ])('the day %s in %s is the period %s to %s (%i h)', (localDate, timezone, start, end, hours) => {
    const o = dailyStepsObservation(stepsRow({ localDate, timezone }));
    assertPhysicalActivitySteps(o);
    expect(o.effectivePeriod).toEqual({ start, end });
    expect(Date.parse(end) - Date.parse(start) + 1).toBe(hours * 3_600_000);
    expect(o.id).toBe(`steps-${PATIENT}-${localDate}`);
  });

  it('a day without steps is still a whole number: 0', () => {
    const o = dailyStepsObservation(stepsRow({ steps: 0 }));
    assertPhysicalActivitySteps(o);
    expect(o.valueQuantity!.value).toBe(0);
  });
});

describe('painObservation', () => {
  const obs = painObservation(painRow());

  it('is a valid LOINC 72514-3 survey score with the report time', () => {
    expectValidFhir(obs);
    expect(obs).toMatchObject({
      id: PAIN,
      status: 'final',
      effectiveDateTime: '2026-10-05T14:03:00.000Z',
      subject: { reference: `Patient/${PATIENT}` },
      valueQuantity: { value: 6, unit: '{score}', system: UCUM, code: '{score}' },
      partOf: [{ reference: `Procedure/${SESSION}` }],
    });
    expect(codes(obs.code)).toEqual([`${LOINC}|72514-3`]);
    expect(codes(obs.category![0])).toEqual([
      'http://terminology.hl7.org/CodeSystem/observation-category|survey',
    ]);
  });

  it('codes the most distal site in SNOMED CT, with the side as a SNOMED laterality', () => {
    expect(obs.bodySite).toEqual({
      extension: [
        {
          url: LATERALITY_EXTENSION_URL,
          valueCodeableConcept: { coding: [{ system: SNOMED, code: '7771000', display: 'Left' }] },
        },
      ],
      coding: [
        { system: SNOMED, code: '53840002', display: 'Structure of calf of leg' },
        { system: `${FHIR_CANONICAL_BASE}/CodeSystem/pain-site`, code: 'calf', display: 'Calf' },
      ],
      text: 'Left calf',
    });
  });

  it.each([
    ['low_back', '37822005'],
    ['buttock', '46862004'],
    ['thigh', '68367000'],
    ['calf', '53840002'],
    ['foot', '56459004'],
  ] as const)('site %s is SNOMED %s', (site, code) => {
    const o = painObservation(painRow({ mostDistalSite: site }));
    expectValidFhir(o);
    expect(o.bodySite!.coding![0]).toMatchObject({ system: SNOMED, code });
  });

  it.each([
    ['left', '7771000'],
    ['right', '24028007'],
    ['both', '51440002'],
  ] as const)('side %s is SNOMED laterality %s', (side, code) => {
    const o = painObservation(painRow({ side }));
    expect(o.bodySite!.extension![0].valueCodeableConcept!.coding![0].code).toBe(code);
  });

  it("has no bodySite for 'none', and no laterality without a side", () => {
    const none = painObservation(painRow({ mostDistalSite: 'none', side: null, intensity: 0 }));
    expectValidFhir(none);
    expect(none.bodySite).toBeUndefined();
    expect(none.valueQuantity!.value).toBe(0);
    const noSide = painObservation(painRow({ mostDistalSite: 'low_back', side: null }));
    expect(noSide.bodySite!.extension).toBeUndefined();
    expect(noSide.bodySite!.text).toBe('Low back');
  });

  it.each(PAIN_CONTEXTS.map((c) => [c]))(
    'records the context %s as a coded component',
    (context) => {
      const o = painObservation(painRow({ context, sessionId: null }));
      expectValidFhir(o);
      expect(o.partOf).toBeUndefined();
      expect(o.component).toHaveLength(1);
      expect(codes(o.component![0].valueCodeableConcept)).toEqual([
        `${PAIN_CONTEXT_CODE_SYSTEM_URL}|${context}`,
      ]);
    },
  );

  it('every site, side and context combination is valid', () => {
    for (const site of PAIN_SITES) {
      for (const side of [...PAIN_SIDES, null]) {
        for (const context of PAIN_CONTEXTS) {
          expectValidFhir(painObservation(painRow({ mostDistalSite: site, side, context })));
        }
      }
    }
  });
});

const answersOf = (items: QuestionnaireResponseItem[] | undefined): QuestionnaireResponseItem[] =>
  (items ?? []).flatMap((i) => [i, ...answersOf(i.item)]);

describe('questionnaireResponse and odiObservation', () => {
  it('an ODI: one valueInteger per answered section, the blank one left out', () => {
    const qr = questionnaireResponse(odiRow());
    expectValidFhir(qr);
    expect(qr).toMatchObject({
      id: QUESTIONNAIRE,
      status: 'completed',
      questionnaire: `${FHIR_CANONICAL_BASE}/Questionnaire/odi`,
      authored: '2026-10-05T15:00:00.000Z',
      subject: { reference: `Patient/${PATIENT}` },
    });
    const sections = qr.item!.filter((i) => i.linkId.startsWith('section-'));
    expect(sections.map((i) => i.linkId)).toEqual([
      'section-1',
      'section-2',
      'section-3',
      'section-5',
      'section-6',
      'section-7',
      'section-8',
      'section-9',
      'section-10',
    ]);
    expect(sections.map((i) => i.answer![0].valueInteger)).toEqual([1, 2, 3, 0, 5, 2, 1, 1, 2]);
    const integers = answersOf(qr.item)
      .flatMap((i) => i.answer ?? [])
      .filter((a) => a.valueInteger !== undefined);
    expect(integers).toHaveLength(9);
    expect(answersOf(qr.item).find((i) => i.linkId === 'score.percent')!.answer).toEqual([
      { valueDecimal: 37.8 },
    ]);
  });

  it('the ODI total score is LOINC 97909-6 in percent, derived from the response', () => {
    const obs = odiObservation(odiRow())!;
    expectValidFhir(obs);
    expect(obs).toMatchObject({
      id: QUESTIONNAIRE,
      status: 'final',
      effectiveDateTime: '2026-10-05T15:00:00.000Z',
      valueQuantity: { value: 37.8, unit: '%', system: UCUM, code: '%' },
      derivedFrom: [{ reference: `QuestionnaireResponse/${QUESTIONNAIRE}` }],
    });
    expect(codes(obs.code)).toEqual([`${LOINC}|97909-6`]);
    expect(codes(obs.category![0])).toEqual([
      'http://terminology.hl7.org/CodeSystem/observation-category|survey',
    ]);
  });

  it('has no ODI Observation for other instruments, nor for an unreadable score', () => {
    expect(odiObservation(odiRow({ instrument: 'psfs' }))).toBeNull();
    expect(odiObservation(odiRow({ instrument: 'startback' }))).toBeNull();
    expect(odiObservation(odiRow({ score: {} }))).toBeNull();
  });

  it('a STarT Back: items 1–8 as booleans, item 9 and the stratum coded', () => {
    const qr = questionnaireResponse(
      odiRow({
        instrument: 'startback',
        answers: {
          agree: [true, false, true, true, false, true, true, false],
          bothersomeness: 'very_much',
        },
        score: { total: 6, psychosocial: 4, stratum: 'high' },
      }),
    );
    expectValidFhir(qr);
    expect(qr.questionnaire).toBe(`${FHIR_CANONICAL_BASE}/Questionnaire/startback`);
    const all = answersOf(qr.item);
    expect(
      all.filter((i) => /^item-[1-8]$/.test(i.linkId)).map((i) => i.answer![0].valueBoolean),
    ).toEqual([true, false, true, true, false, true, true, false]);
    expect(all.find((i) => i.linkId === 'item-9')!.answer![0].valueCoding!.code).toBe('very_much');
    expect(all.find((i) => i.linkId === 'score.stratum')!.answer![0].valueCoding!.code).toBe(
      'high',
    );
    expect(all.find((i) => i.linkId === 'score.total')!.answer).toEqual([{ valueInteger: 6 }]);
  });

  it('a PSFS: a group per activity with its name and score, and the mean', () => {
    const qr = questionnaireResponse(
      odiRow({
        instrument: 'psfs',
        answers: {
          activities: [
            { name: 'Sitting at work', score: 4 },
            { name: 'Tying shoes', score: 7 },
          ],
        },
        score: { mean: 5.5 },
      }),
    );
    expectValidFhir(qr);
    expect(qr.item!.slice(0, 2)).toEqual([
      {
        linkId: 'activity-1',
        item: [
          { linkId: 'activity-1.name', answer: [{ valueString: 'Sitting at work' }] },
          { linkId: 'activity-1.score', answer: [{ valueInteger: 4 }] },
        ],
      },
      {
        linkId: 'activity-2',
        item: [
          { linkId: 'activity-2.name', answer: [{ valueString: 'Tying shoes' }] },
          { linkId: 'activity-2.score', answer: [{ valueInteger: 7 }] },
        ],
      },
    ]);
    expect(answersOf(qr.item).find((i) => i.linkId === 'score.mean')!.answer).toEqual([
      { valueDecimal: 5.5 },
    ]);
  });

  it('malformed stored answers give a valid, emptier response rather than an invalid one', () => {
    for (const instrument of ['odi', 'startback', 'psfs'] as const) {
      const qr = questionnaireResponse(odiRow({ instrument, answers: { junk: 1 }, score: {} }));
      expectValidFhir(qr);
      expect(qr.item).toBeUndefined();
    }
  });
});

describe('sessionProcedure', () => {
  const proc = sessionProcedure(sessionRow(), CATALOG);

  it('is a completed exercise-therapy Procedure over the session, based on its program', () => {
    expectValidFhir(proc);
    expect(proc).toMatchObject({
      id: SESSION,
      status: 'completed',
      subject: { reference: `Patient/${PATIENT}` },
      basedOn: [{ reference: `CarePlan/${PROGRAM}` }],
      performedPeriod: { start: '2026-10-05T13:30:00.000Z', end: '2026-10-05T13:55:00.000Z' },
    });
    expect(codes(proc.code)).toEqual([`${SNOMED}|229065009`]);
  });

  it('lists each exercise done as an extension and in the note', () => {
    const done = proc.extension!.filter((e) => e.url === SESSION_EXERCISE_EXTENSION_URL);
    expect(done).toHaveLength(2);
    expect(done[0].extension).toEqual<Extension[]>([
      {
        url: 'exercise',
        valueCoding: {
          system: EXERCISE_CODE_SYSTEM_URL,
          code: 'prone_press_up',
          display: 'Press-up on elbows (prone extension)',
        },
      },
      { url: 'reps', valueInteger: 10 },
      { url: 'holdSeconds', valueInteger: 5 },
    ]);
    expect(proc.note![0].text).toBe(
      'Exercises done: Press-up on elbows (prone extension): 10 repetitions, held 5 s; Glute bridge: 2 sets of 8 repetitions.',
    );
  });

  it('without a duration is a point in time, and without a program is based on nothing', () => {
    const p = sessionProcedure(
      sessionRow({ durationMinutes: null, programId: null, items: [] }),
      CATALOG,
    );
    expectValidFhir(p);
    expect(p.performedDateTime).toBe('2026-10-05T13:30:00.000Z');
    expect(p.performedPeriod).toBeUndefined();
    expect(p.basedOn).toBeUndefined();
    expect(p.extension).toBeUndefined();
    expect(p.note).toBeUndefined();
  });
});

describe('progressionFlag', () => {
  it.each(PROGRESSION_FLAGS.map((f) => [f]))('%s is a valid active clinical Flag', (flag) => {
    const f = progressionFlag({
      patientId: PATIENT,
      flag,
      since: '2026-10-01',
      computedAt: '2026-10-06T03:00:00.000Z',
    });
    expectValidFhir(f);
    expect(f).toMatchObject({
      id: `${flag.toLowerCase().replace(/_/g, '-')}-${PATIENT}`,
      status: 'active',
      subject: { reference: `Patient/${PATIENT}` },
      period: { start: '2026-10-01' },
      meta: { lastUpdated: '2026-10-06T03:00:00.000Z' },
    });
    expect(codes(f.category![0])).toEqual([
      'http://terminology.hl7.org/CodeSystem/flag-category|clinical',
    ]);
    expect(codes(f.code)).toEqual([`${PROGRESSION_FLAG_CODE_SYSTEM_URL}|${flag}`]);
    expect(f.code.coding![0].display).toBeTruthy();
    expect(f.code.coding![0].display).not.toContain('_');
  });
});

describe('alertFlag', () => {
  it.each([
    ['open', 'active'],
    ['acknowledged', 'active'],
    ['resolved', 'inactive'],
  ] as const)('an %s alert is a %s Flag', (status, flagStatus) => {
    const resolvedAt = status === 'resolved' ? '2026-10-07T09:00:00.000Z' : null;
    const f = alertFlag(alertRow({ status, resolvedAt }));
    expectValidFhir(f);
    expect(f.status).toBe(flagStatus);
    expect(f.period).toEqual({
      start: '2026-10-05T14:03:02.000Z',
      ...(resolvedAt ? { end: resolvedAt } : {}),
    });
    expect(f.meta!.tag![0].code).toBe(status);
  });

  it('is coded from the rule CodeSystem, clinical, with its priority and its finding', () => {
    const f = alertFlag(alertRow({ severity: 'urgent', rule: 'RED_FLAG_CAUDA_EQUINA' }));
    expect(f.id).toBe(ALERT);
    expect(codes(f.code)).toEqual([`${RULE_CODE_SYSTEM_URL}|RED_FLAG_CAUDA_EQUINA`]);
    expect(codes(f.category![0])).toEqual([
      'http://terminology.hl7.org/CodeSystem/flag-category|clinical',
    ]);
    expect(f.extension).toEqual([
      {
        url: 'http://hl7.org/fhir/StructureDefinition/flag-priority',
        valueCodeableConcept: {
          coding: [
            {
              system: 'http://hl7.org/fhir/flag-priority-code',
              code: 'PH',
              display: 'High priority',
            },
          ],
        },
      },
      {
        url: 'http://hl7.org/fhir/StructureDefinition/flag-detail',
        valueReference: { reference: `DetectedIssue/${FINDING}` },
      },
    ]);
    expect(alertFlag(alertRow()).extension![0].valueCodeableConcept!.coding![0].code).toBe('PM');
  });
});

describe('findingDetectedIssue', () => {
  it.each([
    ['a pain report', { painReportId: PAIN }, `Observation/${PAIN}`],
    [
      'a questionnaire',
      { painReportId: null, questionnaireId: QUESTIONNAIRE, rule: 'DISABILITY_WORSENED' as const },
      `QuestionnaireResponse/${QUESTIONNAIRE}`,
    ],
    [
      'a session',
      { painReportId: null, sessionId: SESSION, rule: 'LEG_PAIN_WORSE' as const },
      `Procedure/${SESSION}`,
    ],
  ])('found on %s points at it as evidence', (_n, row, reference) => {
    const issue = findingDetectedIssue(findingRow(row));
    expectValidFhir(issue);
    expect(issue.evidence).toEqual([{ detail: [{ reference }] }]);
  });

  it('with no source has no evidence, and with several lists each', () => {
    expect(findingDetectedIssue(findingRow({ painReportId: null })).evidence).toBeUndefined();
    const both = findingDetectedIssue(findingRow({ sessionId: SESSION }));
    expectValidFhir(both);
    expect(both.evidence!.map((e) => e.detail![0].reference)).toEqual([
      `Observation/${PAIN}`,
      `Procedure/${SESSION}`,
    ]);
  });

  it.each([
    ['urgent', 'high'],
    ['warning', 'moderate'],
    ['info', 'low'],
    ['positive', 'low'],
  ] as const)('severity %s is %s', (severity, expected) => {
    const issue = findingDetectedIssue(findingRow({ severity }));
    expect(issue.severity).toBe(expected);
    expect(issue.meta!.tag![0].code).toBe(severity);
  });

  it('is final, coded from the rule CodeSystem, with a short description in our words', () => {
    const issue = findingDetectedIssue(findingRow());
    expect(issue).toMatchObject({
      id: FINDING,
      status: 'final',
      patient: { reference: `Patient/${PATIENT}` },
      identifiedDateTime: '2026-10-05T14:03:02.000Z',
      detail:
        'Pain spread farther down the leg (warning). The app advised the patient to pause the exercises.',
    });
    expect(codes(issue.code)).toEqual([`${RULE_CODE_SYSTEM_URL}|PERIPHERALIZATION`]);
  });

  it.each(RULE_IDS.map((r) => [r]))('rule %s has a display and makes valid resources', (rule) => {
    const issue = findingDetectedIssue(findingRow({ rule }));
    expectValidFhir(issue);
    expect(issue.code!.coding![0].display).toMatch(/^[A-Z]/);
    expectValidFhir(alertFlag(alertRow({ rule })));
  });
});

describe('the mappers share no objects between resources', () => {
  it('editing one resource leaves the next one intact', () => {
    const a: Observation = dailyStepsObservation(stepsRow());
    a.category![1].coding![0].code = 'changed';
    const b = dailyStepsObservation(stepsRow());
    assertPhysicalActivitySteps(b);
  });
});

describe('narrative texts', () => {
  it('names both sides after the site, one side before it', () => {
    expect(painObservation(painRow({ side: 'both' })).bodySite!.text).toBe('Calf, both sides');
    expect(painObservation(painRow({ side: 'right', mostDistalSite: 'foot' })).bodySite!.text).toBe(
      'Right foot',
    );
  });

  it('a hold without a rule as its reason does not blame the rules', () => {
    const plan = carePlanResource(program({ status: 'paused', statusReason: null }), CATALOG);
    expect(plan.description).toBe('Paused (starting 2026-10-05).');
  });

  it('the added walking activity reads "Walking" even when the catalog lacks it', () => {
    const plan = carePlanResource(program(), new Map());
    expectValidFhir(plan);
    expect(plan.activity!.at(-1)!.detail!.code!.text).toBe('Walking');
  });
});
