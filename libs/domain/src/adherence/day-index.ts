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
  const sessions = new Map<LocalDay, readonly SessionExercises[]>();
  if (input.sessionDays) {
    for (const day of input.sessionDays) {
      const seen = sessions.get(day.localDate);
      sessions.set(day.localDate, seen ? [...seen, ...day.sessions] : day.sessions);
    }
  } else {
    for (const session of input.sessions) {
      const exercises = { exerciseCodes: session.items.map((i) => i.exerciseCode) };
      const list = sessions.get(session.localDate) as SessionExercises[] | undefined;
      if (list) list.push(exercises);
      else sessions.set(session.localDate, [exercises]);
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
