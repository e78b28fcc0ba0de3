import {
  addDays,
  localDateOf,
  localDayBounds,
  offsetMinutes,
  zonedWallTimeToInstant,
} from './local-time';

const hours = (b: { start: Date; end: Date }) => (b.end.getTime() - b.start.getTime()) / 3_600_000;

describe('local time', () => {
  it.each([
    ['2026-11-22T10:00:00Z', 'Europe/Paris', 60],
    ['2026-07-01T10:00:00Z', 'Europe/Paris', 120],
    ['2026-11-22T10:00:00Z', 'Pacific/Auckland', 780],
    ['2026-11-22T10:00:00Z', 'America/Los_Angeles', -480],
    ['2026-11-22T10:00:00Z', 'Asia/Kolkata', 330],
  ])('offset at %s in %s is %i minutes', (iso, zone, offset) => {
    expect(offsetMinutes(new Date(iso), zone)).toBe(offset);
  });

  it.each([
    ['2026-11-22T10:30:00Z', 'Pacific/Auckland', '2026-11-22'],
    ['2026-11-22T11:30:00Z', 'Pacific/Auckland', '2026-11-23'],
    ['2026-11-22T07:30:00Z', 'America/Los_Angeles', '2026-11-21'],
    ['2026-11-22T08:30:00Z', 'America/Los_Angeles', '2026-11-22'],
    ['2026-11-22T23:59:59Z', 'UTC', '2026-11-22'],
  ])('%s is local day %s in %s', (iso, zone, day) => {
    expect(localDateOf(new Date(iso), zone)).toBe(day);
  });

  it.each([
    ['2026-03-29', 'Europe/Paris', 23],
    ['2026-10-25', 'Europe/Paris', 25],
    ['2026-03-08', 'America/New_York', 23],
    ['2026-11-01', 'America/New_York', 25],
    ['2026-04-05', 'Pacific/Auckland', 25],
    ['2026-09-27', 'Pacific/Auckland', 23],
    ['2026-11-22', 'Asia/Tokyo', 24],
  ])('local day %s in %s lasts %i hours', (day, zone, length) => {
    expect(hours(localDayBounds(day, zone))).toBe(length);
  });

  it('turns a wall time into its instant', () => {
    expect(zonedWallTimeToInstant('2026-11-22T08:00:00', 'Europe/Paris')?.toISOString()).toBe(
      '2026-11-22T07:00:00.000Z',
    );
    expect(zonedWallTimeToInstant('2026-11-22 08:00', 'America/Los_Angeles')?.toISOString()).toBe(
      '2026-11-22T16:00:00.000Z',
    );
    expect(zonedWallTimeToInstant('2026-11-22', 'Pacific/Auckland')?.toISOString()).toBe(
      '2026-11-21T11:00:00.000Z',
    );
  });

  it('moves a wall time inside the spring-forward gap forward, and takes the first of a repeated hour', () => {
    // Paris skips 02:00–03:00 on 2026-03-29; 02:30 does not exist.
    expect(zonedWallTimeToInstant('2026-03-29T02:30:00', 'Europe/Paris')?.toISOString()).toBe(
      '2026-03-29T01:30:00.000Z',
    );
    // 02:30 happens twice on 2026-10-25: first at +02:00.
    expect(zonedWallTimeToInstant('2026-10-25T02:30:00', 'Europe/Paris')?.toISOString()).toBe(
      '2026-10-25T00:30:00.000Z',
    );
  });

  it('refuses malformed wall times', () => {
    expect(zonedWallTimeToInstant('2026-02-30T08:00:00', 'UTC')).toBeNull();
    expect(zonedWallTimeToInstant('08:00', 'UTC')).toBeNull();
    expect(zonedWallTimeToInstant('2026-11-22T25:00:00', 'UTC')).toBeNull();
  });

  it('adds days across months and years', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2026-11-30', 0)).toBe('2026-11-30');
    expect(addDays('2026-11-30', -366)).toBe('2025-11-29');
    // The same answers the second time (from the cache).
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
  });

  it('refuses what is not a calendar date', () => {
    expect(() => addDays('2026-02-30', 1)).toThrow(RangeError);
    expect(() => addDays('soon', 1)).toThrow(RangeError);
  });
});
