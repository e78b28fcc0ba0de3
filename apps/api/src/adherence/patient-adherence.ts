import {
  type AdherenceInput,
  type AdherenceSettings,
  dailyExerciseAdherence,
  dayCount,
  type DayRange,
  eachDay,
  isActiveDay,
  isDataDay,
  isHeldOn,
  type LocalDay,
  walkingAdherence,
  weeklyFiguresOf,
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
 * the program's start to `range.to`: the domain's weeklyFiguresOf, the figures the worker's
 * adherence_weeks hold (up to the last closed day there). Weeks without a day from the
 * program's start are left out.
 */
export function adherenceWeeks(
  input: AdherenceInput,
  settings: AdherenceSettings,
  range: DayRange,
): AdherenceWeek[] {
  return weeklyFiguresOf(input, settings, range).map(({ weekStart, counted, figures }) => ({
    weekStart,
    daysCounted: dayCount(counted),
    prescribedSessions: figures.exercise.prescribed,
    completedSessions: figures.exercise.completed,
    exerciseAdherence: figures.exercise.ratio,
    walkingAdherence: figures.walking?.ratio ?? null,
    activeDays: figures.activeDays,
    dataDays: figures.dataDays,
  }));
}
