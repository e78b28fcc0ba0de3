import { activeStepThreshold, type DayIndex, hasDataIn, indexByDay, isActiveIn } from './day-index';
import { daysStarting, eachDay, isHeldOn, overlap, WEEK_DAYS, weeksOf } from './days';
import type {
  Adherence,
  AdherenceInput,
  AdherenceProgram,
  AdherenceProgramItem,
  AdherenceSettings,
  CountedWeekFigures,
  DayRange,
  LocalDay,
  RemoteMonitoringCode,
  RemoteMonitoringEligibility,
  RestGap,
  SessionExercises,
  WalkingAdherence,
  WeeklyFigures,
  WeeklyItemAdherence,
} from './types';

const BILLING_PERIOD_DAYS = 30;

function adherence(completed: number, prescribed: number): Adherence {
  return { completed, prescribed, ratio: prescribed > 0 ? completed / prescribed : null };
}

// An item with timesPerDay is daily; with daysPerWeek only, weekly. resolveProgramItems refuses
// both on one item; should both arrive anyway, the daily prescription wins.
function isDailyItem(item: AdherenceProgramItem): boolean {
  return (item.timesPerDay ?? 0) > 0;
}

function isWeeklyItem(item: AdherenceProgramItem): boolean {
  return !isDailyItem(item) && (item.daysPerWeek ?? 0) > 0;
}

function includesExercise(session: SessionExercises, exerciseCode: string): boolean {
  return session.exerciseCodes.includes(exerciseCode);
}

/**
 * A session is one round of the program's daily items, so the rounds a day needs are those of
 * the most frequent daily item (press-ups 6×/day and a stretch 2×/day: 6 rounds, the stretch
 * done in 2 of them). 0 when the program has no daily item.
 */
export function prescribedSessionsPerDay(items: readonly AdherenceProgramItem[]): number {
  return Math.max(0, ...items.filter(isDailyItem).map((i) => i.timesPerDay ?? 0));
}

function dailyRounds(index: DayIndex, program: AdherenceProgram, range: DayRange): Adherence {
  const { items } = program;
  const perDay = prescribedSessionsPerDay(items);
  const dailyCodes = items.filter(isDailyItem).map((i) => i.exerciseCode);
  let completed = 0;
  let prescribed = 0;
  for (const day of eachDay(range)) {
    // On hold, nothing is due; what was done anyway is not counted either.
    if (isHeldOn(program, day)) continue;
    // Only a session with a daily item is a round: a stabilization-only session is weekly work.
    const rounds = index
      .sessionsOn(day)
      .filter((s) => dailyCodes.some((code) => includesExercise(s, code))).length;
    completed += Math.min(rounds, perDay);
    prescribed += perDay;
  }
  return adherence(completed, prescribed);
}

/** One day: logged sessions with a daily item, capped at the prescribed rounds. */
export function dailyExerciseAdherence(input: AdherenceInput, day: LocalDay): Adherence {
  return dailyRounds(indexByDay(input), input.program, { from: day, to: day });
}

/**
 * A period: Σ per day min(rounds logged, rounds prescribed) / Σ rounds prescribed. Weekly
 * items are left to `weeklyFigures`, the only period their prescription is defined over.
 */
export function exerciseAdherence(input: AdherenceInput, range: DayRange): Adherence {
  return dailyRounds(indexByDay(input), input.program, range);
}

/**
 * A weekly item in a 7-day week: days done / daysPerWeek, both capped. Days on hold are neither
 * available nor counted: a week with 5 of its days on hold prescribes at most 2. A week cut by
 * the program's start or by today still prescribes it whole (the days may still come by
 * Sunday), and counts the days done among its `counted` days (within `week`) only.
 */
function weeklyItemIn(
  index: DayIndex,
  program: AdherenceProgram,
  item: AdherenceProgramItem,
  week: DayRange,
  counted: DayRange,
): WeeklyItemAdherence {
  const offHold = (day: LocalDay) => !isHeldOn(program, day);
  const open = eachDay(week).filter(offHold);
  const prescribed = isWeeklyItem(item) ? Math.min(item.daysPerWeek ?? 0, open.length) : 0;
  const daysDone = eachDay(counted)
    .filter(offHold)
    .filter((day) =>
      index.sessionsOn(day).some((s) => includesExercise(s, item.exerciseCode)),
    ).length;
  return {
    position: item.position,
    exerciseCode: item.exerciseCode,
    ...adherence(Math.min(daysDone, prescribed), prescribed),
  };
}

function walkingIn(
  index: DayIndex,
  goalSteps: number | null,
  range: DayRange,
): WalkingAdherence | null {
  if (goalSteps === null || goalSteps <= 0) return null;
  const days = eachDay(range);
  // A day without device data does not meet the goal: it is not known to.
  const daysMet = days.filter((day) => (index.stepsOn(day) ?? -1) >= goalSteps).length;
  return { goalSteps, daysMet, days: days.length, ratio: days.length ? daysMet / days.length : 0 };
}

/** Days with steps ≥ the daily goal / days in the period; null without a walking goal. */
export function walkingAdherence(input: AdherenceInput, range: DayRange): WalkingAdherence | null {
  return walkingIn(indexByDay(input), input.program.walkingGoalDailySteps, range);
}

