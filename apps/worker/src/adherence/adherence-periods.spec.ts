import { parsePeriod, periodJobId, periodOfTick } from './adherence-periods';

describe('adherence periods', () => {
  it.each([
    ['2026-11-22T04:00:00.012Z', '2026-11-22T04'],
    ['2026-11-22T03:59:59.500Z', '2026-11-22T04'],
    ['2026-12-31T23:59:58.000Z', '2027-01-01T00'],
  ])('a tick at %s runs period %s', (tick, period) => {
    expect(periodOfTick(new Date(tick))).toBe(period);
  });

  it('reads hourly and full periods, as of the top of their hour', () => {
    expect(parsePeriod('2026-11-22T04')).toEqual({
      name: '2026-11-22T04',
      full: false,
      at: new Date('2026-11-22T04:00:00Z'),
    });
    expect(parsePeriod('full-2026-11-22T04').full).toBe(true);
  });

  it.each(['2026-11-22', '2026-11-22T24', '2026-02-30T01', 'full-', 'x-2026-11-22T04'])(
    'refuses %s',
    (name) => expect(() => parsePeriod(name)).toThrow('not an adherence period'),
  );

  it('names jobs without a colon, which BullMQ refuses in custom ids', () => {
    expect(periodJobId('2026-11-22T04')).toBe('adherence-2026-11-22T04');
    expect(periodJobId('2026-11-22T04')).not.toContain(':');
  });
});
