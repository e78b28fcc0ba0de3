import {
  importFixture,
  row,
  rowsOf,
  sortedRejections,
  stepsByDayAndSource,
} from './fixture-import';

const PARIS = 'Europe/Paris';

describe('Fitbit parser', () => {
  it('places 1-minute intraday steps on the day Paris springs forward (no 02:xx that day)', async () => {
    const result = await importFixture('fitbit', 'fitbit/spring-forward-1min.json', PARIS);

    expect(rowsOf(result.samples)).toEqual([
      // The daily total, a string, over the 23-hour local day.
      row(0, '2026-03-28T23:00:00Z', '2026-03-29T22:00:00Z', 3102, 'fitbit', {
        granularity: 'day',
      }),
      row(0, '2026-03-29T00:58:00Z', '2026-03-29T00:59:00Z', 34, 'fitbit'),
      row(1, '2026-03-29T00:59:00Z', '2026-03-29T01:00:00Z', 41, 'fitbit'),
      // 02:00 and 02:30 never happened; their zeros are filler and are skipped.
      row(5, '2026-03-29T01:00:00Z', '2026-03-29T01:01:00Z', 12, 'fitbit'),
      // The same minute delivered twice: both kept, deduplication is the database's.
      row(6, '2026-03-29T01:01:00Z', '2026-03-29T01:02:00Z', 57, 'fitbit'),
      row(7, '2026-03-29T01:01:00Z', '2026-03-29T01:02:00Z', 57, 'fitbit'),
      // A minute without steps is data ("no activity"), not a gap.
      row(8, '2026-03-29T01:02:00Z', '2026-03-29T01:03:00Z', 0, 'fitbit'),
    ]);

    const intraday = result.samples.filter((s) => s.granularity === 'interval');
    expect(stepsByDayAndSource(intraday, PARIS)).toEqual({ '2026-03-29 fitbit': 201 });

    expect(sortedRejections(result.rejections)).toEqual([
      { index: 3, reason: 'dataset[3]: 02:15:00 does not exist on 2026-03-29 in Europe/Paris' },
      { index: 9, reason: 'dataset[9]: time must be HH:MM:SS' },
      { index: 10, reason: 'dataset[10]: value must be a number' },
    ]);
  });

  it('takes the first 02:xx of the day Paris falls back, for 15-minute intraday steps', async () => {
    const result = await importFixture('fitbit', 'fitbit/fall-back-15min.json', PARIS);

    expect(rowsOf(result.samples)).toEqual([
      row(0, '2026-10-24T22:00:00Z', '2026-10-25T23:00:00Z', 2960, 'fitbit', {
        granularity: 'day',
      }),
      row(0, '2026-10-24T23:45:00Z', '2026-10-25T00:00:00Z', 0, 'fitbit'),
      row(1, '2026-10-25T00:00:00Z', '2026-10-25T00:15:00Z', 420, 'fitbit'),
      row(2, '2026-10-25T00:15:00Z', '2026-10-25T00:30:00Z', 515, 'fitbit'),
      row(3, '2026-10-25T00:30:00Z', '2026-10-25T00:45:00Z', 0, 'fitbit'),
      row(4, '2026-10-25T00:45:00Z', '2026-10-25T01:00:00Z', 0, 'fitbit'),
      row(5, '2026-10-25T02:00:00Z', '2026-10-25T02:15:00Z', 88, 'fitbit'),
      row(6, '2026-10-25T22:45:00Z', '2026-10-25T23:00:00Z', 1937, 'fitbit'),
    ]);

    const intraday = result.samples.filter((s) => s.granularity === 'interval');
    expect(stepsByDayAndSource(intraday, PARIS)).toEqual({ '2026-10-25 fitbit': 2960 });
    expect(result.rejections).toEqual([]);
  });

  it('turns a range of daily values into day samples, today included and tomorrow rejected', async () => {
    const result = await importFixture('fitbit', 'fitbit/daily-range.json', PARIS);
    const day = { granularity: 'day' as const };

    expect(rowsOf(result.samples)).toEqual([
      row(0, '2026-11-15T23:00:00Z', '2026-11-16T23:00:00Z', 8234, 'fitbit', day),
      row(1, '2026-11-16T23:00:00Z', '2026-11-17T23:00:00Z', 10021, 'fitbit', day),
      row(2, '2026-11-17T23:00:00Z', '2026-11-18T23:00:00Z', 0, 'fitbit', day),
      // Today (the clock says 2026-11-20 13:00 in Paris): a total still growing.
      row(4, '2026-11-19T23:00:00Z', '2026-11-20T23:00:00Z', 4410, 'fitbit', day),
    ]);
    expect(sortedRejections(result.rejections)).toEqual([
      { index: 3, reason: 'activities-steps[3]: value must be a number' },
      { index: 5, reason: 'starts in the future' },
      { index: 6, reason: 'activities-steps[6]: dateTime must be a date YYYY-MM-DD' },
    ]);
  });

  it('rejects a future day and its intraday entries', async () => {
    const result = await importFixture('fitbit', 'fitbit/future-day.json', PARIS);

    expect(result.samples).toEqual([]);
    expect(sortedRejections(result.rejections)).toEqual([
      { index: 0, reason: 'starts in the future' },
      { index: 0, reason: 'starts in the future' },
      { index: 1, reason: 'starts in the future' },
    ]);
  });
});
