import { systemClock } from '@app/config';
import { isValidTimeZone, readCalendarDate, readInstant } from '@app/domain';
import { registerDecorator, ValidationOptions } from 'class-validator';

export function IsTimeZone(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isTimeZone',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: 'must be an IANA time-zone name such as Europe/Paris', ...options },
      validator: {
        validate: (value: unknown) => typeof value === 'string' && isValidTimeZone(value),
      },
    });
}

const EARLIEST_DATE = '1900-01-01';
/** How far ahead a calendar date may be: today (anywhere on Earth), or a year on. */
export type LatestDate = 'today' | 'next-year';
const DAY_MS = 86_400_000;
// "Today anywhere": the first zones (UTC+14) are 14 hours ahead of UTC.
const AHEAD_MS = 14 * 3_600_000;

function latestDate(latest: LatestDate, now: Date): string {
  const days = latest === 'today' ? 0 : 366;
  return new Date(now.getTime() + AHEAD_MS + days * DAY_MS).toISOString().slice(0, 10);
}

function calendarDateProblem(value: unknown, latest: LatestDate): string | null {
  const date = readCalendarDate(value);
  if (typeof date !== 'string') return date.problem;
  if (date < EARLIEST_DATE) return `must not be before ${EARLIEST_DATE}`;
  const last = latestDate(latest, systemClock.now());
  if (date > last) {
    return latest === 'today' ? 'must not be in the future' : `must not be after ${last}`;
  }
  return null;
}

/**
 * A calendar day `YYYY-MM-DD` that exists (no 2026-02-30), from 1900 to `latest`: a day that
 * has begun somewhere on Earth, or a year on (the default: ranges to read, programs to start).
 */
export function IsCalendarDate(
  latest: LatestDate = 'next-year',
  options?: ValidationOptions,
): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isCalendarDate',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: (args) => calendarDateProblem(args.value, latest) ?? 'must be a calendar date',
        ...options,
      },
      validator: { validate: (value: unknown) => calendarDateProblem(value, latest) === null },
    });
}

/**
 * An RFC 3339 date-time that says its offset (`Z` or `+02:00`): a bare local time is
 * ambiguous, and an impossible one (2026-02-30, 24:00, +15:00) is refused, not moved.
 */
export function IsInstantWithOffset(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isInstantWithOffset',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: (args) => {
          const instant = readInstant(args.value);
          return typeof instant === 'string' ? instant : 'must be a date-time';
        },
        ...options,
      },
      validator: { validate: (value: unknown) => readInstant(value) instanceof Date },
    });
}
