import { addDays, localDateOf } from '../local-time';
import type { AdherenceProgram, CountedWeek, DayRange, LocalDay } from './types';

// Days are calendar dates, never 24-hour spans: a 23- or 25-hour DST day is still one day.

export const WEEK_DAYS = 7;

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

/** The days two ranges share; empty (`to` before `from`) when they share none. */
export function overlap(a: DayRange, b: DayRange): DayRange {
  return { from: a.from > b.from ? a.from : b.from, to: a.to < b.to ? a.to : b.to };
}

/**
 * The Monday of the week `day` falls in. Weeks run Monday to Sunday in the patient's zone:
 * `day` is already a patient-local date, so this is calendar arithmetic only.
 */
export function mondayOf(day: LocalDay): LocalDay {
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay(); // 0 is Sunday
  return addDays(day, -((weekday + 6) % 7));
}

/**
 * The Monday weeks from the week of `range.from` to the week of `range.to`, each with the days
 * it counts: those from the program's start to `range.to`. `range.from` only picks the first
 * week, which counts from its Monday: a week is never cut at mid-week but by the program's
 * start or by the last day there is (today, or the last closed day), so that neither the days
 * before the program nor the days still to come count as missed. Weeks with no day to count
 * are left out.
 */
export function weeksOf(range: DayRange, programStart: LocalDay): CountedWeek[] {
  const weeks: CountedWeek[] = [];
  const countable = { from: programStart, to: range.to };
  for (let monday = mondayOf(range.from); monday <= range.to; monday = addDays(monday, WEEK_DAYS)) {
    const counted = overlap(daysStarting(monday, WEEK_DAYS), countable);
    if (counted.from <= counted.to) weeks.push({ weekStart: monday, counted });
  }
  return weeks;
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
