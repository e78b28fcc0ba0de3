import { formatInstantInZone, formatOffset, localDayPeriod } from './time';

const HOUR = 3_600_000;
const lengthMs = (p: { start: string; end: string }) => Date.parse(p.end) - Date.parse(p.start) + 1;

describe('formatOffset', () => {
  it.each([
    [0, '+00:00'],
    [60, '+01:00'],
    [330, '+05:30'],
    [-240, '-04:00'],
    [840, '+14:00'],
    [-660, '-11:00'],
    [345, '+05:45'],
  ])('%i minutes is %s', (minutes, text) => {
    expect(formatOffset(minutes)).toBe(text);
  });
});

describe('formatInstantInZone', () => {
  it.each([
    ['2026-03-08T06:59:59.999Z', 'America/New_York', '2026-03-08T01:59:59.999-05:00'],
    ['2026-03-08T07:00:00.000Z', 'America/New_York', '2026-03-08T03:00:00.000-04:00'],
    ['2026-06-01T00:00:00.000Z', 'Asia/Kathmandu', '2026-06-01T05:45:00.000+05:45'],
    ['2026-06-01T00:00:00.000Z', 'UTC', '2026-06-01T00:00:00.000+00:00'],
  ])('%s in %s is %s', (iso, zone, text) => {
    expect(formatInstantInZone(new Date(iso), zone)).toBe(text);
    expect(Date.parse(text)).toBe(Date.parse(iso));
  });
});

describe('localDayPeriod', () => {
  it.each([
    // Spring forward: 23 hours, the offset changes within the day.
    [
      '2026-03-08',
      'America/New_York',
      '2026-03-08T00:00:00.000-05:00',
      '2026-03-08T23:59:59.999-04:00',
      23,
    ],
    // Fall back: 25 hours.
    [
      '2026-11-01',
      'America/New_York',
      '2026-11-01T00:00:00.000-04:00',
      '2026-11-01T23:59:59.999-05:00',
      25,
    ],
    [
      '2026-03-29',
      'Europe/Paris',
      '2026-03-29T00:00:00.000+01:00',
      '2026-03-29T23:59:59.999+02:00',
      23,
    ],
    [
      '2026-10-25',
      'Europe/Paris',
      '2026-10-25T00:00:00.000+02:00',
      '2026-10-25T23:59:59.999+01:00',
      25,
    ],
    // The first and last time zones on Earth: +14 and -11, no DST.
    [
      '2026-06-01',
      'Pacific/Kiritimati',
      '2026-06-01T00:00:00.000+14:00',
      '2026-06-01T23:59:59.999+14:00',
      24,
    ],
    [
      '2026-06-01',
      'Pacific/Pago_Pago',
      '2026-06-01T00:00:00.000-11:00',
      '2026-06-01T23:59:59.999-11:00',
      24,
    ],
    [
      '2026-12-31',
      'Asia/Kolkata',
      '2026-12-31T00:00:00.000+05:30',
      '2026-12-31T23:59:59.999+05:30',
      24,
    ],
  ])('%s in %s runs %s to %s (%i h)', (day, zone, start, end, hours) => {
    const period = localDayPeriod(day, zone);
    expect(period).toEqual({ start, end });
    expect(lengthMs(period)).toBe(hours * HOUR);
  });

  it('the same calendar day is 25 hours apart between Kiritimati and Pago Pago', () => {
    const east = localDayPeriod('2026-06-01', 'Pacific/Kiritimati');
    const west = localDayPeriod('2026-06-01', 'Pacific/Pago_Pago');
    expect(Date.parse(west.start) - Date.parse(east.start)).toBe(25 * HOUR);
  });

  it('consecutive days tile time: each starts 1 ms after the previous one ends', () => {
    const days = ['2026-03-07', '2026-03-08', '2026-03-09'].map((d) =>
      localDayPeriod(d, 'America/New_York'),
    );
    for (let i = 1; i < days.length; i++) {
      expect(Date.parse(days[i].start) - Date.parse(days[i - 1].end)).toBe(1);
    }
  });

  it('refuses a day that does not exist', () => {
    expect(() => localDayPeriod('2026-02-30', 'UTC')).toThrow();
  });
});
