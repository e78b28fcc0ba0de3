// The shared test validator (test/support/fhir-validator.ts) must reject what it claims to:
// otherwise every "valid FHIR" assertion in the mapper specs would prove nothing.
import {
  assertPhysicalActivityCarePlan,
  assertPhysicalActivityGoal,
  assertPhysicalActivitySteps,
  fhirIssues,
  validateFhir,
} from '../../../../test/support/fhir-validator';
import { dailyStepsObservation } from './resources';

// Resources spoiled on purpose: their JSON, loosely typed.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

const steps = () =>
  dailyStepsObservation({
    patientId: '0b6f3a52-9c1e-4d7a-8e2f-5a4b3c2d1e0f',
    localDate: '2026-10-05',
    timezone: 'Europe/Paris',
    steps: 5000,
    updatedAt: '2026-10-06T01:00:00.000Z',
  }) as unknown as Loose;

const obs = (extra: Record<string, unknown>) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { text: 'x' },
  ...extra,
});

describe('the test validator', () => {
  it.each<[string, unknown, RegExp]>([
    ['an unknown element', { resourceType: 'Patient', nickname: 'x' }, /nickname/],
    [
      'a missing required element',
      { resourceType: 'Flag', status: 'active', subject: { reference: 'Patient/1' } },
      /Flag.code/,
    ],
    [
      'a malformed instant',
      { resourceType: 'Patient', meta: { lastUpdated: '2026-10-05' } },
      /instant/i,
    ],
    ['an id with an underscore', { resourceType: 'Patient', id: 'a_b' }, /not a FHIR id/],
    ['an id over 64 characters', { resourceType: 'Patient', id: 'a'.repeat(65) }, /not a FHIR id/],
    ['an empty array', { resourceType: 'Patient', identifier: [] }, /empty array/],
    ['an empty string', { resourceType: 'Patient', identifier: [{ value: '' }] }, /empty string/],
    ['a time without a zone', obs({ effectiveDateTime: '2026-10-05T10:00:00' }), /time zone/],
    [
      'a Period ending before it starts',
      obs({ effectivePeriod: { start: '2026-10-06', end: '2026-10-05' } }),
      /after end/,
    ],
    ['a coded unit without system', obs({ valueQuantity: { value: 1, code: '/d' } }), /system/],
    [
      'a narrative that is not an XHTML div',
      { resourceType: 'Patient', text: { status: 'generated', div: '<p>x</p>' } },
      /XHTML/,
    ],
    ['no resourceType', { id: 'x' }, /resourceType/],
  ])('rejects %s', (_name, resource, message) => {
    expect(fhirIssues(resource).join('\n')).toMatch(message);
    expect(() => validateFhir(resource)).toThrow(message);
  });

  it.each<[string, (o: Loose) => void, RegExp]>([
    ['without the PA category', (o) => o.category.pop(), /PhysicalActivity/],
    ['without the activity category', (o) => o.category.shift(), /activity/],
    ['in another unit', (o) => (o.valueQuantity.code = '1'), /UCUM \/d/],
    ['with another code', (o) => (o.code.coding[0].code = '55423-8'), /41950-7/],
    ['with a preliminary status', (o) => (o.status = 'preliminary'), /status/],
    ['with a fractional count', (o) => (o.valueQuantity.value = 10.5), /whole number/],
    ['with a bodySite', (o) => (o.bodySite = { text: 'wrist' }), /bans/],
  ])('assertPhysicalActivitySteps rejects steps %s', (_name, spoil, message) => {
    const o = steps();
    assertPhysicalActivitySteps(o);
    spoil(o);
    expect(() => assertPhysicalActivitySteps(o)).toThrow(message);
  });

  it('assertPhysicalActivityCarePlan and assertPhysicalActivityGoal reject a bare resource', () => {
    const subject = { reference: 'Patient/1' };
    expect(() =>
      assertPhysicalActivityCarePlan({
        resourceType: 'CarePlan',
        status: 'active',
        intent: 'plan',
        subject,
      }),
    ).toThrow(/PhysicalActivity/);
    expect(() =>
      assertPhysicalActivityGoal({
        resourceType: 'Goal',
        lifecycleStatus: 'active',
        description: { text: 'x' },
        subject,
      }),
    ).toThrow(/PhysicalActivity/);
  });
});
