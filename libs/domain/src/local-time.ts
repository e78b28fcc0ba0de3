// Patient-local calendar math on the runtime's tz database (Intl), without a date library.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClock(instant: Date, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year,
    month: parts.month,
    day: parts.day,
    hour: parts.hour,
    minute: parts.minute,
    second: parts.second,
  };
}

/** The offset of `timeZone` from UTC at `instant`, in minutes (Paris in winter: 60). */
export function offsetMinutes(instant: Date, timeZone: string): number {
  const w = wallClock(instant, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return Math.round((asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60_000);
}

/** The patient-local calendar day (`YYYY-MM-DD`) of an instant. */
export function localDateOf(instant: Date, timeZone: string): string {
  const w = wallClock(instant, timeZone);
  return `${String(w.year).padStart(4, '0')}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?$/;

/**
 * The instant a wall-clock time (`2026-03-29T02:30:00`, no offset) denotes in `timeZone`.
 * In a DST gap (a time that never happened) it moves forward by the gap, as clocks do; in an
 * overlap (a time that happened twice) it takes the first, earlier occurrence. Null if malformed.
 */
export function zonedWallTimeToInstant(local: string, timeZone: string): Date | null {
  const m = LOCAL.exec(local);
  if (!m) return null;
  const [y, mo, d, h = '0', mi = '0', s = '0', ms = '0'] = m.slice(1);
  const asUtc = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, +ms.padEnd(3, '0'));
  const check = new Date(asUtc);
  if (
    check.getUTCMonth() !== +mo - 1 ||
    check.getUTCDate() !== +d ||
    +h > 23 ||
    +mi > 59 ||
    +s > 59
  )
    return null;
  // Try the offsets in force a day either side; keep those that give back the same wall time.
  const candidates = [
    ...new Set(
      [-1, 0, 1].map((days) => offsetMinutes(new Date(asUtc + days * 86_400_000), timeZone)),
    ),
  ];
  const matches = candidates
    .map((offset) => asUtc - offset * 60_000)
    .filter((instant) => {
      const w = wallClock(new Date(instant), timeZone);
      return (
        Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) === asUtc - (asUtc % 1000)
      );
    })
    .sort((a, b) => a - b);
  if (matches.length > 0) return new Date(matches[0]);
  // In a gap: use the offset from before the transition, which lands after it.
  const before = offsetMinutes(new Date(asUtc - 86_400_000), timeZone);
  return new Date(asUtc - before * 60_000);
}

/** The first instant of a local day and of the next one: 23, 24 or 25 hours apart. */
export function localDayBounds(date: string, timeZone: string): { start: Date; end: Date } {
  const start = zonedWallTimeToInstant(date, timeZone);
  const next = new Date(Date.UTC(+date.slice(0, 4), +date.slice(5, 7) - 1, +date.slice(8, 10) + 1));
  const end = zonedWallTimeToInstant(next.toISOString().slice(0, 10), timeZone);
  if (!start || !end) throw new Error(`not a calendar date: ${date}`);
  return { start, end };
}

const DAY_MS = 86_400_000;
// Calendar dates by day number since 1970-01-01 and back. The adherence computation walks
// tens of days for each of 100,000 patients: parsing and printing a Date at every step was a
// tenth of the worker's time, and most of its garbage. The sets are small (a few hundred
// distinct days); the bound only guards against an unusual caller.
const CACHE_LIMIT = 100_000;
const dayNumbers = new Map<string, number>();
const dates = new Map<number, string>();

function dayNumber(date: string): number {
  let n = dayNumbers.get(date);
  if (n === undefined) {
    const d = new Date(`${date}T00:00:00Z`);
    // toISOString throws on an invalid date, as before; a date that rolled over (02-30) is refused.
    if (d.toISOString().slice(0, 10) !== date) throw new RangeError(`not a calendar date: ${date}`);
    n = Math.round(d.getTime() / DAY_MS);
    if (dayNumbers.size >= CACHE_LIMIT) dayNumbers.clear();
    dayNumbers.set(date, n);
  }
  return n;
}

function dateOfDayNumber(n: number): string {
  let date = dates.get(n);
  if (date === undefined) {
    date = new Date(n * DAY_MS).toISOString().slice(0, 10);
    if (dates.size >= CACHE_LIMIT) dates.clear();
    dates.set(n, date);
  }
  return date;
}

/**
 * Adds calendar months to a calendar date; a day the target month lacks becomes its last day
 * (31 January + 1 month = 28 or 29 February).
 */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const lastDay = new Date(
    Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0),
  ).getUTCDate();
  return new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), Math.min(d, lastDay)))
    .toISOString()
    .slice(0, 10);
}

/** Adds days to a calendar date. */
export function addDays(date: string, days: number): string {
  return dateOfDayNumber(dayNumber(date) + days);
}
