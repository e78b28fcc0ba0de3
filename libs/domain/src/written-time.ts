// The one reader of dates and date-times as clients and devices write them (RFC 3339, and the
// look-alikes wearable exports use). A time that cannot exist is refused, never moved: Date.parse
// turns 2026-02-30 into 2 March and T24:00 into the next day. Parsed by hand rather than with
// Intl: an Apple Health export has millions of these.

/** Real offsets run from −12:00 to +14:00; anything beyond ±14:00 is a mistake. */
export const MAX_OFFSET_MINUTES = 14 * 60;

/** A time as written: its wall clock and, when it says, its offset. */
export interface WrittenTime {
  /** The wall clock read as if it were UTC, in milliseconds. */
  wallMs: number;
  /** Minutes east of UTC; null when the time has no offset. */
  offsetMinutes: number | null;
}

/**
 * - `rfc3339`: `2026-11-22T08:30:00+01:00` exactly (seconds required, `T` or a space, `Z` or
 *   `±HH:MM`), what the API accepts;
 * - `lenient`: also what exports write: `2026-11-01 09:00:00 +0100`, `+01`, no seconds, no
 *   offset (the caller decides whether one is needed).
 */
export type TimeStyle = 'rfc3339' | 'lenient';

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const LENIENT =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const OFFSET = /^([+-])(\d{2})(?::?(\d{2}))?$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function dayProblem(y: number, mo: number, d: number): string | null {
  if (mo < 1 || mo > 12) return `month ${String(mo).padStart(2, '0')} does not exist`;
  const last = mo === 2 && isLeapYear(y) ? 29 : DAYS_IN_MONTH[mo - 1];
  if (d < 1 || d > last) {
    return `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')} is not a day of the calendar`;
  }
  return null;
}

function offsetOf(sign: string, hours: string, minutes: string | undefined): number | string {
  const h = Number(hours);
  const m = minutes === undefined ? 0 : Number(minutes);
  if (m > 59) return `offset minutes ${minutes} do not exist`;
  if (h * 60 + m > MAX_OFFSET_MINUTES)
    return `offset ${sign}${hours}:${minutes ?? '00'} is beyond ±14:00`;
  return (sign === '-' ? -1 : 1) * (h * 60 + m);
}

/** The time a text writes, or why it is not one. */
export function readWrittenTime(value: unknown, style: TimeStyle): WrittenTime | string {
  if (typeof value !== 'string') return 'must be a string';
  const m = (style === 'rfc3339' ? RFC3339 : LENIENT).exec(
    style === 'rfc3339' ? value : value.trim(),
  );
  if (!m) {
    return style === 'rfc3339'
      ? 'must be an RFC 3339 date-time with an offset, such as 2026-11-22T08:30:00+01:00'
      : 'must be a date-time such as 2026-11-22T08:30:00+01:00';
  }
  const [y, mo, d, h, mi] = [m[1], m[2], m[3], m[4], m[5]].map(Number);
  const s = m[6] === undefined ? 0 : Number(m[6]);
  const day = dayProblem(y, mo, d);
  if (day) return day;
  if (h > 23) return `${m[4]}:${m[5]} is not a time of day (00:00 to 23:59)`;
  if (mi > 59) return `minute ${m[5]} does not exist`;
  if (s > 59) return `second ${m[6]} does not exist (leap seconds are not accepted)`;
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  let offsetMinutes: number | null = null;
  if (m[8] !== undefined) offsetMinutes = 0;
  else if (m[9] !== undefined) {
    const offset = offsetOf(m[9], m[10], m[11]);
    if (typeof offset === 'string') return offset;
    offsetMinutes = offset;
  }
  return { wallMs: utcMs(y, mo, d, h, mi, s, ms), offsetMinutes };
}

function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number) {
  if (y >= 100) return Date.UTC(y, mo - 1, d, h, mi, s, ms);
  // Date.UTC reads the years 0 to 99 as 1900 to 1999.
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, ms);
  return date.getTime();
}

/**
 * The instant of an RFC 3339 date-time with its offset (what the API takes), or why not:
 * `2026-02-30T09:00:00+01:00` is refused, not read as 2 March.
 */
export function readInstant(value: unknown): Date | string {
  const written = readWrittenTime(value, 'rfc3339');
  if (typeof written === 'string') return written;
  return new Date(written.wallMs - (written.offsetMinutes ?? 0) * 60_000);
}

/** A calendar date `YYYY-MM-DD` that exists, or why not. */
export function readCalendarDate(value: unknown): string | { problem: string } {
  if (typeof value !== 'string') return { problem: 'must be a string' };
  const m = DATE.exec(value);
  if (!m) return { problem: 'must be a calendar date YYYY-MM-DD' };
  const problem = dayProblem(Number(m[1]), Number(m[2]), Number(m[3]));
  return problem ? { problem } : value;
}

/** `Z`, `+01:00`, `+0100` or `+01` in minutes; null when it is none of them or beyond ±14:00. */
export function offsetTextMinutes(text: string): number | null {
  if (text === 'Z' || text === 'z') return 0;
  const m = OFFSET.exec(text);
  if (!m) return null;
  const offset = offsetOf(m[1], m[2], m[3]);
  return typeof offset === 'number' ? offset : null;
}

/** How far ahead of the server's clock a device may be before the times it writes are refused. */
export const CLOCK_SKEW_MS = 5 * 60_000;
