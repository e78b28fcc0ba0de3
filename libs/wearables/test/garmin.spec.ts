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

const PARIS = 'Europe/Paris';

describe('Garmin parser', () => {
  it('turns dailies into day samples and epochs into 15-minute samples', async () => {
    const result = await importFixture('garmin', 'garmin/push.json', PARIS);
    const day = { granularity: 'day' as const };
    const walking = { activityType: 'walking' };
    const forerunner = { device: 'Forerunner 265', ...walking };

    expect(rowsOf(result.samples)).toEqual([
      // The 23-hour day Paris springs forward: its calendar date, in the patient's zone.
      row(0, '2026-03-28T23:00:00Z', '2026-03-29T22:00:00Z', 11480, 'garmin', {
        ...day,
        activeMinutes: 89,
      }),
      // Every number sent as a string; delivered twice (4).
      row(1, '2026-11-01T23:00:00Z', '2026-11-02T23:00:00Z', 9021, 'garmin', {
        ...day,
        activeMinutes: 70,
      }),
      // No start and no offset: the calendar date in the patient's zone.
      row(2, '2026-11-02T23:00:00Z', '2026-11-03T23:00:00Z', 7300, 'garmin', {
        ...day,
        activeMinutes: 50,
      }),
      // No start: the calendar date, in the patient's zone.
      row(3, '2026-11-03T23:00:00Z', '2026-11-04T23:00:00Z', 6815, 'garmin', day),
      row(4, '2026-11-01T23:00:00Z', '2026-11-02T23:00:00Z', 9021, 'garmin', {
        ...day,
        activeMinutes: 70,
      }),
      // Epochs either side of the spring-forward jump (offset 3600 then 7200): contiguous.
      row(0, '2026-03-29T00:45:00Z', '2026-03-29T01:00:00Z', 402, 'garmin', {
        ...forerunner,
        activeMinutes: 10,
      }),
      row(1, '2026-03-29T01:00:00Z', '2026-03-29T01:15:00Z', 515, 'garmin', {
        ...forerunner,
        activeMinutes: 13,
      }),
      // Two devices over the same walk; the first one's epoch delivered twice (4).
      row(2, '2026-11-02T16:00:00Z', '2026-11-02T16:15:00Z', 1480, 'garmin', {
        ...forerunner,
        activeMinutes: 15,
      }),
      row(3, '2026-11-02T16:00:00Z', '2026-11-02T16:15:00Z', 1392, 'garmin', {
        device: 'vivosmart 5',
        ...walking,
        activeMinutes: 14,
      }),
      row(4, '2026-11-02T16:00:00Z', '2026-11-02T16:15:00Z', 1480, 'garmin', {
        ...forerunner,
        activeMinutes: 15,
      }),
      // Strings; a sedentary epoch is data (no activity), not a gap.
      row(5, '2026-11-02T16:15:00Z', '2026-11-02T16:30:00Z', 0, 'garmin', {
        device: 'Forerunner 265',
        activityType: 'sedentary',
        activeMinutes: 0,
      }),
      row(6, '2026-11-04T09:00:00Z', '2026-11-04T09:15:00Z', 1200, 'garmin', {
        ...walking,
        activeMinutes: 15,
        manual: true,
      }),
    ]);

    expect(stepsByDayAndSource(result.samples, PARIS)).toEqual({
      '2026-03-29 garmin': 11480,
      '2026-03-29 garmin / Forerunner 265': 917,
      '2026-11-02 garmin': 18042,
      '2026-11-02 garmin / Forerunner 265': 2960,
      '2026-11-02 garmin / vivosmart 5': 1392,
      '2026-11-03 garmin': 7300,
      '2026-11-04 garmin': 8015,
    });

    // Indices count within each list; the parser's own reasons name the list.
    expect(sortedRejections(result.rejections)).toEqual([
      { index: 5, reason: 'starts in the future' },
      { index: 6, reason: 'dailies[6]: steps must be a number' },
      { index: 7, reason: 'epochs[7]: startTimeInSeconds is missing' },
      { index: 8, reason: 'starts in the future' },
      { index: 9, reason: 'more than 100 steps a second' },
    ]);
  });

  it('rejects a body with neither dailies nor epochs', async () => {
    const body = JSON.stringify({ sleeps: [{ summaryId: 's-1' }] });
    const result = await collect(parseImport('garmin', payloadOf(body), contextIn(PARIS)));

    expect(result.samples).toEqual([]);
    expect(result.rejections).toEqual([{ reason: 'body needs a dailies or epochs array' }]);
  });
});
