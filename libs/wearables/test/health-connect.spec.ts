import { parseImport, payloadOf } from '../src';
import {
  collect,
  importFixture,
  contextIn,
  row,
  rowsOf,
  sortedRejections,
  stepsByDayAndSource,
} from './fixture-import';

const NEW_YORK = 'America/New_York';
const FIT = 'com.google.android.apps.fitness';
const SHEALTH = 'com.sec.android.app.shealth';
const STEP_COUNTER = 'com.example.stepcounter';
const FITBIT = 'com.fitbit.FitbitMobile';

describe('Health Connect parser', () => {
  it('normalizes StepsRecords, reading offset-less times with the zone offset or the patient zone', async () => {
    const result = await importFixture(
      'health-connect',
      'health-connect/steps-records.json',
      NEW_YORK,
    );

    expect(rowsOf(result.samples)).toEqual([
      // 01:30 EDT to 01:30 EST on the day New York falls back: one hour.
      row(0, '2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z', 640, FIT, {
        device: 'Google Pixel 8',
      }),
      // No Z: 01:15 read with its own offset (-18000 s, the second 01:15), count as a string.
      row(1, '2026-11-01T06:15:00Z', '2026-11-01T06:45:00Z', 212, SHEALTH, {
        device: 'samsung SM-S921B',
      }),
      // No Z and no zone offset: the patient's zone, first occurrence of the repeated hour.
      row(2, '2026-11-01T05:15:00Z', '2026-11-01T05:45:00Z', 198, STEP_COUNTER),
      // Phone and watch over the same walk; the phone's record delivered twice.
      row(3, '2026-11-03T14:00:00Z', '2026-11-03T14:30:00Z', 2890, FIT, {
        device: 'Google Pixel 8',
      }),
      row(4, '2026-11-03T14:00:00Z', '2026-11-03T14:30:00Z', 3012, FITBIT, {
        device: 'Google Pixel Watch 2',
      }),
      row(5, '2026-11-03T14:00:00Z', '2026-11-03T14:30:00Z', 2890, FIT, {
        device: 'Google Pixel 8',
      }),
      // Manual entries: recordingMethod 3 and its constant name.
      row(6, '2026-11-04T15:00:00Z', '2026-11-04T16:00:00Z', 1500, FIT, { manual: true }),
      row(7, '2026-11-05T17:00:00Z', '2026-11-05T17:20:00Z', 800, STEP_COUNTER, { manual: true }),
    ]);

    expect(stepsByDayAndSource(result.samples, NEW_YORK)).toEqual({
      [`2026-11-01 ${FIT} / Google Pixel 8`]: 640,
      [`2026-11-01 ${SHEALTH} / samsung SM-S921B`]: 212,
      [`2026-11-01 ${STEP_COUNTER}`]: 198,
      [`2026-11-03 ${FIT} / Google Pixel 8`]: 5780,
      [`2026-11-03 ${FITBIT} / Google Pixel Watch 2`]: 3012,
      [`2026-11-04 ${FIT}`]: 1500,
      [`2026-11-05 ${STEP_COUNTER}`]: 800,
    });

    expect(sortedRejections(result.rejections)).toEqual([
      { index: 8, reason: 'starts in the future' },
      { index: 9, reason: 'count must be a number' },
      { index: 10, reason: 'startTime must be an ISO 8601 time' },
      { index: 11, reason: 'startZoneOffset is not a zone offset' },
      { index: 12, reason: 'end is not after start' },
    ]);
  });

  it.each([
    ['+01:00', '2026-11-10T07:00:00.000Z'],
    ['+0100', '2026-11-10T07:00:00.000Z'],
    [3600, '2026-11-10T07:00:00.000Z'],
    ['3600', '2026-11-10T07:00:00.000Z'],
    [{ totalSeconds: 3600 }, '2026-11-10T07:00:00.000Z'],
    ['Z', '2026-11-10T08:00:00.000Z'],
    [-18000, '2026-11-10T13:00:00.000Z'],
  ])('reads the zone offset %j for a time without one', async (offset, start) => {
    const body = JSON.stringify({
      records: [
        {
          startTime: '2026-11-10T08:00:00',
          startZoneOffset: offset,
          endTime: '2026-11-10T14:00:00Z',
          count: 10,
          metadata: {
            id: 'r-1',
            dataOrigin: { packageName: FIT },
            recordingMethod: 'MANUAL_ENTRY',
          },
        },
      ],
    });
    const result = await collect(
      parseImport('health-connect', payloadOf(body), contextIn(NEW_YORK)),
    );

    expect(result.samples.map((s) => [s.start.toISOString(), s.manual])).toEqual([[start, true]]);
  });

  it('rejects a body without a records array', async () => {
    const result = await collect(
      parseImport('health-connect', payloadOf('{"data":[]}'), contextIn(NEW_YORK)),
    );

    expect(result.rejections).toEqual([{ reason: 'body needs a records array' }]);
  });
});
