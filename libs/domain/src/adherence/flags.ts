import { isStrengtheningFamily } from '../exercises';
import { addDays } from '../local-time';
import type { PainSite } from '../pain';
import type { Severity } from '../rules/types';
import { activeStepThreshold, type DayIndex, hasDataIn, indexByDay, isActiveIn } from './day-index';
import { dayCount, daysEnding, daysStarting, eachDay, isHeldOn, isWithin } from './days';
import type {
  AdherenceProgramItem,
  AdherenceSettings,
  DatedFinding,
  DayRange,
  FlagInput,
  LocalDay,
  LoggedSession,
  LoggedSessionItem,
  ProgressionFlag,
  ReportedPain,
} from './types';

// Flags that count days (rest gap, data gap, walking, low activity, dose met) look at closed
// local days, up to yesterday: a day still running can be neither a rest day, nor a day without
// data, nor a day short of its steps. Today counts only where it already settles the answer (an
// active day ends a rest gap, data ends a data gap). Flags built on sessions and pain reports
// take them up to today: a logged session or report does not change when the day ends.

const WORSENING: readonly Severity[] = ['warning', 'urgent'];
const CENTRALIZED: readonly PainSite[] = ['none', 'low_back'];
const WEEK_DAYS = 7;

function hasWorseningFinding(findings: readonly DatedFinding[], range: DayRange): boolean {
  return findings.some((f) => WORSENING.includes(f.severity) && isWithin(f.localDate, range));
}

/** The run of consecutive days ending yesterday for which `matches` holds, oldest first. */
function runEndingYesterday(
  today: LocalDay,
  earliest: LocalDay,
  matches: (day: LocalDay) => boolean,
): LocalDay[] {
  const run: LocalDay[] = [];
  for (let day = addDays(today, -1); day >= earliest && matches(day); day = addDays(day, -1)) {
    run.push(day);
  }
  return run.reverse();
}

/**
 * More than `restGapDays` (the program's, else the settings') consecutive closed days without
 * an active day, counted from the program start or the end of a hold (days on which the
 * program was paused or suspended are not rest days). An active today, or a hold today, ends
 * the gap. A run with no data at all is a DATA_GAP, not a rest: "no data" is not "no activity".
 */
export function restGapExceeded(
  input: FlagInput,
  settings: AdherenceSettings,
  today: LocalDay,
): ProgressionFlag | null {
  const { program } = input;
  const limit = program.restGapDays ?? settings.restGapDays;
  const index = indexByDay(input);
  const threshold = activeStepThreshold(
    program.walkingGoalDailySteps,
    settings.activeDayStepPercent,
  );
  if (isActiveIn(index, threshold, today)) return null;
  // A day on hold ends the run, as an active day does: the patient was told to stop.
  if (isHeldOn(program, today)) return null;
  const run = runEndingYesterday(
    today,
    program.startDate,
    (day) => !isActiveIn(index, threshold, day) && !isHeldOn(program, day),
  );
  if (run.length <= limit) return null;
  const daysWithoutData = run.filter((day) => !hasDataIn(index, day)).length;
  if (daysWithoutData === run.length) return null;
  const dayBefore = addDays(run[0], -1);
  return {
    flag: 'REST_GAP_EXCEEDED',
    since: run[0],
    evidence: {
      from: run[0],
      to: run[run.length - 1],
      inactiveDays: run.length,
      restGapDays: limit,
      daysWithoutData,
      // The run began after an active day, or after the end of a hold (or at the start).
      lastActiveDay:
        dayBefore >= program.startDate && !isHeldOn(program, dayBefore) ? dayBefore : null,
      holdEndedOn: isHeldOn(program, dayBefore) ? dayBefore : null,
    },
  };
}

/**
 * `dataGapDays` or more consecutive closed days, from the program start, without any session,
 * pain report or device data; data today ends the gap.
 */
export function dataGap(
  input: FlagInput,
  settings: AdherenceSettings,
  today: LocalDay,
): ProgressionFlag | null {
  const index = indexByDay(input);
  if (hasDataIn(index, today)) return null;
  const run = runEndingYesterday(today, input.program.startDate, (day) => !hasDataIn(index, day));
  if (run.length < settings.dataGapDays) return null;
  const dayBefore = addDays(run[0], -1);
  return {
    flag: 'DATA_GAP',
    since: run[0],
    evidence: {
      from: run[0],
      to: run[run.length - 1],
      daysWithoutData: run.length,
      lastDataDay: dayBefore >= input.program.startDate ? dayBefore : null,
    },
  };
}

