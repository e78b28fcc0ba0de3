import {
  activeDays,
  addDays,
  type AdherenceInput,
  type AdherenceSettings,
  dailyExerciseAdherence,
  dataDays,
  dayCount,
  type DayRange,
  eachDay,
  exerciseAdherence,
  isActiveDay,
  isDataDay,
  isHeldOn,
  type LocalDay,
  walkingAdherence,
  weeklyItemAdherence,
} from '@app/domain';

export interface AdherenceDay {
  date: LocalDay;
  prescribedSessions: number;
  completedSessions: number;
  exerciseAdherence: number | null;
  steps: number | null;
  stepGoalMet: boolean | null;
  active: boolean;
  onHold: boolean;
  dataDay: boolean;
}

export interface AdherenceWeek {
  weekStart: LocalDay;
  daysCounted: number;
  prescribedSessions: number;
  completedSessions: number;
  exerciseAdherence: number | null;
  walkingAdherence: number | null;
  activeDays: number;
  dataDays: number;
}

/** The Monday of the week `day` falls in: weeks run Monday to Sunday, as in adherence_weeks. */
export function mondayOf(day: LocalDay): LocalDay {
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay(); // 0 is Sunday
  return addDays(day, -((weekday + 6) % 7));
}

function later(a: LocalDay, b: LocalDay): LocalDay {
  return a > b ? a : b;
}

function earlier(a: LocalDay, b: LocalDay): LocalDay {
  return a < b ? a : b;
}

function groupByDay<T extends { readonly localDate: LocalDay }>(
  rows: readonly T[],
): Map<LocalDay, T[]> {
  const days = new Map<LocalDay, T[]>();
  for (const row of rows) {
    const list = days.get(row.localDate);
    if (list) list.push(row);
    else days.set(row.localDate, [row]);
  }
  return days;
}

/**
 * The input cut down to the records of a range. The domain functions index every record they
 * are given; handing each day only its own keeps a year of days linear in the records.
 */
function recordsWithin(input: AdherenceInput): (range: DayRange) => AdherenceInput {
  const sessions = groupByDay(input.sessions);
  const painReports = groupByDay(input.painReports);
  const dailySteps = groupByDay(input.dailySteps);
  return (range) => {
    const days = eachDay(range);
    return {
      program: input.program,
      sessions: days.flatMap((d) => sessions.get(d) ?? []),
      painReports: days.flatMap((d) => painReports.get(d) ?? []),
      dailySteps: days.flatMap((d) => dailySteps.get(d) ?? []),
    };
  };
}

/**
 * One entry per local day of `range`. Before the program's start nothing is prescribed:
 * no sessions are due, the adherence and the step goal are null; the day's steps, activity
 * and data are still what was recorded.
 */
export function adherenceDays(
  input: AdherenceInput,
  settings: AdherenceSettings,
  range: DayRange,
): AdherenceDay[] {
  const within = recordsWithin(input);
  return eachDay(range).map((date) => {
    const day = within({ from: date, to: date });
    const started = date >= input.program.startDate;
    const exercise = started ? dailyExerciseAdherence(day, date) : null;
    const walking = started ? walkingAdherence(day, { from: date, to: date }) : null;
    return {
      date,
      prescribedSessions: exercise?.prescribed ?? 0,
      completedSessions: exercise?.completed ?? 0,
      exerciseAdherence: exercise?.ratio ?? null,
      steps: day.dailySteps.length ? Math.max(...day.dailySteps.map((s) => s.steps)) : null,
      stepGoalMet: walking ? walking.daysMet === 1 : null,
      active: isActiveDay(day, settings, date),
      onHold: isHeldOn(input.program, date),
      dataDay: isDataDay(day, date),
    };
  });
}

/**
 * The Monday weeks from the week of `range.from` to that of `range.to`, each over its days from
 * the program's start to `range.to` (the worker's adherence_weeks count the same days, up to the
 * last closed one). weeklyFigures would count all seven days, so that a week cut by the start or
 * by today would show the days outside it as missed; the week is built here from the same
 * range functions instead: daily rounds plus, as there, one session per day a weekly item was
 * done, up to its daysPerWeek. Weeks without a day from the program's start are left out.
 */
export function adherenceWeeks(
  input: AdherenceInput,
  settings: AdherenceSettings,
  range: DayRange,
): AdherenceWeek[] {
  const within = recordsWithin(input);
  const weeks: AdherenceWeek[] = [];
  for (let monday = mondayOf(range.from); monday <= range.to; monday = addDays(monday, 7)) {
    const counted = {
      from: later(monday, input.program.startDate),
      to: earlier(addDays(monday, 6), range.to),
    };
    if (counted.from > counted.to) continue;
    const week = within(counted);
    const rounds = exerciseAdherence(week, counted);
    // Daily items come back with nothing prescribed: only daysPerWeek items add to the week.
    const weeklyItems = week.program.items.map((item) => weeklyItemAdherence(week, item, monday));
    const completed = rounds.completed + weeklyItems.reduce((sum, i) => sum + i.completed, 0);
    const prescribed = rounds.prescribed + weeklyItems.reduce((sum, i) => sum + i.prescribed, 0);
    weeks.push({
      weekStart: monday,
      daysCounted: dayCount(counted),
      prescribedSessions: prescribed,
      completedSessions: completed,
      exerciseAdherence: prescribed > 0 ? completed / prescribed : null,
      walkingAdherence: walkingAdherence(week, counted)?.ratio ?? null,
      activeDays: activeDays(week, settings, counted).length,
      dataDays: dataDays(week, counted).length,
    });
  }
  return weeks;
}
