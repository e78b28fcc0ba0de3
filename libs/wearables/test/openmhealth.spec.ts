import {
  importFixture,
  row,
  rowsOf,
  sortedRejections,
  stepsByDayAndSource,
} from './fixture-import';

const PARIS = 'Europe/Paris';

describe('Open mHealth parser', () => {
  it('normalizes step-count 1.0–3.0, IEEE step-count and physical-activity data points', async () => {
    const result = await importFixture('openmhealth', 'openmhealth/data-points.json', PARIS);

    expect(rowsOf(result.samples)).toEqual([
      // 02:15 CEST to 02:15 CET on the day Paris falls back: one hour, not zero.
      row(0, '2026-10-25T00:15:00Z', '2026-10-25T01:15:00Z', 412, 'Google Fit'),
      // step-count 1.0: a bare integer over a start and a one-day duration.
      row(1, '2026-10-23T22:00:00Z', '2026-10-24T22:00:00Z', 7939, 'Withings Health Mate', {
        granularity: 'day',
      }),
      // Phone and watch over the same walk, and the phone's point delivered twice: all kept.
      row(2, '2026-11-03T16:00:00Z', '2026-11-03T16:40:00Z', 3120, 'Samsung Health'),
      row(3, '2026-11-03T16:00:00Z', '2026-11-03T16:40:00Z', 3350, 'Galaxy Watch6'),
      row(4, '2026-11-03T16:00:00Z', '2026-11-03T16:40:00Z', 3120, 'Samsung Health'),
      // Self-reported physical activity, its steps sent as a string.
      row(5, '2026-11-04T09:00:00Z', '2026-11-04T09:30:00Z', 2800, 'Sciatrack', {
        manual: true,
        activeMinutes: 30,
        activityType: 'walking',
      }),
      // No step count: 0 steps, the stated duration as active minutes.
      row(6, '2026-11-04T14:00:00Z', '2026-11-04T14:45:00Z', 0, 'Strava', {
        activeMinutes: 38,
        activityType: 'cycling',
      }),
      // An end and a duration of half an hour.
      row(7, '2026-11-05T10:30:00Z', '2026-11-05T11:00:00Z', 1210, 'Google Fit'),
    ]);

    expect(stepsByDayAndSource(result.samples, PARIS)).toEqual({
      '2026-10-25 Google Fit': 412,
      '2026-10-24 Withings Health Mate': 7939,
      '2026-11-03 Samsung Health': 6240,
      '2026-11-03 Galaxy Watch6': 3350,
      '2026-11-04 Sciatrack': 2800,
      '2026-11-04 Strava': 0,
      '2026-11-05 Google Fit': 1210,
    });

    expect(sortedRejections(result.rejections)).toEqual([
      { index: 8, reason: 'starts in the future' },
      { index: 9, reason: 'start_date_time must be an RFC 3339 time with an offset' },
      { index: 10, reason: expect.stringContaining('single date_time') },
      { index: 11, reason: 'step_count must be a number' },
      { index: 12, reason: 'unsupported schema omh:heart-rate:2.0' },
      { index: 13, reason: 'steps must be a whole number of 0 or more' },
    ]);
    expect(result.pains).toEqual([]);
  });

  it('reads a bare measure body, its count sent as a string', async () => {
    const result = await importFixture('openmhealth', 'openmhealth/bare-body.json', PARIS);

    expect(rowsOf(result.samples)).toEqual([
      row(0, '2026-11-06T08:00:00Z', '2026-11-06T08:05:00Z', 523, 'openmhealth'),
    ]);
    expect(result.rejections).toEqual([]);
  });

  it('reads one data point whose IEEE header gives the schema as a URL and the modality', async () => {
    const result = await importFixture('openmhealth', 'openmhealth/single-data-point.json', PARIS);

    expect(rowsOf(result.samples)).toEqual([
      row(0, '2026-11-07T10:00:00Z', '2026-11-07T10:50:00Z', 4100, 'openmhealth', {
        manual: true,
        activeMinutes: 50,
        activityType: 'walking',
      }),
    ]);
    expect(result.rejections).toEqual([]);
  });
});
