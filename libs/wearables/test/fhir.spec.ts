import {
  collect,
  importFixture,
  contextIn,
  row,
  rowsOf,
  sortedRejections,
  stepsByDayAndSource,
} from './fixture-import';
import { parseImport, payloadOf } from '../src';

const PARIS = 'Europe/Paris';
const BRIDGE = 'https://healthbridge.example.org/fhir';

describe('FHIR parser', () => {
  it('turns step Observations of a Bundle into samples, the patient-local day for daily counts', async () => {
    const result = await importFixture('fhir', 'fhir/bundle.json', PARIS);

    expect(rowsOf(result.samples)).toEqual([
      // 01:30 CET to 03:30 CEST on the day Paris springs forward: one hour. Phone and watch.
      row(0, '2026-03-29T00:30:00Z', '2026-03-29T01:30:00Z', 980, BRIDGE, { device: 'iPhone 15' }),
      row(1, '2026-03-29T00:30:00Z', '2026-03-29T01:30:00Z', 1045, BRIDGE, {
        device: 'Apple Watch Series 9',
      }),
      // A bare date is the whole local day: 23 hours that day. Count sent as a string.
      row(2, '2026-03-28T23:00:00Z', '2026-03-29T22:00:00Z', 10412, 'fhir', { granularity: 'day' }),
      // A time with an offset: the local day it falls in; the repeated delivery (5) is kept.
      row(3, '2026-11-01T23:00:00Z', '2026-11-02T23:00:00Z', 8650, BRIDGE, {
        device: 'Apple Watch Series 9',
        granularity: 'day',
      }),
      row(4, '2026-11-02T23:00:00Z', '2026-11-03T23:00:00Z', 7020, BRIDGE, {
        device: 'Apple Watch Series 9',
        granularity: 'day',
      }),
      row(5, '2026-11-01T23:00:00Z', '2026-11-02T23:00:00Z', 8650, BRIDGE, {
        device: 'Apple Watch Series 9',
        granularity: 'day',
      }),
      row(6, '2026-11-05T09:00:00Z', '2026-11-05T09:30:00Z', 1500, BRIDGE, { manual: true }),
    ]);

    expect(stepsByDayAndSource(result.samples, PARIS)).toEqual({
      [`2026-03-29 ${BRIDGE} / iPhone 15`]: 980,
      [`2026-03-29 ${BRIDGE} / Apple Watch Series 9`]: 1045,
      '2026-03-29 fhir': 10412,
      [`2026-11-02 ${BRIDGE} / Apple Watch Series 9`]: 17300,
      [`2026-11-03 ${BRIDGE} / Apple Watch Series 9`]: 7020,
      [`2026-11-05 ${BRIDGE}`]: 1500,
    });

    expect(sortedRejections(result.rejections)).toEqual([
      { index: 7, reason: 'starts in the future' },
      { index: 8, reason: 'effectiveDateTime with a time needs an offset' },
      { index: 13, reason: 'pain observation needs an id' },
      { index: 14, reason: expect.stringContaining('not a bare date') },
      { index: 15, reason: 'bodySite does not name low back, buttock, thigh, calf or foot' },
      { index: 16, reason: 'pain intensity must be a whole number from 0 to 10' },
      { index: 17, reason: 'unsupported observation code 8867-4' },
      { index: 18, reason: 'entry is a Patient, not an Observation' },
      { index: 20, reason: 'valueQuantity.value must be a number' },
      { index: 21, reason: 'pain is reported in the future' },
    ]);
    // An entered-in-error Observation withdraws what its id stored.
    expect(result.retractions).toEqual([{ recordId: 'fhir:steps-error', ref: { index: 19 } }]);
  });

  it('reads pain ratings with their most distal site and side', async () => {
    const result = await importFixture('fhir', 'fhir/bundle.json', PARIS);

    expect(result.pains).toEqual([
      // valueInteger; SNOMED lower leg, side from the text.
      {
        externalId: 'pain-1105-am',
        reportedAt: new Date('2026-11-05T07:15:00Z'),
        intensity: 6,
        mostDistalSite: 'calf',
        side: 'left',
        ref: { index: 9 },
      },
      // A LOINC answer code (LA6114-8 = 3); no side named.
      {
        externalId: 'pain-1106-am',
        reportedAt: new Date('2026-11-06T07:40:00Z'),
        intensity: 3,
        mostDistalSite: 'low_back',
        side: null,
        ref: { index: 10 },
      },
      // A bare code '7'; two sites named: the most distal one, both sides.
      {
        externalId: 'pain-1106-pm',
        reportedAt: new Date('2026-11-06T17:20:00Z'),
        intensity: 7,
        mostDistalSite: 'thigh',
        side: 'both',
        ref: { index: 11 },
      },
      // A numeric text; SNOMED foot with the SNOMED right laterality.
      {
        externalId: 'pain-1107-pm',
        reportedAt: new Date('2026-11-07T18:00:00Z'),
        intensity: 4,
        mostDistalSite: 'foot',
        side: 'right',
        ref: { index: 12 },
      },
    ]);
  });

  it('reads a single Observation, its valueInteger sent as a string', async () => {
    const result = await importFixture('fhir', 'fhir/observation.json', PARIS);

    expect(rowsOf(result.samples)).toEqual([
      row(0, '2026-11-09T06:45:00Z', '2026-11-09T07:05:00Z', 350, 'com.example.pedometer'),
    ]);
    expect(result.rejections).toEqual([]);
  });

  it('rejects a body that is neither a Bundle nor an Observation', async () => {
    const body = JSON.stringify({ resourceType: 'Patient', id: 'p-1' });
    const result = await collect(parseImport('fhir', payloadOf(body), contextIn(PARIS)));

    expect(result.samples).toEqual([]);
    expect(result.rejections).toEqual([{ reason: 'body must be a FHIR Bundle or Observation' }]);
  });
});
