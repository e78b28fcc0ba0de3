import {
  dayCount,
  daysEnding,
  daysStarting,
  eachDay,
  evaluationDay,
  isWithin,
  mondayOf,
  overlap,
  weeksOf,
} from './days';

describe('local day ranges', () => {
  it.each([
    {
      name: 'lists the spring-forward week in Paris as 7 days, 23-hour Sunday included',
      range: { from: '2026-03-23', to: '2026-03-29' },
      days: [
        '2026-03-23',
        '2026-03-24',
        '2026-03-25',
        '2026-03-26',
        '2026-03-27',
        '2026-03-28',
        '2026-03-29',
      ],
    },
    {
      name: 'lists the 25-hour autumn day once',
      range: { from: '2026-10-24', to: '2026-10-26' },
      days: ['2026-10-24', '2026-10-25', '2026-10-26'],
    },
    {
      name: 'crosses the end of the year',
      range: { from: '2026-12-31', to: '2027-01-01' },
      days: ['2026-12-31', '2027-01-01'],
    },
    {
      name: 'holds one day',
      range: { from: '2026-02-28', to: '2026-02-28' },
      days: ['2026-02-28'],
    },
    {
      name: 'is empty when it ends before it starts',
      range: { from: '2026-03-02', to: '2026-03-01' },
      days: [],
    },
  ])('$name', ({ range, days }) => {
    expect(eachDay(range)).toEqual(days);
    expect(dayCount(range)).toBe(days.length);
  });

  it('builds ranges of a given length from either end', () => {
    expect(daysStarting('2026-03-26', 7)).toEqual({ from: '2026-03-26', to: '2026-04-01' });
    expect(daysEnding('2026-03-01', 3)).toEqual({ from: '2026-02-27', to: '2026-03-01' });
    expect(isWithin('2026-03-01', { from: '2026-02-27', to: '2026-03-01' })).toBe(true);
    expect(isWithin('2026-03-02', { from: '2026-02-27', to: '2026-03-01' })).toBe(false);
  });
});

describe('evaluationDay', () => {
  it.each([
    // Paris springs forward on 2026-03-29 (+01:00 → +02:00) and falls back on 2026-10-25.
    ['2026-03-28T23:30:00Z', 'Europe/Paris', '2026-03-29'],
    ['2026-03-29T21:59:00Z', 'Europe/Paris', '2026-03-29'],
    ['2026-03-29T22:00:00Z', 'Europe/Paris', '2026-03-30'],
    ['2026-10-24T22:30:00Z', 'Europe/Paris', '2026-10-25'],
    ['2026-10-25T22:59:00Z', 'Europe/Paris', '2026-10-25'],
    ['2026-10-25T23:00:00Z', 'Europe/Paris', '2026-10-26'],
    // Either side of the date line the same instant is a different day.
    ['2026-11-22T11:30:00Z', 'Pacific/Auckland', '2026-11-23'],
    ['2026-11-22T11:30:00Z', 'America/Los_Angeles', '2026-11-22'],
    ['2026-11-22T10:30:00Z', 'Pacific/Kiritimati', '2026-11-23'],
    ['2026-11-22T10:30:00Z', 'Pacific/Pago_Pago', '2026-11-21'],
  ])('a job running at %s in %s evaluates local day %s', (iso, zone, day) => {
    expect(evaluationDay(new Date(iso), zone)).toBe(day);
  });
});

describe('mondayOf', () => {
  it.each([
    ['2026-11-16', '2026-11-16'],
    ['2026-11-18', '2026-11-16'],
    ['2026-11-22', '2026-11-16'],
    ['2027-01-01', '2026-12-28'],
    // A Sunday on the 23-hour spring-forward day in Paris is still that week's Sunday.
    ['2026-03-29', '2026-03-23'],
    ['2024-03-03', '2024-02-26'], // across a leap day
    ['2000-03-01', '2000-02-28'],
    ['0001-01-07', '0001-01-01'], // 1 January of year 1 (proleptic Gregorian) was a Monday
  ])('puts %s in the week of Monday %s', (day, monday) => {
    expect(mondayOf(day)).toBe(monday);
  });

  it('refuses a day that is not a calendar date', () => {
    expect(() => mondayOf('2026-02-30')).toThrow(RangeError);
  });
});

describe('overlap', () => {
  it('is the days two ranges share, or an empty range', () => {
    const week = { from: '2026-11-16', to: '2026-11-22' };
    expect(overlap(week, { from: '2026-11-19', to: '2026-12-01' })).toEqual({
      from: '2026-11-19',
      to: '2026-11-22',
    });
    expect(overlap(week, { from: '2026-11-01', to: '2026-11-30' })).toEqual(week);
    expect(dayCount(overlap(week, { from: '2026-11-23', to: '2026-11-30' }))).toBe(0);
  });
});

describe('weeksOf', () => {
  it.each([
    {
      name: 'cuts the first week at a mid-week program start and the last at the end of the range',
      range: { from: '2026-11-04', to: '2026-11-18' },
      start: '2026-11-05',
      weeks: [
        ['2026-11-02', '2026-11-05', '2026-11-08'],
        ['2026-11-09', '2026-11-09', '2026-11-15'],
        ['2026-11-16', '2026-11-16', '2026-11-18'],
      ],
    },
    {
      name: 'counts the first week from its Monday, before the range’s first day',
      range: { from: '2026-11-04', to: '2026-11-08' },
      start: '2026-10-01',
      weeks: [['2026-11-02', '2026-11-02', '2026-11-08']],
    },
    {
      name: 'leaves out the weeks before the program',
      range: { from: '2026-10-21', to: '2026-11-10' },
      start: '2026-11-08',
      weeks: [
        ['2026-11-02', '2026-11-08', '2026-11-08'],
        ['2026-11-09', '2026-11-09', '2026-11-10'],
      ],
    },
    {
      name: 'is one day of a week that the range ends on its Monday',
      range: { from: '2026-11-16', to: '2026-11-23' },
      start: '2026-11-01',
      weeks: [
        ['2026-11-16', '2026-11-16', '2026-11-22'],
        ['2026-11-23', '2026-11-23', '2026-11-23'],
      ],
    },
    {
      name: 'crosses the end of the year',
      range: { from: '2026-12-31', to: '2027-01-05' },
      start: '2026-01-01',
      weeks: [
        ['2026-12-28', '2026-12-28', '2027-01-03'],
        ['2027-01-04', '2027-01-04', '2027-01-05'],
      ],
    },
    {
      name: 'is empty when the program starts after the range',
      range: { from: '2026-11-02', to: '2026-11-08' },
      start: '2026-11-09',
      weeks: [],
    },
  ])('$name', ({ range, start, weeks }) => {
    expect(weeksOf(range, start)).toEqual(
      weeks.map(([weekStart, from, to]) => ({ weekStart, counted: { from, to } })),
    );
  });
});
