import { isValidTimeZone } from './time-zone';

describe('isValidTimeZone', () => {
  it.each([
    ['Europe/Paris', true],
    ['America/Los_Angeles', true],
    ['Pacific/Auckland', true],
    ['Pacific/Kiritimati', true],
    ['UTC', true],
    ['America/Argentina/Buenos_Aires', true],
    ['Mars/Olympus_Mons', false],
    ['+02:00', false],
    ['', false],
    ['Europe/Paris; DROP TABLE patients', false],
  ])('%s → %s', (zone, expected) => {
    expect(isValidTimeZone(zone)).toBe(expected);
  });
});
