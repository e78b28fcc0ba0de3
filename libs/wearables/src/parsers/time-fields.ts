import { readCalendarDate, readWrittenTime, zonedWallTimeToInstant } from '@app/domain';
import type { WrittenTime } from '@app/domain';
import type { ActivitySample } from '../types';

export { offsetTextMinutes } from '@app/domain';

/**
 * A time as a source writes it (ISO 8601 / RFC 3339, or a look-alike such as Apple's
 * `2026-11-01 09:00:00 +0100`), read by the domain's one reader: null when it is not one or
 * names a time that cannot exist.
 */
export function readDateTime(value: unknown): WrittenTime | null {
  const written = readWrittenTime(value, 'lenient');
  return typeof written === 'string' ? null : written;
}

/** The instant of a time that states its offset, or why not (`field` names it in the reason). */
export function instantOrProblem(value: unknown, field: string): Date | string {
  const written = readWrittenTime(value, 'lenient');
  if (typeof written === 'string') return `${field} ${written}`;
  if (written.offsetMinutes === null) return `${field} needs an offset (Z or ±HH:MM)`;
  return new Date(written.wallMs - written.offsetMinutes * 60_000);
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
  const date = readCalendarDate(value.trim());
  return typeof date === 'string' ? date : null;
}

// Like the native format: a span of most of a day is a daily total, which may still be
// growing (today's count), so the future-end check does not apply to it.
export function granularityOf(start: Date, end: Date): ActivitySample['granularity'] {
  return end.getTime() - start.getTime() >= 20 * 3_600_000 ? 'day' : 'interval';
}
