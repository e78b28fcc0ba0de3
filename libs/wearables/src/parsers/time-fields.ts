import { zonedWallTimeToInstant } from '@app/domain';
import type { ActivitySample } from '../types';

// ISO 8601 / RFC 3339 and the look-alikes sources write (`2026-11-01 09:00:00 +0100`).
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;
const BARE_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const OFFSET = /^([+-])(\d{2})(?::?(\d{2}))?$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const MAX_OFFSET_MINUTES = 18 * 60;

/** A time as written: its wall clock and, when it says, its offset. */
export interface WrittenTime {
  /** The wall clock read as if it were UTC, in milliseconds. */
  wallMs: number;
  /** Minutes east of UTC; null when the time has no offset. */
  offsetMinutes: number | null;
}

function validDate(y: number, mo: number, d: number): boolean {
  if (mo < 1 || mo > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]);
}

function signedMinutes(sign: string, hours: string, minutes: string | undefined): number | null {
  const h = Number(hours);
  const m = minutes === undefined ? 0 : Number(minutes);
  if (m > 59 || h * 60 + m > MAX_OFFSET_MINUTES) return null;
  return (sign === '-' ? -1 : 1) * (h * 60 + m);
}

/** `Z`, `+01:00`, `+0100` or `+01` in minutes; null when it is none of them. */
export function offsetTextMinutes(text: string): number | null {
  if (text === 'Z' || text === 'z') return 0;
  const m = OFFSET.exec(text);
  return m ? signedMinutes(m[1], m[2], m[3]) : null;
}

// Parsed by hand rather than with Intl or Date.parse: an Apple export has millions of these.
export function readDateTime(value: unknown): WrittenTime | null {
  if (typeof value !== 'string') return null;
  const m = DATE_TIME.exec(value.trim());
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const s = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (!validDate(y, mo, d) || h > 23 || mi > 59 || s > 59) return null;
  let offsetMinutes: number | null = null;
  if (m[8] !== undefined) offsetMinutes = 0;
  else if (m[9] !== undefined) {
    offsetMinutes = signedMinutes(m[9], m[10], m[11]);
    if (offsetMinutes === null) return null;
  }
  return { wallMs: Date.UTC(y, mo - 1, d, h, mi, s, ms), offsetMinutes };
}

/** The instant of a time that states its offset; null without one (or when malformed). */
export function instantOf(value: unknown): Date | null {
  const written = readDateTime(value);
  if (!written || written.offsetMinutes === null) return null;
  return new Date(written.wallMs - written.offsetMinutes * 60_000);
}

/**
 * The instant of a time whose offset may be missing: then the offset the record gives
 * elsewhere, else the patient's zone (DST-safe).
 */
export function instantIn(
  value: unknown,
  timeZone: string,
  fallbackOffsetMinutes: number | null = null,
): Date | null {
  const written = readDateTime(value);
  if (!written) return null;
  const offset = written.offsetMinutes ?? fallbackOffsetMinutes;
  if (offset !== null) return new Date(written.wallMs - offset * 60_000);
  return zonedWallTimeToInstant(new Date(written.wallMs).toISOString().slice(0, 23), timeZone);
}

/** A calendar date `YYYY-MM-DD` with nothing after it, or null. */
export function bareDateOf(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const m = BARE_DATE.exec(value.trim());
  return m && validDate(Number(m[1]), Number(m[2]), Number(m[3])) ? m[0] : null;
}

// Like the native format: a span of most of a day is a daily total, which may still be
// growing (today's count), so the future-end check does not apply to it.
export function granularityOf(start: Date, end: Date): ActivitySample['granularity'] {
  return end.getTime() - start.getTime() >= 20 * 3_600_000 ? 'day' : 'interval';
}