function notBelow(logged: number | null | undefined, prescribed: number | null): boolean {
  return logged === null || logged === undefined || prescribed === null || logged >= prescribed;
}

function newestFirst(a: LoggedSession, b: LoggedSession): number {
  return b.performedAt.getTime() - a.performedAt.getTime() || (a.id < b.id ? 1 : -1);
}

interface DoseSession {
  readonly sessionId: string;
  readonly day: LocalDay;
  readonly logged: LoggedSessionItem;
}

interface DoseStreak {
  readonly since: LocalDay;
  readonly sessions: readonly DoseSession[];
}

/**
 * Sessions of one exercise a day beyond which a patient's log is not a dose the program
 * prescribes (press-ups about every 2 hours are 8 a day): a progression over more than this many
 * a day of its window is not suggested, and the worker reads no more doses than that.
 */
export const PROGRESSION_MAX_SESSIONS_PER_DAY = 15;

/** How many of an item's newest sessions, with their doses, the progression flags read at most. */
export function progressionSessionsRead(settings: AdherenceSettings): number {
  return PROGRESSION_MAX_SESSIONS_PER_DAY * settings.progressionMinDays + 1;
}

/**
 * Every session of the item's last `progressionMinDays` local days that had one (sessions that
 * logged it, up to today) at the prescribed dose, `progressionSessions` sessions or more in
 * all, and no worsening finding from the first of those days through today. A patient who does
 * the exercise several times a day qualifies at the end of a day as well as the next morning.
 * More than PROGRESSION_MAX_SESSIONS_PER_DAY a day of those days: nothing is suggested (the
 * caller may pass only the item's newest `progressionSessionsRead` sessions).
 */
function doseStreak(
  input: FlagInput,
  settings: AdherenceSettings,
  today: LocalDay,
  item: AdherenceProgramItem,
  atDose: (logged: LoggedSessionItem) => boolean,
): DoseStreak | null {
  const withItem = input.sessions
    .filter(
      (s) => s.localDate <= today && s.items.some((i) => i.exerciseCode === item.exerciseCode),
    )
    .sort(newestFirst)
    .slice(0, progressionSessionsRead(settings));
  const days = [...new Set(withItem.map((s) => s.localDate))].sort();
  if (days.length < settings.progressionMinDays) return null;
  const since = days[days.length - settings.progressionMinDays];
  const recent = withItem.filter((s) => s.localDate >= since);
  if (recent.length < settings.progressionSessions) return null;
  if (recent.length > PROGRESSION_MAX_SESSIONS_PER_DAY * settings.progressionMinDays) return null;
  const sessions: DoseSession[] = [];
  for (const session of [...recent].reverse()) {
    const logged = session.items.find((i) => i.exerciseCode === item.exerciseCode && atDose(i));
    if (!logged) return null;
    sessions.push({ sessionId: session.id, day: session.localDate, logged });
  }
  if (hasWorseningFinding(input.findings, { from: since, to: today })) return null;
  return { since, sessions };
}

/**
 * A held item below its hold goal, done at the prescribed hold (and at least the prescribed
 * reps and sets, where logged) in every session of its last 2 days with sessions (3 or more in
 * all), nothing worse meanwhile: suggest +5 s, capped at the goal.
 */
export function holdProgressionReady(
  input: FlagInput,
  settings: AdherenceSettings,
  today: LocalDay,
  item: AdherenceProgramItem,
): ProgressionFlag | null {
  const { holdSeconds, holdGoalSeconds } = item;
  if (holdSeconds === null || holdGoalSeconds === null || holdSeconds >= holdGoalSeconds) {
    return null;
  }
  // The hold is what progresses: a log that does not say how long it was held is no evidence.
  const streak = doseStreak(
    input,
    settings,
    today,
    item,
    (logged) =>
      logged.holdSeconds !== null &&
      logged.holdSeconds !== undefined &&
      logged.holdSeconds >= holdSeconds &&
      notBelow(logged.reps, item.reps) &&
      notBelow(logged.sets, item.sets),
  );
  if (!streak) return null;
  return {
    flag: 'HOLD_PROGRESSION_READY',
    since: streak.since,
    evidence: {
      itemPosition: item.position,
      exerciseCode: item.exerciseCode,
      holdSeconds,
      holdGoalSeconds,
      suggestedHoldSeconds: Math.min(holdSeconds + settings.holdIncrementSeconds, holdGoalSeconds),
      sessions: streak.sessions.map((s) => ({
        sessionId: s.sessionId,
        day: s.day,
        holdSeconds: s.logged.holdSeconds,
      })),
    },
  };
}

