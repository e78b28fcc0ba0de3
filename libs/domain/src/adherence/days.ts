import { addDays, localDateOf } from '../local-time';
import type { AdherenceProgram, DayRange, LocalDay } from './types';

// Days are calendar dates, never 24-hour spans: a 23- or 25-hour DST day is still one day.

/** Every local day of a range, both ends included; empty when `to` is before `from`. */
export function eachDay(range: DayRange): LocalDay[] {
  const days: LocalDay[] = [];
  for (let day = range.from; day <= range.to; day = addDays(day, 1)) days.push(day);
  return days;
}

/** The range of `length` local days that starts on `from`. */
export function daysStarting(from: LocalDay, length: number): DayRange {
  return { from, to: addDays(from, length - 1) };
}

/** The range of `length` local days that ends on `to`. */
export function daysEnding(to: LocalDay, length: number): DayRange {
  return { from: addDays(to, -(length - 1)), to };
}

export function isWithin(day: LocalDay, range: DayRange): boolean {
  return day >= range.from && day <= range.to;
}

/** The patient-local day a job running at `now` evaluates: "today" for every flag. */
export function evaluationDay(now: Date, timeZone: string): LocalDay {
  return localDateOf(now, timeZone);
}

/** How many local days a range holds, both ends included (0 when `to` is before `from`). */
export function dayCount(range: DayRange): number {
  const days =
    (Date.parse(`${range.to}T00:00:00Z`) - Date.parse(`${range.from}T00:00:00Z`)) / 86_400_000;
  return Math.max(0, Math.round(days) + 1);
}

/** Whether the program was on hold (paused or suspended) for some or all of a local day. */
export function isHeldOn(program: AdherenceProgram, day: LocalDay): boolean {
  return (program.holds ?? []).some((h) => day >= h.from && (h.to === null || day <= h.to));
}