/** At least one logged session, or steps ≥ the activity threshold (never with no walking goal). */
export function isActiveDay(
  input: AdherenceInput,
  settings: AdherenceSettings,
  day: LocalDay,
): boolean {
  const threshold = activeStepThreshold(
    input.program.walkingGoalDailySteps,
    settings.activeDayStepPercent,
  );
  return isActiveIn(indexByDay(input), threshold, day);
}

/** Any session, pain report or device data on that local day. */
export function isDataDay(input: AdherenceInput, day: LocalDay): boolean {
  return hasDataIn(indexByDay(input), day);
}

export function activeDays(
  input: AdherenceInput,
  settings: AdherenceSettings,
  range: DayRange,
): LocalDay[] {
  const index = indexByDay(input);
  const threshold = activeStepThreshold(
    input.program.walkingGoalDailySteps,
    settings.activeDayStepPercent,
  );
  return eachDay(range).filter((day) => isActiveIn(index, threshold, day));
}

export function dataDays(input: AdherenceInput, range: DayRange): LocalDay[] {
  const index = indexByDay(input);
  return eachDay(range).filter((day) => hasDataIn(index, day));
}

/**
 * The week of the 7 local days from `weekStart`, over its `counted` days (all seven unless
 * given): exercise and walking adherence, active and data days. Rounds, walking, activity and
 * data are counted on the counted days only; each weekly item is prescribed for the whole week
 * (see weeklyItemIn).
 */
export function weeklyFigures(
  input: AdherenceInput,
  settings: AdherenceSettings,
  weekStart: LocalDay,
  counted?: DayRange,
): WeeklyFigures {
  return figuresOfWeek(indexByDay(input), input.program, settings, weekStart, counted);
}

/**
 * The figures of each Monday week of `range` over the days weeksOf counts (from the program's
 * start to `range.to`): the patient endpoint's weeks, and what the worker's set-based
 * ADHERENCE_WEEKS_SQL writes to adherence_weeks (test/adherence-weeks.e2e-spec.ts holds the
 * SQL to this function).
 */
export function weeklyFiguresOf(
  input: AdherenceInput,
  settings: AdherenceSettings,
  range: DayRange,
): CountedWeekFigures[] {
  const index = indexByDay(input);
  return weeksOf(range, input.program.startDate).map((week) => ({
    ...week,
    figures: figuresOfWeek(index, input.program, settings, week.weekStart, week.counted),
  }));
}

function figuresOfWeek(
  index: DayIndex,
  program: AdherenceProgram,
  settings: AdherenceSettings,
  weekStart: LocalDay,
  counted?: DayRange,
): WeeklyFigures {
  const week = daysStarting(weekStart, WEEK_DAYS);
  const inWeek = counted ? overlap(counted, week) : week;
  const { items, walkingGoalDailySteps } = program;
  const dailySessions = dailyRounds(index, program, inWeek);
  const weeklyItems = items
    .filter(isWeeklyItem)
    .map((item) => weeklyItemIn(index, program, item, week, inWeek));
  const threshold = activeStepThreshold(walkingGoalDailySteps, settings.activeDayStepPercent);
  const days = eachDay(inWeek);
  return {
    weekStart: week.from,
    weekEnd: week.to,
    // A weekly item done on a day is one prescribed session, like one round of the daily items.
    exercise: adherence(
      dailySessions.completed + weeklyItems.reduce((sum, i) => sum + i.completed, 0),
      dailySessions.prescribed + weeklyItems.reduce((sum, i) => sum + i.prescribed, 0),
    ),
    dailySessions,
    weeklyItems,
    walking: walkingIn(index, walkingGoalDailySteps, inWeek),
    activeDays: days.filter((day) => isActiveIn(index, threshold, day)).length,
    dataDays: days.filter((day) => hasDataIn(index, day)).length,
  };
}

/** Every maximal run of consecutive days of the range none of which was active or on hold. */
export function restGaps(
  input: AdherenceInput,
  settings: AdherenceSettings,
  range: DayRange,
): RestGap[] {
  const index = indexByDay(input);
  const threshold = activeStepThreshold(
    input.program.walkingGoalDailySteps,
    settings.activeDayStepPercent,
  );
  const gaps: RestGap[] = [];
  let run: LocalDay[] = [];
  const close = () => {
    if (run.length === 0) return;
    gaps.push({
      from: run[0],
      to: run[run.length - 1],
      days: run.length,
      daysWithoutData: run.filter((day) => !hasDataIn(index, day)).length,
    });
    run = [];
  };
  for (const day of eachDay(range)) {
    // A day on hold ends a run: resting is what the patient was told to do.
    if (isActiveIn(index, threshold, day) || isHeldOn(input.program, day)) close();
    else run.push(day);
  }
  close();
  return gaps;
}

/** 16+ data days in the 30-day period: 98977; 2–15: 98985; fewer: not billable. */
export function remoteMonitoringCode(dataDayCount: number): RemoteMonitoringCode | null {
  if (dataDayCount >= 16) return '98977';
  if (dataDayCount >= 2) return '98985';
  return null;
}

/** Data days in the 30 local days from `periodStart`, and the code they qualify for. */
export function remoteMonitoringEligibility(
  input: AdherenceInput,
  periodStart: LocalDay,
): RemoteMonitoringEligibility {
  const period = daysStarting(periodStart, BILLING_PERIOD_DAYS);
  const count = dataDays(input, period).length;
  return { from: period.from, to: period.to, dataDays: count, code: remoteMonitoringCode(count) };
}