/**
 * The same for repetitions: an item below its reps goal, done at the prescribed reps (and at
 * least the prescribed sets and hold, where logged) in every session of its last 2 days with
 * sessions (3 or more in all), nothing worse meanwhile: suggest +1 rep, capped at the goal.
 */
export function repsProgressionReady(
  input: FlagInput,
  settings: AdherenceSettings,
  today: LocalDay,
  item: AdherenceProgramItem,
): ProgressionFlag | null {
  const { reps, repsGoal } = item;
  if (reps === null || repsGoal === null || reps >= repsGoal) return null;
  const streak = doseStreak(
    input,
    settings,
    today,
    item,
    (logged) =>
      logged.reps !== null &&
      logged.reps !== undefined &&
      logged.reps >= reps &&
      notBelow(logged.sets, item.sets) &&
      notBelow(logged.holdSeconds, item.holdSeconds),
  );
  if (!streak) return null;
  return {
    flag: 'REPS_PROGRESSION_READY',
    since: streak.since,
    evidence: {
      itemPosition: item.position,
      exerciseCode: item.exerciseCode,
      reps,
      repsGoal,
      suggestedReps: Math.min(reps + settings.repsIncrement, repsGoal),
      sessions: streak.sessions.map((s) => ({
        sessionId: s.sessionId,
        day: s.day,
        reps: s.logged.reps,
      })),
    },
  };
}

/**
 * Every pain report of the 3 most recent report days (up to today) has its most distal site at
 * `low_back` or `none`, no warning or urgent alert is open, the program has no strengthening
 * item yet, is not on hold today, and no REST_GAP_EXCEEDED is current: suggest adding the
 * strengthening set.
 */
export function readyForStrengthening(
  input: FlagInput,
  settings: AdherenceSettings,
  today: LocalDay,
): ProgressionFlag | null {
  if (input.program.items.some((i) => isStrengtheningFamily(i.family))) return null;
  if (input.openAlerts.some((a) => WORSENING.includes(a.severity))) return null;
  if (isHeldOn(input.program, today)) return null;
  if (restGapExceeded(input, settings, today)) return null;
  const byDay = new Map<LocalDay, ReportedPain[]>();
  for (const report of input.painReports) {
    if (report.localDate > today) continue;
    const sameDay = byDay.get(report.localDate);
    if (sameDay) sameDay.push(report);
    else byDay.set(report.localDate, [report]);
  }
  const days = [...byDay.keys()].sort().slice(-settings.centralizedReportDays);
  if (days.length < settings.centralizedReportDays) return null;
  // One report with leg pain on one of those days means the pain has not worked out of the leg.
  const reports = days.flatMap((day) => byDay.get(day) ?? []);
  if (!reports.every((r) => CENTRALIZED.includes(r.mostDistalSite))) return null;
  return {
    flag: 'READY_FOR_STRENGTHENING',
    since: days[0],
    evidence: {
      days,
      reports: reports.map((r) => ({
        reportId: r.id,
        day: r.localDate,
        mostDistalSite: r.mostDistalSite,
      })),
    },
  };
}

/**
 * Step goal met on 5+ of the last 7 closed days (a day without device data is not met), and
 * no worsening finding from the first of those days through today: suggest the goal +10 %.
 */
export function walkingGoalProgression(
  input: FlagInput,
  settings: AdherenceSettings,
  today: LocalDay,
): ProgressionFlag | null {
  const goal = input.program.walkingGoalDailySteps;
  if (goal === null || goal <= 0) return null;
  const index = indexByDay(input);
  const window = daysEnding(addDays(today, -1), settings.walkingWindowDays);
  const days = eachDay(window).map((day) => {
    const steps = index.stepsOn(day);
    return { day, steps, met: steps !== null && steps >= goal };
  });
  const metDays = days.filter((d) => d.met);
  if (metDays.length < settings.walkingMetDays) return null;
  if (hasWorseningFinding(input.findings, { from: window.from, to: today })) return null;
  return {
    flag: 'WALKING_GOAL_PROGRESSION',
    since: metDays[0].day,
    evidence: {
      goalSteps: goal,
      suggestedGoalSteps: Math.round((goal * (100 + settings.walkingIncreasePercent)) / 100),
      daysMet: metDays.length,
      windowDays: days.length,
      days,
    },
  };
}

