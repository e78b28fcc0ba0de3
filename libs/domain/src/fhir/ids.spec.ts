import fc from 'fast-check';
import { PROGRESSION_FLAGS } from '../adherence/types';
import {
  dailyStepsObservationId,
  FHIR_ID,
  parseDailyStepsObservationId,
  parseFlagId,
  parseProgressionFlagId,
  progressionFlagId,
  progressionFlagSlug,
} from './ids';

const SEED = 42;
const PATIENT = '0b6f3a52-9c1e-4d7a-8e2f-5a4b3c2d1e0f';

const uuidArb = fc.uuid();
const dayArb = fc
  .date({
    min: new Date('1990-01-01T00:00:00Z'),
    max: new Date('2099-12-31T00:00:00Z'),
    noInvalidDate: true,
  })
  .map((d) => d.toISOString().slice(0, 10));

describe('daily steps Observation ids', () => {
  it('is steps-{patient}-{day}, a valid FHIR id', () => {
    const id = dailyStepsObservationId(PATIENT, '2026-03-08');
    expect(id).toBe(`steps-${PATIENT}-2026-03-08`);
    expect(id).toMatch(FHIR_ID);
    expect(id.length).toBeLessThanOrEqual(64);
  });

  it('round-trips for any UUID patient and calendar day', () => {
    fc.assert(
      fc.property(uuidArb, dayArb, (patientId, localDate) => {
        const id = dailyStepsObservationId(patientId, localDate);
        expect(id).toMatch(FHIR_ID);
        expect(parseDailyStepsObservationId(id)).toEqual({ patientId, localDate });
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('round-trips for any patient id made of id characters, whatever dashes it holds', () => {
    const idChars = fc.constantFrom(...'abcXYZ0189-.'.split(''));
    fc.assert(
      fc.property(
        fc.string({ unit: idChars, minLength: 1, maxLength: 40 }),
        dayArb,
        (patientId, day) => {
          expect(parseDailyStepsObservationId(dailyStepsObservationId(patientId, day))).toEqual({
            patientId,
            localDate: day,
          });
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it.each([
    ['a day that does not exist', () => dailyStepsObservationId(PATIENT, '2026-02-30')],
    ['a malformed day', () => dailyStepsObservationId(PATIENT, '2026-3-8')],
    ['a patient id with a space', () => dailyStepsObservationId('a b', '2026-03-08')],
    ['an id over 64 characters', () => dailyStepsObservationId('x'.repeat(60), '2026-03-08')],
  ])('refuses %s', (_name, build) => {
    expect(build).toThrow(RangeError);
  });

  it.each([
    `steps-${PATIENT}-2026-02-30`,
    `steps-${PATIENT}`,
    `steps--2026-03-08`,
    `pain-${PATIENT}-2026-03-08`,
    PATIENT,
    'steps-a b-2026-03-08',
    '',
  ])('parses %j as no steps id', (id) => {
    expect(parseDailyStepsObservationId(id)).toBeNull();
  });
});

describe('progression Flag ids', () => {
  it.each(PROGRESSION_FLAGS.map((flag) => [flag]))('%s fits a FHIR id with a UUID', (flag) => {
    const id = progressionFlagId(flag, PATIENT);
    expect(id).toBe(`${flag.toLowerCase().replace(/_/g, '-')}-${PATIENT}`);
    expect(id).toMatch(FHIR_ID);
    expect(parseProgressionFlagId(id)).toEqual({ flag, patientId: PATIENT });
    expect(parseFlagId(id)).toEqual({ kind: 'progression', flag, patientId: PATIENT });
  });

  it('round-trips for any flag and patient', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PROGRESSION_FLAGS), uuidArb, (flag, patientId) => {
        expect(parseProgressionFlagId(progressionFlagId(flag, patientId))).toEqual({
          flag,
          patientId,
        });
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('no slug is the prefix of another, so the parse is never ambiguous', () => {
    const slugs = PROGRESSION_FLAGS.map(progressionFlagSlug);
    for (const a of slugs) {
      for (const b of slugs) if (a !== b) expect(b.startsWith(`${a}-`)).toBe(false);
    }
  });

  it('reads an alert UUID as an alert, never as a progression flag', () => {
    fc.assert(
      fc.property(uuidArb, (alertId) => {
        expect(parseProgressionFlagId(alertId)).toBeNull();
        expect(parseFlagId(alertId)).toEqual({ kind: 'alert', alertId });
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it.each(['rest-gap-exceeded-', 'rest-gap-exceeded', 'not an id', ''])(
    'parses %j as nothing',
    (id) => {
      expect(parseProgressionFlagId(id)).toBeNull();
    },
  );
});
