import type { ActivitySample } from '../src';
import { parseImport, payloadOf, sampleProblem } from '../src';
import { collect, contextIn } from './fixture-import';

// How each parser identifies a record a source may send again, and the checks every sample
// passes: the rules behind the corpus in test/fixtures, one case at a time.
const PARIS = 'Europe/Paris';

const parse = (format: Parameters<typeof parseImport>[0], body: unknown, timezone = PARIS) =>
  collect(parseImport(format, payloadOf(JSON.stringify(body)), contextIn(timezone)));

const sample = (more: Partial<ActivitySample> = {}): ActivitySample => ({
  source: { name: 'iPhone', device: null },
  start: new Date('2026-11-10T10:00:00Z'),
  end: new Date('2026-11-10T10:10:00Z'),
  steps: 600,
  activeMinutes: null,
  activityType: null,
  manual: false,
  granularity: 'interval',
  record: null,
  ref: { index: 0 },
  ...more,
});

describe('sample checks', () => {
  const at = new Date('2026-11-10T12:00:00Z');
  it.each<[string, Partial<ActivitySample>, string | null]>([
    ['an interval', {}, null],
    [
      'a count at one instant',
      { granularity: 'point', end: new Date('2026-11-10T10:00:00Z') },
      null,
    ],
    [
      'a point that lasts',
      { granularity: 'point' },
      'a count at one instant must end where it starts',
    ],
    [
      'an interval without duration',
      { end: new Date('2026-11-10T10:00:00Z') },
      'end is not after start',
    ],
    [
      'a point of more than a day’s walking',
      { granularity: 'point', end: new Date('2026-11-10T10:00:00Z'), steps: 100_001 },
      'more than 100000 steps at one instant',
    ],
    [
      'a source name of 201 characters',
      { source: { name: 'x'.repeat(201), device: null } },
      'the source name is longer than 200 characters',
    ],
    [
      'a NUL in a device name',
      { source: { name: 'iPhone', device: 'a\u0000b' } },
      'the device name contains a NUL character',
    ],
    [
      'a sample from a clock never set (1970)',
      { start: new Date('1970-01-01T00:00:00Z'), end: new Date('1970-01-01T00:15:00Z') },
      'starts before 2000 (a device clock that was never set?)',
    ],
    [
      'a sample of the first day of 2000',
      { start: new Date('2000-01-01T00:00:00Z'), end: new Date('2000-01-01T00:15:00Z') },
      null,
    ],
    [
      'a record id of 1,001 characters',
      { record: { id: 'r'.repeat(1001), revision: 0 } },
      'the record id is longer than 1000 characters',
    ],
  ])('%s', (_, more, problem) => {
    expect(sampleProblem(sample(more), at)).toBe(problem);
  });
});