/**
 * Steps below 50 % of the personal baseline on each of the last 3 closed days, with no red-flag
 * alert open. Baseline: the mean steps of the 14 most recent device-data days before those 3
 * days, looked for within the 28 days before them; fewer than 14 means no baseline, no flag.
 * A day without device data is not low: it breaks the run (DATA_GAP covers it).
 */
export function lowActivity(
  input: FlagInput,
  settings: AdherenceSettings,
  today: LocalDay,
): ProgressionFlag | null {
  // A red flag sends the patient to urgent care: a nudge to walk more would be wrong.
  if (input.openAlerts.some((a) => a.rule.startsWith('RED_FLAG_'))) return null;
  const index = indexByDay(input);
  const window = daysEnding(addDays(today, -1), settings.lowActivityDays);
  const lookback = daysEnding(addDays(window.from, -1), settings.baselineLookbackDays);
  const baselineDays = eachDay(lookback)
    .reverse()
    .filter((day) => index.stepsOn(day) !== null)
    .slice(0, settings.baselineDataDays);
  if (baselineDays.length < settings.baselineDataDays) return null;
  const baselineSteps =
    baselineDays.reduce((sum, day) => sum + (index.stepsOn(day) ?? 0), 0) / baselineDays.length;
  const thresholdSteps = (baselineSteps * settings.lowActivityPercent) / 100;
  const isLow = (day: LocalDay) => {
    const steps = index.stepsOn(day);
    return steps !== null && steps < thresholdSteps;
  };
  if (!eachDay(window).every(isLow)) return null;
  // How long it has lasted, judged against the same baseline.
  const run = runEndingYesterday(today, lookback.from, isLow);
  return {
    flag: 'LOW_ACTIVITY',
    since: run[0],
    evidence: {
      baselineSteps: Math.round(baselineSteps),
      baselineFrom: baselineDays[baselineDays.length - 1],
      baselineTo: baselineDays[0],
      thresholdSteps: Math.round(thresholdSteps),
      lowDays: run.length,
      days: run.map((day) => ({ day, steps: index.stepsOn(day) })),
    },
  };
}

function daysDoneIn(index: DayIndex, exerciseCode: string, week: DayRange): number {
  return eachDay(week).filter((day) =>
    index.sessionsOn(day).some((s) => s.exerciseCodes.includes(exerciseCode)),
  ).length;
}

/**
 * A weekly stabilization item done on 2+ days in each of the last 4 or more closed program
 * weeks in a row (weeks of 7 local days counted from the program start).
 */
export function programDoseMet(
  input: FlagInput,
  settings: AdherenceSettings,
  today: LocalDay,
  item: AdherenceProgramItem,
): ProgressionFlag | null {
  const weekly = (item.timesPerDay ?? 0) <= 0 && (item.daysPerWeek ?? 0) > 0;
  if (item.family !== 'stabilization' || !weekly) return null;
  const index = indexByDay(input);
  const start = input.program.startDate;
  const closedWeeks = Math.floor(dayCount({ from: start, to: addDays(today, -1) }) / WEEK_DAYS);
  const streak: { weekStart: LocalDay; daysDone: number }[] = [];
  for (let k = closedWeeks - 1; k >= 0; k--) {
    const week = daysStarting(addDays(start, k * WEEK_DAYS), WEEK_DAYS);
    const daysDone = daysDoneIn(index, item.exerciseCode, week);
    if (daysDone < settings.doseMetDaysPerWeek) break;
    streak.unshift({ weekStart: week.from, daysDone });
  }
  if (streak.length < settings.doseMetWeeks) return null;
  return {
    flag: 'PROGRAM_DOSE_MET',
    since: streak[0].weekStart,
    evidence: {
      itemPosition: item.position,
      exerciseCode: item.exerciseCode,
      daysPerWeek: item.daysPerWeek,
      consecutiveWeeks: streak.length,
      weeks: streak,
    },
  };
}

/** Every §5 flag that holds today, per program item where the flag is about one item. */
export function evaluateProgressionFlags(
  input: FlagInput,
  settings: AdherenceSettings,
  today: LocalDay,
): ProgressionFlag[] {
  const perItem = input.program.items.flatMap((item) => [
    holdProgressionReady(input, settings, today, item),
    repsProgressionReady(input, settings, today, item),
    programDoseMet(input, settings, today, item),
  ]);
  return [
    restGapExceeded(input, settings, today),
    dataGap(input, settings, today),
    ...perItem,
    readyForStrengthening(input, settings, today),
    walkingGoalProgression(input, settings, today),
    lowActivity(input, settings, today),
  ].filter((flag): flag is ProgressionFlag => flag !== null);
}
