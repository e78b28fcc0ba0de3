import type { AdherenceInput, LocalDay, SessionExercises } from './types';

// One pass over the records, then constant-time questions per day: the period and flag
// functions ask about every day of a month or more.

export interface DayIndex {
  sessionsOn(day: LocalDay): readonly SessionExercises[];
  /** Null when no device reported that day ("no data" is not "no activity"). */
  stepsOn(day: LocalDay): number | null;
  hasPainReportOn(day: LocalDay): boolean;
}

export function indexByDay(input: AdherenceInput): DayIndex {
  // Every session as the exercises it logged, from sessionDays when given (see AdherenceInput).
  const sessions = new Map<LocalDay, SessionExercises[]>();
  const add = (day: LocalDay, exercises: readonly SessionExercises[]) => {
    const list = sessions.get(day);
    if (list) list.push(...exercises);
    else sessions.set(day, [...exercises]);
  };
  if (input.sessionDays) {
    for (const day of input.sessionDays) add(day.localDate, day.sessions);
  } else {
    for (const s of input.sessions) {
      add(s.localDate, [{ exerciseCodes: s.items.map((i) => i.exerciseCode) }]);
    }
  }
  const steps = new Map<LocalDay, number>();
  for (const row of input.dailySteps) {
    // Rollups are already merged across sources; a repeated day must not add up twice.
    steps.set(row.localDate, Math.max(steps.get(row.localDate) ?? 0, row.steps));
  }
  const painDays = new Set(input.painReports.map((r) => r.localDate));
  return {
    sessionsOn: (day) => sessions.get(day) ?? [],
    stepsOn: (day) => steps.get(day) ?? null,
    hasPainReportOn: (day) => painDays.has(day),
  };
}

/** The steps that make a day active, or null when only sessions can (no walking goal). */
export function activeStepThreshold(
  walkingGoalDailySteps: number | null,
  activeDayStepPercent: number,
): number | null {
  if (walkingGoalDailySteps === null || walkingGoalDailySteps <= 0) return null;
  return (walkingGoalDailySteps * activeDayStepPercent) / 100;
}

export function isActiveIn(index: DayIndex, stepThreshold: number | null, day: LocalDay): boolean {
  if (index.sessionsOn(day).length > 0) return true;
  const steps = index.stepsOn(day);
  return stepThreshold !== null && steps !== null && steps >= stepThreshold;
}

export function hasDataIn(index: DayIndex, day: LocalDay): boolean {
  return (
    index.sessionsOn(day).length > 0 || index.hasPainReportOn(day) || index.stepsOn(day) !== null
  );
}