describe('Garmin records', () => {
  const epoch = (more: object = {}) => ({
    userId: 'u1',
    activityType: 'WALKING',
    steps: 300,
    startTimeInSeconds: 1794301200,
    durationInSeconds: 900,
    activeTimeInSeconds: 600,
    ...more,
  });

  it('names an epoch by account, start and activity type, its duration the revision', async () => {
    const { samples } = await parse('garmin', {
      epochs: [epoch(), epoch({ activityType: 'SEDENTARY', steps: 0, durationInSeconds: 720 })],
    });
    expect(samples.map((s) => [s.record, s.source.account, s.activeMinutes])).toEqual([
      [{ id: 'garmin:u1:epoch:1794301200:walking', revision: 900 }, 'u1', 10],
      // Sitting is not activity, however long.
      [{ id: 'garmin:u1:epoch:1794301200:sedentary', revision: 720 }, 'u1', 0],
    ]);
  });

  it.each<[string, object, string]>([
    [
      'an epoch longer than 15 minutes',
      epoch({ durationInSeconds: 901 }),
      'epochs[0]: durationInSeconds of an epoch must be 1 to 900',
    ],
    [
      'a fractional start',
      epoch({ startTimeInSeconds: 1794301200.5 }),
      'epochs[0]: startTimeInSeconds must be a whole number of seconds',
    ],
    ['another user', epoch({ userId: 'u2' }), 'epochs[0]: userId differs from the other summaries'],
  ])('refuses %s', async (_, bad, reason) => {
    // The first summary of the body names the account the others must share.
    const { rejections } = await parse('garmin', {
      epochs: [bad],
      dailies: [{ userId: 'u1', calendarDate: '2026-11-10', steps: 1 }],
    });
    expect(rejections).toEqual([{ index: 0, reason }]);
  });

  it('puts a daily without calendarDate on the date its device showed at the start', async () => {
    const { samples } = await parse(
      'garmin',
      {
        dailies: [
          // 2026-11-12 05:00 UTC at UTC-5 is midnight of 12 November on the device.
          {
            userId: 'u1',
            steps: 9000,
            startTimeInSeconds: 1794459600,
            startTimeOffsetInSeconds: -18000,
            durationInSeconds: 86400,
          },
        ],
      },
      PARIS,
    );
    expect(samples.map((s) => [s.start.toISOString(), s.end.toISOString(), s.record])).toEqual([
      [
        '2026-11-11T23:00:00.000Z',
        '2026-11-12T23:00:00.000Z',
        { id: 'garmin:u1:daily:2026-11-12', revision: 86400 },
      ],
    ]);
  });
});

describe('Open mHealth records', () => {
  const interval = (duration?: object) => ({
    time_interval: duration
      ? { start_date_time: '2026-11-10T08:00:00+01:00', duration }
      : {
          start_date_time: '2026-11-10T08:00:00+01:00',
          end_date_time: '2026-11-10T08:30:00+01:00',
        },
  });

  it.each<[string, object, string]>([
    [
      'a duration in months',
      { step_count: 10, effective_time_frame: interval({ value: 1, unit: 'Mo' }) },
      'duration must be { value, unit } with unit ps, ns, us, ms, sec, min, h, d or wk',
    ],
    [
      'a duration in "s"',
      { step_count: 10, effective_time_frame: interval({ value: 30, unit: 's' }) },
      'duration must be { value, unit } with unit ps, ns, us, ms, sec, min, h, d or wk',
    ],
    [
      'a step_count without its unit',
      { step_count: { value: 10 }, effective_time_frame: interval() },
      'step_count.unit must be steps, not missing',
    ],
    [
      'an activity statistic',
      {
        activity_name: 'walking',
        descriptive_statistic: 'average',
        effective_time_frame: interval(),
      },
      'the activity is the average (descriptive_statistic), not a count: only counts are imported',
    ],
  ])('refuses %s', async (_, body, reason) => {
    const { samples, rejections } = await parse('openmhealth', body);
    expect(samples).toEqual([]);
    expect(rejections).toEqual([{ index: 0, reason }]);
  });

  it('names a data point by its header id, revised by its last modification', async () => {
    const { samples } = await parse('openmhealth', {
      header: {
        id: 'dp-1',
        schema_id: { namespace: 'omh', name: 'step-count', version: '1.0' },
        source_last_modification_date_time: '2026-11-10T09:00:00Z',
      },
      body: { step_count: 10, effective_time_frame: interval({ value: 90, unit: 'sec' }) },
    });
    expect(samples.map((s) => [s.record, s.end.toISOString()])).toEqual([
      [
        { id: 'openmhealth:dp-1', revision: Date.parse('2026-11-10T09:00:00Z') },
        '2026-11-10T07:01:30.000Z',
      ],
    ]);
  });
});

