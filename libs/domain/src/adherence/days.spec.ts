import { dayCount, daysEnding, daysStarting, eachDay, evaluationDay, isWithin } from './days';

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
