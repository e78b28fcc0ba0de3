import { readCalendarDate, readInstant, readWrittenTime } from './written-time';

describe('readInstant (RFC 3339, what the API takes)', () => {
  it.each([
    ['2026-11-22T08:30:00+01:00', '2026-11-22T07:30:00.000Z'],
    ['2026-11-22T08:30:00Z', '2026-11-22T08:30:00.000Z'],
    ['2026-11-22t08:30:00z', '2026-11-22T08:30:00.000Z'],
    ['2026-11-22 08:30:00-05:00', '2026-11-22T13:30:00.000Z'],
    ['2024-02-29T23:59:59.999999+14:00', '2024-02-29T09:59:59.999Z'],
    ['2026-11-22T00:00:00-12:00', '2026-11-22T12:00:00.000Z'],
    ['0099-01-01T00:00:00Z', '0099-01-01T00:00:00.000Z'],
  ])('reads %s as %s', (text, iso) => {
    const instant = readInstant(text);
    expect(instant instanceof Date ? instant.toISOString() : instant).toBe(iso);
  });

  it.each([
    ['2026-02-30T09:00:00+01:00', '2026-02-30 is not a day of the calendar'],
    ['2025-02-29T09:00:00Z', '2025-02-29 is not a day of the calendar'],
    ['2100-02-29T09:00:00Z', '2100-02-29 is not a day of the calendar'],
    ['2026-04-31T09:00:00Z', '2026-04-31 is not a day of the calendar'],
    ['2026-13-01T09:00:00Z', 'month 13 does not exist'],
    ['2026-11-20T24:00:00Z', '24:00 is not a time of day (00:00 to 23:59)'],
    ['2026-11-20T23:60:00Z', 'minute 60 does not exist'],
    ['2026-12-31T23:59:60Z', 'second 60 does not exist (leap seconds are not accepted)'],
    ['2026-11-20T09:00:00+14:01', 'offset +14:01 is beyond ±14:00'],
    ['2026-11-20T09:00:00+01:60', 'offset minutes 60 do not exist'],
    ['2026-11-20T09:00:00', expect.stringMatching(/^must be an RFC 3339 date-time with an offset/)],
    ['2026-11-20T09:00+01:00', expect.stringMatching(/^must be an RFC 3339/)],
    ['2026-11-20T09:00:00+0100', expect.stringMatching(/^must be an RFC 3339/)],
    [' 2026-11-20T09:00:00Z', expect.stringMatching(/^must be an RFC 3339/)],
    ['+275760-09-13T00:00:00Z', expect.stringMatching(/^must be an RFC 3339/)],
    [20261120, 'must be a string'],
  ])('refuses %s: %s', (text, reason) => {
    expect(readInstant(text)).toEqual(reason);
  });
});

describe('readWrittenTime, lenient (what exports write)', () => {
  it.each([
    ['2026-11-01 09:00:00 +0100', Date.UTC(2026, 10, 1, 9), 60],
    ['2026-11-01T09:00+01', Date.UTC(2026, 10, 1, 9), 60],
    ['2026-11-01T09:00:00,5Z', Date.UTC(2026, 10, 1, 9, 0, 0, 500), 0],
    ['  2026-11-01T09:00:00  ', Date.UTC(2026, 10, 1, 9), null],
  ])('reads %s', (text, wallMs, offsetMinutes) => {
    expect(readWrittenTime(text, 'lenient')).toEqual({ wallMs, offsetMinutes });
  });

  it('refuses what cannot exist as the strict reader does', () => {
    expect(readWrittenTime('2026-02-30 09:00:00 +0100', 'lenient')).toBe(
      '2026-02-30 is not a day of the calendar',
    );
    expect(readWrittenTime('2026-11-01 09:00:00 +1500', 'lenient')).toBe(
      'offset +15:00 is beyond ±14:00',
    );
  });
});

describe('readCalendarDate', () => {
  it.each([
    ['2024-02-29', '2024-02-29'],
    ['2026-02-29', { problem: '2026-02-29 is not a day of the calendar' }],
    ['2026-1-01', { problem: 'must be a calendar date YYYY-MM-DD' }],
    ['2026-11-01T00:00:00Z', { problem: 'must be a calendar date YYYY-MM-DD' }],
  ])('%s', (text, answer) => {
    expect(readCalendarDate(text)).toEqual(answer);
  });
});