describe('FHIR steps', () => {
  const observation = (more: object) => ({
    resourceType: 'Observation',
    id: 'o-1',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '55423-8' }] },
    effectivePeriod: { start: '2026-11-10T10:00:00+01:00', end: '2026-11-10T10:30:00+01:00' },
    ...more,
  });

  it.each<[string, object, string | null]>([
    ['UCUM {steps}', { value: 10, system: 'http://unitsofmeasure.org', code: '{steps}' }, null],
    ['UCUM /(24.h)', { value: 10, system: 'http://unitsofmeasure.org', code: '/(24.h)' }, null],
    ['unit text "steps/day"', { value: 10, unit: 'steps/day' }, null],
    ['unit text "/d"', { value: 10, unit: '/d' }, null],
    ['no unit at all', { value: 10 }, null],
    [
      'UCUM km',
      { value: 10, system: 'http://unitsofmeasure.org', code: 'km' },
      'valueQuantity code km is not a unit of steps ({steps}, /d, {steps}/d, /(24.h))',
    ],
    [
      'another system without a unit text',
      { value: 10, system: 'http://snomed.info/sct', code: '258701004' },
      'valueQuantity code 258701004 of http://snomed.info/sct is not a unit of steps',
    ],
    [
      'unit text "kcal"',
      { value: 10, unit: 'kcal' },
      'valueQuantity unit kcal is not a unit of steps',
    ],
  ])('valueQuantity in %s', async (_, quantity, reason) => {
    const { samples, rejections } = await parse('fhir', observation({ valueQuantity: quantity }));
    expect([samples.length, rejections]).toEqual(reason ? [0, [{ index: 0, reason }]] : [1, []]);
  });

  it.each<[string, object, string]>([
    [
      'status unknown',
      { status: 'unknown' },
      'observation status is unknown: only final, amended or corrected results are imported',
    ],
    [
      'no status',
      { status: undefined },
      'observation status is missing: only final, amended or corrected results are imported',
    ],
    [
      'an id that is not a FHIR id',
      { id: 'a b' },
      "id must be 1 to 64 letters, digits, '-' or '.' (a FHIR id)",
    ],
    [
      'entered-in-error without an id',
      { id: undefined, status: 'entered-in-error' },
      'an entered-in-error observation needs the id it withdraws',
    ],
  ])('refuses %s', async (_, more, reason) => {
    const { rejections } = await parse('fhir', observation({ valueInteger: 10, ...more }));
    expect(rejections).toEqual([{ index: 0, reason }]);
  });

  it('names an Observation by its id, revised by meta.lastUpdated', async () => {
    const { samples } = await parse(
      'fhir',
      observation({
        valueInteger: 10,
        status: 'corrected',
        meta: { lastUpdated: '2026-11-10T12:00:00Z' },
      }),
    );
    expect(samples.map((s) => s.record)).toEqual([
      { id: 'fhir:o-1', revision: Date.parse('2026-11-10T12:00:00Z') },
    ]);
  });
});

describe('Health Connect records', () => {
  const record = (metadata: object) => ({
    startTime: '2026-11-10T16:00:00Z',
    endTime: '2026-11-10T16:10:00Z',
    count: 900,
    metadata,
  });

  it.each<[string, object, string, { id: string; revision: number } | null]>([
    [
      'a plain-string dataOrigin',
      { id: 'a', dataOrigin: 'com.fitbit.FitbitMobile', lastModifiedTime: '2026-11-10T16:11:00Z' },
      'com.fitbit.FitbitMobile',
      { id: 'health-connect:a', revision: Date.parse('2026-11-10T16:11:00Z') },
    ],
    [
      'a packageName dataOrigin',
      { id: 'b', dataOrigin: { packageName: 'com.whoop.android' }, clientRecordVersion: 3 },
      'com.whoop.android',
      { id: 'health-connect:b', revision: 3 },
    ],
    ['no id', { dataOrigin: { packageName: 'com.whoop.android' } }, 'com.whoop.android', null],
  ])('reads %s', async (_, metadata, name, recordOfIt) => {
    const { samples } = await parse(
      'health-connect',
      { records: [record(metadata)] },
      'America/Los_Angeles',
    );
    expect(samples.map((s) => [s.source.name, s.record])).toEqual([[name, recordOfIt]]);
  });
});
