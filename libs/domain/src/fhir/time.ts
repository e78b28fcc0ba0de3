// Instants written with the patient's UTC offset, and a patient-local day as a FHIR Period.

import { localDayBounds, offsetMinutes } from '../local-time';

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `+05:30`, `-04:00`, `+14:00`. */
export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/**
 * An instant as a FHIR `dateTime`/`instant` in `timeZone`'s wall clock, with the offset in
 * force at that instant and milliseconds: `2026-03-08T23:59:59.999-04:00`.
 */
export function formatInstantInZone(instant: Date, timeZone: string): string {
  const offset = offsetMinutes(instant, timeZone);
  const wall = new Date(instant.getTime() + offset * 60_000).toISOString().slice(0, 23);
  return `${wall}${formatOffset(offset)}`;
}

/**
 * A patient-local day as a FHIR Period: `start` its first instant, `end` its last millisecond
 * (FHIR's Period.end includes every time matching its precision, so the next day's midnight
 * would belong to both days). Each is written with the offset in force then, so a day on which
 * the clocks change has two offsets and lasts 23 or 25 hours.
 */
export function localDayPeriod(
  localDate: string,
  timeZone: string,
): { start: string; end: string } {
  const key = `${timeZone} ${localDate}`;
  let period = periods.get(key);
  if (!period) {
    const { start, end } = localDayBounds(localDate, timeZone);
    period = {
      start: formatInstantInZone(start, timeZone),
      end: formatInstantInZone(new Date(end.getTime() - 1), timeZone),
    };
    if (periods.size >= PERIOD_CACHE_LIMIT) periods.clear();
    periods.set(key, period);
  }
  return { ...period };
}

// An export writes a day's steps for every patient: the time-zone arithmetic (Intl) was a third
// of the worker's time there. Zones and days repeat across patients, so the periods are kept.
const PERIOD_CACHE_LIMIT = 50_000;
const periods = new Map<string, { start: string; end: string }>();

/** `instant` plus `minutes`, as an ISO string in UTC. */
export function addMinutesIso(instant: string, minutes: number): string {
  return new Date(Date.parse(instant) + minutes * 60_000).toISOString();
}
