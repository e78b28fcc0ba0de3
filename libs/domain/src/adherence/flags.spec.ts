import { localDateOf, zonedWallTimeToInstant } from '../local-time';
import type { PainSite } from '../pain';
import type { RuleId, Severity } from '../rules/types';
import { eachDay, evaluationDay } from './days';
import {
  dataGap,
  evaluateProgressionFlags,
  holdProgressionReady,
  lowActivity,
  programDoseMet,
  readyForStrengthening,
  repsProgressionReady,
  restGapExceeded,
  walkingGoalProgression,
} from './flags';
import {
  type AdherenceProgram,
  type AdherenceProgramItem,
  type AdherenceSettings,
  type DailySteps,
  DEFAULT_ADHERENCE_SETTINGS,
  type FlagInput,
  type LocalDay,
  type LoggedSession,
  type LoggedSessionItem,
  type ProgressionFlag,
  type ProgressionFlagId,
  type ReportedPain,
} from './types';

// ---------------------------------------------------------------------------------------------
// Factories. "Today" is always passed; it is 2026-03-20 unless a table says otherwise.
// ---------------------------------------------------------------------------------------------

const TODAY = '2026-03-20';
const YESTERDAY = '2026-03-19';

/** Press-ups on elbows: hold 10 s toward 30 s, 10 reps, 6 rounds a day. */
const pressUps = (overrides: Partial<AdherenceProgramItem> = {}): AdherenceProgramItem => ({
  position: 1,
  exerciseCode: 'prone_press_up',
  family: 'extension',
  sets: null,
  reps: 10,
  repsGoal: null,
  holdSeconds: 10,
  holdGoalSeconds: 30,
  timesPerDay: 6,
  daysPerWeek: null,
  ...overrides,
});

/** Glute bridge: 2 sets of 8 toward 10 reps, once a day. */
const gluteBridge = (overrides: Partial<AdherenceProgramItem> = {}): AdherenceProgramItem => ({
  position: 2,
  exerciseCode: 'glute_bridge',
  family: 'strengthening_gluteal',
  sets: 2,
  reps: 8,
  repsGoal: 10,
  holdSeconds: null,
  holdGoalSeconds: null,
  timesPerDay: 1,
  daysPerWeek: null,
  ...overrides,
});

/** The deep stabilizer session, 3 days a week. */
const stabilization = (overrides: Partial<AdherenceProgramItem> = {}): AdherenceProgramItem => ({
  position: 3,
  exerciseCode: 'lumbar_stabilization',
  family: 'stabilization',
  sets: null,
  reps: null,
  repsGoal: null,
  holdSeconds: null,
  holdGoalSeconds: null,
  timesPerDay: null,
  daysPerWeek: 3,
  ...overrides,
});

const program = (overrides: Partial<AdherenceProgram> = {}): AdherenceProgram => ({
  startDate: '2026-03-01',
  walkingGoalDailySteps: 6000,
  restGapDays: 2,
  items: [pressUps()],
  ...overrides,
});

/** A session on `day` at `hour` UTC logging `items` (a press-up round at the prescribed dose). */
const session = (
  day: LocalDay,
  items: LoggedSessionItem[] = [{ exerciseCode: 'prone_press_up', reps: 10, holdSeconds: 10 }],
  hour = 9,
): LoggedSession => ({
  id: `session-${day}-${hour}-${items.map((i) => i.exerciseCode).join('+')}`,
  performedAt: new Date(`${day}T${String(hour).padStart(2, '0')}:00:00Z`),
  localDate: day,
  items,
});

const held = (day: LocalDay, holdSeconds: number | undefined, hour = 9, reps?: number) =>
  session(day, [{ exerciseCode: 'prone_press_up', holdSeconds, reps }], hour);

const bridges = (day: LocalDay, reps: number | undefined, sets: number | undefined = 2, hour = 9) =>
  session(day, [{ exerciseCode: 'glute_bridge', sets, reps }], hour);

const stabilizationOn = (day: LocalDay, hour = 9) =>
  session(day, [{ exerciseCode: 'lumbar_stabilization', durationMinutes: 30 }], hour);

/** A session at a wall time in the patient's zone, placed on the local day it falls on. */
const sessionAtInstant = (
  performedAt: Date,
  timeZone: string,
  items: LoggedSessionItem[],
): LoggedSession => ({
  id: `session@${performedAt.toISOString()}`,
  performedAt,
  localDate: localDateOf(performedAt, timeZone),
  items,
});

const wallTime = (local: string, timeZone: string): Date => {
  const instant = zonedWallTimeToInstant(local, timeZone);
  if (!instant) throw new Error(`bad wall time ${local}`);
  return instant;
};

const steps = (day: LocalDay, count: number): DailySteps => ({ localDate: day, steps: count });

/**
 * Device data on every day of the range: 5000 steps (active against the 6000 goal, not
 * meeting it), `lowSteps` on `low` days, no row at all on `missing` days.
 */
const walked = ({
  from = '2026-03-01',
  to = YESTERDAY,
  low = [],
  missing = [],
  lowSteps = 1000,
  usualSteps = 5000,
}: {
  from?: LocalDay;
  to?: LocalDay;
  low?: LocalDay[];
  missing?: LocalDay[];
  lowSteps?: number;
  usualSteps?: number;
} = {}): DailySteps[] =>
  eachDay({ from, to })
    .filter((day) => !missing.includes(day))
    .map((day) => steps(day, low.includes(day) ? lowSteps : usualSteps));

const pain = (day: LocalDay, site: PainSite = 'low_back', id = `pain-${day}`): ReportedPain => ({
  id,
  localDate: day,
  mostDistalSite: site,
});

const finding = (day: LocalDay, severity: Severity) => ({ localDate: day, severity });
const alert = (rule: RuleId, severity: Severity) => ({ rule, severity });

const input = (overrides: Partial<FlagInput> = {}): FlagInput => ({
  program: program(),
  sessions: [],
  painReports: [],
  dailySteps: [],
  findings: [],
  openAlerts: [],
  ...overrides,
});

const settings = (overrides: Partial<AdherenceSettings> = {}): AdherenceSettings => ({
  ...DEFAULT_ADHERENCE_SETTINGS,
  ...overrides,
});

interface Row {
  name: string;
  given: Partial<FlagInput>;
  settings?: Partial<AdherenceSettings>;
  today?: LocalDay;
  expected: { since: LocalDay; evidence?: Record<string, unknown> } | null;
}

function expectFlag(
  actual: ProgressionFlag | null,
  flag: ProgressionFlagId,
  expected: Row['expected'],
): void {
  if (expected === null) expect(actual).toBeNull();
  else expect(actual).toMatchObject({ flag, ...expected });
}

// ---------------------------------------------------------------------------------------------

describe('restGapExceeded', () => {
  it.each<Row>([
    {
      name: 'does not flag a rest of exactly 2 days',
      given: { dailySteps: walked({ low: ['2026-03-18', '2026-03-19'] }) },
      expected: null,
    },
    {
      name: 'flags a rest gap when the third local day has no activity',
      given: { dailySteps: walked({ low: ['2026-03-17', '2026-03-18', '2026-03-19'] }) },
      expected: {
        since: '2026-03-17',
        evidence: {
          from: '2026-03-17',
          to: '2026-03-19',
          inactiveDays: 3,
          restGapDays: 2,
          daysWithoutData: 0,
          lastActiveDay: '2026-03-16',
        },
      },
    },
    {
      name: 'does not count today while it has no activity yet, even with data',
      given: {
        dailySteps: [...walked({ low: ['2026-03-18', '2026-03-19'] }), steps(TODAY, 200)],
      },
      expected: null,
    },
    {
      name: 'still flags the gap when today has data but no activity yet',
      given: {
        dailySteps: [
          ...walked({ low: ['2026-03-17', '2026-03-18', '2026-03-19'] }),
          steps(TODAY, 200),
        ],
      },
      expected: { since: '2026-03-17' },
    },
    {
      name: 'does not flag a gap that a session today has ended',
      given: {
        dailySteps: walked({ low: ['2026-03-17', '2026-03-18', '2026-03-19'] }),
        sessions: [session(TODAY)],
      },
      expected: null,
    },
    {
      name: 'does not flag the days of a hold: the patient was told to stop',
      given: {
        program: program({ holds: [{ from: '2026-03-16', to: '2026-03-18' }] }),
        dailySteps: walked({ low: ['2026-03-16', '2026-03-17', '2026-03-18', '2026-03-19'] }),
      },
      expected: null,
    },
    {
      name: 'counts a gap again from the day after the hold was lifted',
      given: {
        program: program({ holds: [{ from: '2026-03-14', to: '2026-03-16' }] }),
        dailySteps: walked({
          low: ['2026-03-15', '2026-03-16', '2026-03-17', '2026-03-18', '2026-03-19'],
        }),
      },
      expected: {
        since: '2026-03-17',
        evidence: { inactiveDays: 3, lastActiveDay: null, holdEndedOn: '2026-03-16' },
      },
    },
    {
      name: 'does not flag while the program is still on hold',
      given: {
        program: program({ holds: [{ from: '2026-03-19', to: null }] }),
        dailySteps: walked({ low: ['2026-03-16', '2026-03-17', '2026-03-18', '2026-03-19'] }),
      },
      expected: null,
    },
    {
      name: 'does not flag a past gap the patient came back from',
      given: { dailySteps: walked({ low: ['2026-03-14', '2026-03-15', '2026-03-16'] }) },
      expected: null,
    },
    {
      name: 'follows the program’s own rest gap: 3 days allowed',
      given: {
        program: program({ restGapDays: 3 }),
        dailySteps: walked({ low: ['2026-03-17', '2026-03-18', '2026-03-19'] }),
      },
      expected: null,
    },
    {
      name: 'follows the program’s own rest gap: the fourth day flags',
      given: {
        program: program({ restGapDays: 3 }),
        dailySteps: walked({ low: ['2026-03-16', '2026-03-17', '2026-03-18', '2026-03-19'] }),
      },
      expected: { since: '2026-03-16', evidence: { inactiveDays: 4, restGapDays: 3 } },
    },
    {
      name: 'falls back to the configured default when the program sets none',
      given: {
        program: program({ restGapDays: null }),
        dailySteps: walked({ low: ['2026-03-17', '2026-03-18', '2026-03-19'] }),
      },
      settings: { restGapDays: 3 },
      expected: null,
    },
    {
      name: 'leaves days without any data to the data gap',
      given: { dailySteps: walked({ missing: ['2026-03-17', '2026-03-18', '2026-03-19'] }) },
      expected: null,
    },
    {
      name: 'flags a gap that has data on some of its days, and says how many had none',
      given: {
        dailySteps: walked({ low: ['2026-03-17', '2026-03-18'], missing: ['2026-03-19'] }),
      },
      expected: { since: '2026-03-17', evidence: { inactiveDays: 3, daysWithoutData: 1 } },
    },
    {
      name: 'counts the gap from the program start at the earliest',
      given: {
        program: program({ startDate: '2026-03-17' }),
        painReports: [pain('2026-03-17'), pain('2026-03-18'), pain('2026-03-19')],
      },
      expected: { since: '2026-03-17', evidence: { inactiveDays: 3, lastActiveDay: null } },
    },
    {
      name: 'does not flag a program that started 2 days ago',
      given: {
        program: program({ startDate: '2026-03-18' }),
        painReports: [pain('2026-03-18'), pain('2026-03-19')],
      },
      expected: null,
    },
    {
      name: 'counts only sessions as activity when the program has no walking goal',
      given: {
        program: program({ walkingGoalDailySteps: null }),
        sessions: eachDay({ from: '2026-03-01', to: '2026-03-16' }).map((d) => session(d)),
        dailySteps: walked({ usualSteps: 20000 }),
      },
      expected: { since: '2026-03-17' },
    },
    {
      name: 'counts a session as activity on a day with few steps',
      given: {
        dailySteps: walked({ low: ['2026-03-17', '2026-03-18', '2026-03-19'] }),
        sessions: [session('2026-03-18')],
      },
      expected: null,
    },
    {
      name: 'counts the 23-hour spring-forward day as one day of the gap',
      given: {
        dailySteps: walked({ to: '2026-03-30', low: ['2026-03-28', '2026-03-29', '2026-03-30'] }),
      },
      today: '2026-03-31',
      expected: { since: '2026-03-28', evidence: { inactiveDays: 3 } },
    },
  ])('$name', ({ given, settings: overrides, today = TODAY, expected }) => {
    expectFlag(
      restGapExceeded(input(given), settings(overrides), today),
      'REST_GAP_EXCEEDED',
      expected,
    );
  });

  it.each([
    // The last session is 23:00 on the 18th in Auckland, 02:00 on the 18th in Los Angeles; the
    // job runs at 2026-11-21T20:00Z: 09:00 on the 22nd in Auckland, 12:00 on the 21st in LA.
    { zone: 'Pacific/Auckland', today: '2026-11-22', expected: { since: '2026-11-19' } },
    { zone: 'America/Los_Angeles', today: '2026-11-21', expected: null },
  ])('judges the same records by the local days of $zone', ({ zone, today, expected }) => {
    const now = new Date('2026-11-21T20:00:00Z');
    const given = input({
      program: program({ startDate: '2026-11-01', walkingGoalDailySteps: null }),
      sessions: eachDay({ from: '2026-11-01', to: '2026-11-18' }).map((day) =>
        sessionAtInstant(new Date(`${day}T10:00:00Z`), zone, [{ exerciseCode: 'prone_press_up' }]),
      ),
      dailySteps: walked({ from: '2026-11-01', to: '2026-11-25', usualSteps: 500 }),
    });
    expect(evaluationDay(now, zone)).toBe(today);
    expectFlag(restGapExceeded(given, settings(), today), 'REST_GAP_EXCEEDED', expected);
  });
});

describe('dataGap', () => {
  const threeDaysMissing = walked({ missing: ['2026-03-17', '2026-03-18', '2026-03-19'] });

  it.each<Row>([
    {
      name: 'flags 3 days without data of any kind',
      given: { dailySteps: threeDaysMissing },
      expected: {
        since: '2026-03-17',
        evidence: {
          from: '2026-03-17',
          to: '2026-03-19',
          daysWithoutData: 3,
          lastDataDay: '2026-03-16',
        },
      },
    },
    {
      name: 'does not flag 2 days without data',
      given: { dailySteps: walked({ missing: ['2026-03-18', '2026-03-19'] }) },
      expected: null,
    },
    {
      name: 'does not flag once data arrives today',
      given: { dailySteps: threeDaysMissing, painReports: [pain(TODAY)] },
      expected: null,
    },
    {
      name: 'counts a device day with zero steps as data',
      given: { dailySteps: [...threeDaysMissing, steps('2026-03-18', 0)] },
      expected: null,
    },
    {
      name: 'counts a pain report as data',
      given: { dailySteps: threeDaysMissing, painReports: [pain('2026-03-18')] },
      expected: null,
    },
    {
      name: 'counts a logged session as data',
      given: { dailySteps: threeDaysMissing, sessions: [session('2026-03-18')] },
      expected: null,
    },
    {
      name: 'counts no day before the program start',
      given: { program: program({ startDate: '2026-03-18' }) },
      expected: null,
    },
    {
      name: 'flags a program without any data since it started 3 days ago',
      given: { program: program({ startDate: '2026-03-17' }) },
      expected: { since: '2026-03-17', evidence: { daysWithoutData: 3, lastDataDay: null } },
    },
    {
      name: 'follows a configured data gap length',
      given: { dailySteps: threeDaysMissing },
      settings: { dataGapDays: 4 },
      expected: null,
    },
  ])('$name', ({ given, settings: overrides, today = TODAY, expected }) => {
    expectFlag(dataGap(input(given), settings(overrides), today), 'DATA_GAP', expected);
  });

  it.each([
    // The last pain report, 2026-11-18T10:30Z, is 00:30 on the 19th in Kiritimati (+14) and
    // 23:30 on the 17th in Pago Pago (-11); the job runs at 2026-11-21T12:00Z.
    { zone: 'Pacific/Kiritimati', today: '2026-11-22', expected: null },
    { zone: 'Pacific/Pago_Pago', today: '2026-11-21', expected: { since: '2026-11-18' } },
  ])('judges the same records by the local days of $zone', ({ zone, today, expected }) => {
    const reportedAt = new Date('2026-11-18T10:30:00Z');
    const given = input({
      program: program({ startDate: '2026-11-01' }),
      painReports: [
        {
          id: 'last',
          localDate: localDateOf(reportedAt, zone),
          mostDistalSite: 'none',
        },
      ],
      dailySteps: walked({ from: '2026-11-01', to: '2026-11-16' }),
    });
    expect(evaluationDay(new Date('2026-11-21T12:00:00Z'), zone)).toBe(today);
    expectFlag(dataGap(given, settings(), today), 'DATA_GAP', expected);
  });
});

describe('holdProgressionReady', () => {
  // The last 2 days with sessions, 3 sessions in all, every one at the prescribed 10 s.
  const atDose = [held('2026-03-18', 10, 8), held('2026-03-18', 10, 14), held('2026-03-19', 10)];

  it.each<Row & { item?: Partial<AdherenceProgramItem> }>([
    {
      name: 'suggests 5 s more when every session of the last 2 days with sessions was at the prescribed hold',
      given: { sessions: atDose },
      expected: {
        since: '2026-03-18',
        evidence: {
          itemPosition: 1,
          exerciseCode: 'prone_press_up',
          holdSeconds: 10,
          holdGoalSeconds: 30,
          suggestedHoldSeconds: 15,
          sessions: [
            { sessionId: atDose[0].id, day: '2026-03-18', holdSeconds: 10 },
            { sessionId: atDose[1].id, day: '2026-03-18', holdSeconds: 10 },
            { sessionId: atDose[2].id, day: '2026-03-19', holdSeconds: 10 },
          ],
        },
      },
    },
    {
      name: 'suggests it at the end of a day of eight rounds, after a day of one',
      given: {
        sessions: [
          held('2026-03-18', 10),
          ...[8, 10, 12, 14, 16, 18, 20, 22].map((h) => held('2026-03-19', 10, h)),
        ],
      },
      expected: { since: '2026-03-18' },
    },
    {
      name: 'suggests it after 15 rounds on each of the last 2 days (30 in all, the most it reads)',
      given: {
        sessions: ['2026-03-18', '2026-03-19'].flatMap((day) =>
          Array.from({ length: 15 }, (_, i) => held(day, 10, 6 + i)),
        ),
      },
      expected: { since: '2026-03-18' },
    },
    {
      name: 'does not suggest it after 31 rounds on the last 2 days: not a dose the program prescribes',
      given: {
        sessions: [
          ...Array.from({ length: 15 }, (_, i) => held('2026-03-18', 10, 6 + i)),
          ...Array.from({ length: 16 }, (_, i) => held('2026-03-19', 10, 6 + i)),
        ],
      },
      expected: null,
    },
    {
      name: 'does not suggest it after one session a day on the last 2 days (2 in all)',
      given: { sessions: [held('2026-03-17', 10), held('2026-03-18', 10), held('2026-03-19', 10)] },
      expected: null,
    },
    {
      name: 'does not suggest it when every session was on one day',
      given: { sessions: [8, 12, 16].map((h) => held('2026-03-19', 10, h)) },
      expected: null,
    },
    {
      name: 'does not suggest it when one session of those days was held shorter, even an early one',
      given: { sessions: [atDose[0], held('2026-03-18', 8, 14), atDose[2]] },
      expected: null,
    },
    {
      name: 'suggests it when only a session of an earlier day fell short',
      given: { sessions: [held('2026-03-16', 5), held('2026-03-17', 5), ...atDose] },
      expected: { since: '2026-03-18' },
    },
    {
      name: 'counts the days that had the item, not days with other sessions',
      given: { sessions: [...atDose, stabilizationOn('2026-03-19', 20), stabilizationOn(TODAY)] },
      expected: { since: '2026-03-18' },
    },
    {
      name: 'does not take a session that did not log the hold as evidence',
      given: { sessions: [atDose[0], atDose[1], held('2026-03-19', undefined)] },
      expected: null,
    },
    {
      name: 'does not suggest it when fewer reps than prescribed were logged',
      given: { sessions: [atDose[0], atDose[1], held('2026-03-19', 10, 9, 6)] },
      expected: null,
    },
    {
      name: 'ignores sessions dated after today',
      given: { sessions: [...atDose, held('2026-03-21', 5)] },
      expected: { since: '2026-03-18' },
    },
    {
      name: 'holds off after a warning finding since the first of those days',
      given: { sessions: atDose, findings: [finding('2026-03-18', 'warning')] },
      expected: null,
    },
    {
      name: 'holds off after an urgent finding today',
      given: { sessions: atDose, findings: [finding(TODAY, 'urgent')] },
      expected: null,
    },
    {
      name: 'is not held off by info or positive findings',
      given: {
        sessions: atDose,
        findings: [finding('2026-03-18', 'info'), finding('2026-03-19', 'positive')],
      },
      expected: { since: '2026-03-18' },
    },
    {
      name: 'is not held off by a warning finding from before those days',
      given: { sessions: atDose, findings: [finding('2026-03-17', 'warning')] },
      expected: { since: '2026-03-18' },
    },
    {
      name: 'never suggests a hold past the goal',
      item: { holdSeconds: 27 },
      given: {
        sessions: atDose.map((s) => ({ ...s, items: [{ ...s.items[0], holdSeconds: 27 }] })),
      },
      expected: { since: '2026-03-18', evidence: { holdSeconds: 27, suggestedHoldSeconds: 30 } },
    },
    {
      name: 'raises nothing when the hold is already at the goal',
      item: { holdSeconds: 30 },
      given: {
        sessions: atDose.map((s) => ({ ...s, items: [{ ...s.items[0], holdSeconds: 30 }] })),
      },
      expected: null,
    },
    {
      name: 'raises nothing for an item without a hold goal',
      item: { holdGoalSeconds: null },
      given: { sessions: atDose },
      expected: null,
    },
    {
      name: 'follows a configured hold increment',
      given: { sessions: atDose },
      settings: { holdIncrementSeconds: 10 },
      expected: { since: '2026-03-18', evidence: { suggestedHoldSeconds: 20 } },
    },
  ])('$name', ({ item, given, settings: overrides, today = TODAY, expected }) => {
    expectFlag(
      holdProgressionReady(input(given), settings(overrides), today, pressUps(item)),
      'HOLD_PROGRESSION_READY',
      expected,
    );
  });

  it.each([
    // 19:00Z, 02:00Z and 09:00Z: 08:00, 15:00, 22:00 on the 21st in Auckland (one day);
    // 11:00 and 18:00 on the 20th and 01:00 on the 21st in Los Angeles (two days).
    { zone: 'Pacific/Auckland', expected: null },
    { zone: 'America/Los_Angeles', expected: { since: '2026-11-20' } },
  ])('counts distinct local days in $zone', ({ zone, expected }) => {
    const sessions = ['2026-11-20T19:00:00Z', '2026-11-21T02:00:00Z', '2026-11-21T09:00:00Z'].map(
      (iso) =>
        sessionAtInstant(new Date(iso), zone, [
          { exerciseCode: 'prone_press_up', holdSeconds: 10 },
        ]),
    );
    expectFlag(
      holdProgressionReady(input({ sessions }), settings(), '2026-11-22', pressUps()),
      'HOLD_PROGRESSION_READY',
      expected,
    );
  });

  it('counts 00:30 and 23:30 on the 23-hour spring-forward day in Paris as one day', () => {
    const zone = 'Europe/Paris';
    const sessions = ['2026-03-29T00:30', '2026-03-29T12:00', '2026-03-29T23:30'].map((t) =>
      sessionAtInstant(wallTime(t, zone), zone, [
        { exerciseCode: 'prone_press_up', holdSeconds: 10 },
      ]),
    );
    expect(sessions.map((s) => s.localDate)).toEqual(['2026-03-29', '2026-03-29', '2026-03-29']);
    expect(
      holdProgressionReady(input({ sessions }), settings(), '2026-03-30', pressUps()),
    ).toBeNull();
  });
});

describe('repsProgressionReady', () => {
  const atDose = [
    bridges('2026-03-18', 8, 2, 8),
    bridges('2026-03-18', 8, 2, 14),
    bridges('2026-03-19', 9),
  ];

  it.each<Row & { item?: Partial<AdherenceProgramItem> }>([
    {
      name: 'suggests 1 rep more when every session of the last 2 days with sessions was at the prescribed reps and sets',
      given: { sessions: atDose },
      expected: {
        since: '2026-03-18',
        evidence: {
          itemPosition: 2,
          exerciseCode: 'glute_bridge',
          reps: 8,
          repsGoal: 10,
          suggestedReps: 9,
          sessions: [
            { sessionId: atDose[0].id, day: '2026-03-18', reps: 8 },
            { sessionId: atDose[1].id, day: '2026-03-18', reps: 8 },
            { sessionId: atDose[2].id, day: '2026-03-19', reps: 9 },
          ],
        },
      },
    },
    {
      name: 'does not suggest it after one session a day (2 in the last 2 days)',
      given: {
        sessions: [bridges('2026-03-17', 8), bridges('2026-03-18', 8), bridges('2026-03-19', 9)],
      },
      expected: null,
    },
    {
      name: 'does not suggest it when fewer reps than prescribed were done',
      given: { sessions: [atDose[0], bridges('2026-03-18', 7, 2, 14), atDose[2]] },
      expected: null,
    },
    {
      name: 'does not suggest it when fewer sets than prescribed were done',
      given: { sessions: [atDose[0], bridges('2026-03-18', 8, 1, 14), atDose[2]] },
      expected: null,
    },
    {
      name: 'accepts a session that logged the reps but not the sets',
      given: { sessions: [atDose[0], bridges('2026-03-18', 8, undefined, 14), atDose[2]] },
      expected: { since: '2026-03-18' },
    },
    {
      name: 'does not take a session that did not log the reps as evidence',
      given: { sessions: [atDose[0], bridges('2026-03-18', undefined, 2, 14), atDose[2]] },
      expected: null,
    },
    {
      name: 'holds off after a worsening finding in that time',
      given: { sessions: atDose, findings: [finding('2026-03-19', 'warning')] },
      expected: null,
    },
    {
      name: 'never suggests reps past the goal',
      given: { sessions: atDose },
      settings: { repsIncrement: 5 },
      expected: { since: '2026-03-18', evidence: { suggestedReps: 10 } },
    },
    {
      name: 'raises nothing when the reps are already at the goal',
      item: { reps: 10 },
      given: { sessions: atDose.map((s) => ({ ...s, items: [{ ...s.items[0], reps: 10 }] })) },
      expected: null,
    },
    {
      name: 'raises nothing for an item without a reps goal',
      item: { repsGoal: null },
      given: { sessions: atDose },
      expected: null,
    },
  ])('$name', ({ item, given, settings: overrides, today = TODAY, expected }) => {
    expectFlag(
      repsProgressionReady(input(given), settings(overrides), today, gluteBridge(item)),
      'REPS_PROGRESSION_READY',
      expected,
    );
  });
});

describe('readyForStrengthening', () => {
  const centralized = [
    pain('2026-03-15', 'low_back'),
    pain('2026-03-17', 'none'),
    pain('2026-03-19', 'low_back'),
  ];

  it.each<Row>([
    {
      name: 'suggests strengthening when the reports of the last 3 report days are centralized',
      given: { painReports: centralized },
      expected: {
        since: '2026-03-15',
        evidence: {
          days: ['2026-03-15', '2026-03-17', '2026-03-19'],
          reports: [
            { reportId: 'pain-2026-03-15', day: '2026-03-15', mostDistalSite: 'low_back' },
            { reportId: 'pain-2026-03-17', day: '2026-03-17', mostDistalSite: 'none' },
            { reportId: 'pain-2026-03-19', day: '2026-03-19', mostDistalSite: 'low_back' },
          ],
        },
      },
    },
    {
      name: 'needs reports on 3 distinct days, not 3 reports',
      given: {
        painReports: [
          pain('2026-03-18'),
          pain('2026-03-19', 'low_back', 'morning'),
          pain('2026-03-19', 'none', 'evening'),
        ],
      },
      expected: null,
    },
    {
      name: 'holds off when one report of those days is in the leg',
      given: { painReports: [...centralized, pain('2026-03-19', 'thigh', 'after-session')] },
      expected: null,
    },
    {
      name: 'ignores leg pain from before the last 3 report days',
      given: { painReports: [pain('2026-03-12', 'calf'), ...centralized] },
      expected: { since: '2026-03-15' },
    },
    {
      name: 'ignores reports dated after today',
      given: { painReports: [...centralized, pain('2026-03-21', 'thigh')] },
      expected: { since: '2026-03-15' },
    },
    {
      name: 'holds off while a warning alert is open',
      given: { painReports: centralized, openAlerts: [alert('LEG_PAIN_WORSE', 'warning')] },
      expected: null,
    },
    {
      name: 'holds off while an urgent alert is open',
      given: { painReports: centralized, openAlerts: [alert('RED_FLAG_MOTOR', 'urgent')] },
      expected: null,
    },
    {
      name: 'is not held off by an open info alert',
      given: {
        painReports: centralized,
        openAlerts: [alert('INCREASED_PAIN_AFTER_EXERCISE', 'info')],
      },
      expected: { since: '2026-03-15' },
    },
    {
      name: 'holds off while more than 2 days without an active day run (REST_GAP_EXCEEDED)',
      given: { painReports: centralized, dailySteps: walked({ to: '2026-03-16' }) },
      expected: null,
    },
    {
      name: 'is not held off by 2 days without an active day',
      given: { painReports: centralized, dailySteps: walked({ to: '2026-03-17' }) },
      expected: { since: '2026-03-15' },
    },
    {
      name: 'holds off while the program is on hold',
      given: {
        painReports: centralized,
        program: program({ holds: [{ from: '2026-03-19', to: null }] }),
      },
      expected: null,
    },
    {
      name: 'is not held off by a hold that has ended',
      given: {
        painReports: centralized,
        program: program({ holds: [{ from: '2026-03-05', to: '2026-03-08' }] }),
      },
      expected: { since: '2026-03-15' },
    },
    {
      name: 'raises nothing when the program already has a strengthening item',
      given: { painReports: centralized, program: program({ items: [pressUps(), gluteBridge()] }) },
      expected: null,
    },
    {
      name: 'raises nothing when the program already has an abdominal strengthening item',
      given: {
        painReports: centralized,
        program: program({
          items: [
            pressUps(),
            gluteBridge({ exerciseCode: 'curl_up', family: 'strengthening_abdominal' }),
          ],
        }),
      },
      expected: null,
    },
  ])('$name', ({ given, settings: overrides, today = TODAY, expected }) => {
    // Active every day unless the row says otherwise: no rest gap stands in the way.
    expectFlag(
      readyForStrengthening(input({ dailySteps: walked(), ...given }), settings(overrides), today),
      'READY_FOR_STRENGTHENING',
      expected,
    );
  });
});

describe('walkingGoalProgression', () => {
  // The window is the 7 closed days 2026-03-13 … 2026-03-19; the goal is 6000 steps.
  const metOn = (days: LocalDay[], { missing = [] as LocalDay[], goalSteps = 6000 } = {}) =>
    eachDay({ from: '2026-03-06', to: TODAY })
      .filter((day) => !missing.includes(day))
      .map((day) => steps(day, days.includes(day) ? goalSteps : 4000));
  const five = ['2026-03-13', '2026-03-14', '2026-03-16', '2026-03-18', '2026-03-19'];

  it.each<Row>([
    {
      name: 'suggests 10 % more when the goal was met on 5 of the last 7 days',
      given: { dailySteps: metOn(five) },
      expected: {
        since: '2026-03-13',
        evidence: { goalSteps: 6000, suggestedGoalSteps: 6600, daysMet: 5, windowDays: 7 },
      },
    },
    {
      name: 'raises nothing when the goal was met on 4 of the last 7 days',
      given: { dailySteps: metOn(five.slice(1)) },
      expected: null,
    },
    {
      name: 'counts a day without device data as not met',
      given: { dailySteps: metOn(five.slice(1), { missing: ['2026-03-13'] }) },
      expected: null,
    },
    {
      name: 'needs no data on the days the goal was not met',
      given: { dailySteps: metOn(five, { missing: ['2026-03-15', '2026-03-17'] }) },
      expected: { since: '2026-03-13' },
    },
    {
      name: 'does not count today, whose steps are still adding up',
      given: { dailySteps: metOn([...five.slice(1), TODAY]) },
      expected: null,
    },
    {
      name: 'does not count the day before the window',
      given: { dailySteps: metOn(['2026-03-12', ...five.slice(1)]) },
      expected: null,
    },
    {
      name: 'holds off after a worsening finding in the window',
      given: { dailySteps: metOn(five), findings: [finding('2026-03-15', 'warning')] },
      expected: null,
    },
    {
      name: 'holds off after a worsening finding today',
      given: { dailySteps: metOn(five), findings: [finding(TODAY, 'urgent')] },
      expected: null,
    },
    {
      name: 'is not held off by a worsening finding before the window or an info finding',
      given: {
        dailySteps: metOn(five),
        findings: [finding('2026-03-12', 'warning'), finding('2026-03-15', 'info')],
      },
      expected: { since: '2026-03-13' },
    },
    {
      name: 'follows a configured increase',
      given: { dailySteps: metOn(five) },
      settings: { walkingIncreasePercent: 20 },
      expected: { since: '2026-03-13', evidence: { suggestedGoalSteps: 7200 } },
    },
    {
      name: 'rounds the suggested goal to whole steps',
      given: {
        program: program({ walkingGoalDailySteps: 7777 }),
        dailySteps: metOn(five, { goalSteps: 7777 }),
      },
      expected: { since: '2026-03-13', evidence: { suggestedGoalSteps: 8555 } },
    },
    {
      name: 'raises nothing without a walking goal',
      given: { program: program({ walkingGoalDailySteps: null }), dailySteps: metOn(five) },
      expected: null,
    },
  ])('$name', ({ given, settings: overrides, today = TODAY, expected }) => {
    expectFlag(
      walkingGoalProgression(input(given), settings(overrides), today),
      'WALKING_GOAL_PROGRESSION',
      expected,
    );
  });
});

describe('lowActivity', () => {
  // The window is 2026-03-17 … 19; the baseline, 14 device-data days before it (at most 28 back).
  const baseline = walked({ from: '2026-03-03', to: '2026-03-16', usualSteps: 6000 });
  const lowWindow = (count = 2000) =>
    ['2026-03-17', '2026-03-18', '2026-03-19'].map((day) => steps(day, count));

  it.each<Row>([
    {
      name: 'flags 3 days below half the personal baseline',
      given: { dailySteps: [...baseline, ...lowWindow()] },
      expected: {
        since: '2026-03-17',
        evidence: {
          baselineSteps: 6000,
          baselineFrom: '2026-03-03',
          baselineTo: '2026-03-16',
          thresholdSteps: 3000,
          lowDays: 3,
          days: [
            { day: '2026-03-17', steps: 2000 },
            { day: '2026-03-18', steps: 2000 },
            { day: '2026-03-19', steps: 2000 },
          ],
        },
      },
    },
    {
      name: 'does not flag days at exactly half the baseline',
      given: { dailySteps: [...baseline, ...lowWindow(3000)] },
      expected: null,
    },
    {
      name: 'does not flag 2 low days',
      given: { dailySteps: [...baseline, ...lowWindow().slice(1), steps('2026-03-17', 5000)] },
      expected: null,
    },
    {
      name: 'does not take a day without device data for a low day',
      given: {
        dailySteps: [...baseline, ...lowWindow().filter((r) => r.localDate !== '2026-03-18')],
      },
      expected: null,
    },
    {
      name: 'needs 14 device-data days for a baseline',
      given: { dailySteps: [...baseline.slice(1), ...lowWindow()] },
      expected: null,
    },
    {
      name: 'builds the baseline from the 14 most recent data days, skipping days without data',
      given: {
        dailySteps: [
          ...walked({ from: '2026-02-20', to: '2026-02-28', usualSteps: 1000 }),
          ...walked({
            from: '2026-03-01',
            to: '2026-03-16',
            usualSteps: 6000,
            missing: ['2026-03-05', '2026-03-10'],
          }),
          ...lowWindow(2900),
        ],
      },
      expected: {
        since: '2026-03-17',
        evidence: { baselineSteps: 6000, baselineFrom: '2026-03-01', thresholdSteps: 3000 },
      },
    },
    {
      name: 'does not reach back past 28 days for a baseline',
      given: {
        dailySteps: [
          ...walked({ from: '2026-02-10', to: '2026-02-16', usualSteps: 6000 }),
          ...walked({ from: '2026-03-07', to: '2026-03-16', usualSteps: 6000 }),
          ...lowWindow(),
        ],
      },
      expected: null,
    },
    {
      name: 'dates the flag from the first low day',
      given: {
        dailySteps: [
          ...walked({ from: '2026-03-01', to: '2026-03-14', usualSteps: 6000 }),
          steps('2026-03-15', 2000),
          steps('2026-03-16', 2000),
          ...lowWindow(),
        ],
      },
      // Baseline 03-03 … 03-16: (12 × 6000 + 2 × 2000) / 14 ≈ 5429.
      expected: {
        since: '2026-03-15',
        evidence: { baselineSteps: 5429, thresholdSteps: 2714, lowDays: 5 },
      },
    },
    {
      name: 'holds off while a red-flag alert is open',
      given: {
        dailySteps: [...baseline, ...lowWindow()],
        openAlerts: [alert('RED_FLAG_SYSTEMIC', 'warning')],
      },
      expected: null,
    },
    {
      name: 'is not held off by an open alert that is not a red flag',
      given: {
        dailySteps: [...baseline, ...lowWindow()],
        openAlerts: [alert('PAIN_TREND_WORSE', 'warning')],
      },
      expected: { since: '2026-03-17' },
    },
    {
      name: 'follows a configured share of the baseline',
      given: { dailySteps: [...baseline, ...lowWindow()] },
      settings: { lowActivityPercent: 30 },
      expected: null,
    },
  ])('$name', ({ given, settings: overrides, today = TODAY, expected }) => {
    expectFlag(lowActivity(input(given), settings(overrides), today), 'LOW_ACTIVITY', expected);
  });
});

describe('programDoseMet', () => {
  // Program weeks from Monday 2026-02-16; on Monday 2026-03-16 four weeks have closed.
  const START = '2026-02-16';
  const MONDAY = '2026-03-16';
  const twiceWeekly = [
    '2026-02-16',
    '2026-02-19',
    '2026-02-23',
    '2026-02-26',
    '2026-03-02',
    '2026-03-05',
    '2026-03-09',
    '2026-03-12',
  ];
  const given = (days: LocalDay[], overrides: Partial<AdherenceProgram> = {}) => ({
    program: program({ startDate: START, items: [pressUps(), stabilization()], ...overrides }),
    sessions: days.map((day, i) => stabilizationOn(day, 8 + (i % 8))),
  });

  it.each<Row & { item?: Partial<AdherenceProgramItem> }>([
    {
      name: 'flags 4 weeks in a row with the stabilization session on 2 days',
      given: given(twiceWeekly),
      expected: {
        since: '2026-02-16',
        evidence: {
          itemPosition: 3,
          exerciseCode: 'lumbar_stabilization',
          daysPerWeek: 3,
          consecutiveWeeks: 4,
          weeks: [
            { weekStart: '2026-02-16', daysDone: 2 },
            { weekStart: '2026-02-23', daysDone: 2 },
            { weekStart: '2026-03-02', daysDone: 2 },
            { weekStart: '2026-03-09', daysDone: 2 },
          ],
        },
      },
    },
    {
      name: 'flags 4 weeks at 3 days a week',
      given: given([...twiceWeekly, '2026-02-21', '2026-02-28', '2026-03-07', '2026-03-14']),
      expected: { since: '2026-02-16', evidence: { consecutiveWeeks: 4 } },
    },
    {
      name: 'still counts a week done on more days than prescribed',
      given: given([...twiceWeekly, '2026-03-10', '2026-03-11', '2026-03-13']),
      expected: { since: '2026-02-16' },
    },
    {
      name: 'raises nothing after 3 weeks',
      given: given(twiceWeekly.slice(2), { startDate: '2026-02-23' }),
      expected: null,
    },
    {
      name: 'raises nothing when one week had the session on 1 day only',
      given: given(twiceWeekly.filter((d) => d !== '2026-03-05')),
      expected: null,
    },
    {
      name: 'counts two sessions on one day as one day',
      given: given([...twiceWeekly.filter((d) => d !== '2026-03-05'), '2026-03-02']),
      expected: null,
    },
    {
      name: 'waits for the fourth week to close',
      given: given(twiceWeekly),
      today: '2026-03-15',
      expected: null,
    },
    {
      name: 'dates the run from its first week when an earlier week was missed',
      given: given(twiceWeekly, { startDate: '2026-02-09' }),
      expected: { since: '2026-02-16', evidence: { consecutiveWeeks: 4 } },
    },
    {
      name: 'raises nothing for a daily stabilization item',
      item: { exerciseCode: 'pelvic_tilt', timesPerDay: 2, daysPerWeek: null },
      given: given(twiceWeekly),
      expected: null,
    },
    {
      name: 'raises nothing for a weekly item of another family',
      item: { family: 'aerobic' },
      given: given(twiceWeekly),
      expected: null,
    },
  ])('$name', ({ item, given: records, settings: overrides, today = MONDAY, expected }) => {
    expectFlag(
      programDoseMet(input(records), settings(overrides), today, stabilization(item)),
      'PROGRAM_DOSE_MET',
      expected,
    );
  });

  it('places sessions at 00:30 on Mondays in Paris in the new week, across the spring-forward', () => {
    const zone = 'Europe/Paris';
    // 00:30 on Monday 2026-03-30 is 22:30Z on Sunday: only the local day puts it in week 4.
    const sessions = [
      '2026-03-09T00:30',
      '2026-03-12T18:00',
      '2026-03-16T00:30',
      '2026-03-19T18:00',
      '2026-03-23T00:30',
      '2026-03-29T23:30',
      '2026-03-30T00:30',
      '2026-04-02T18:00',
    ].map((t) =>
      sessionAtInstant(wallTime(t, zone), zone, [{ exerciseCode: 'lumbar_stabilization' }]),
    );
    const records = input({
      program: program({ startDate: '2026-03-09', items: [stabilization()] }),
      sessions,
    });
    expectFlag(
      programDoseMet(records, settings(), '2026-04-06', stabilization()),
      'PROGRAM_DOSE_MET',
      { since: '2026-03-09', evidence: { consecutiveWeeks: 4 } },
    );
  });
});

describe('evaluateProgressionFlags', () => {
  const flagsOf = (given: Partial<FlagInput>) =>
    evaluateProgressionFlags(input(given), settings(), TODAY).map((f) => f.flag);

  it('shows days without any data as a data gap, not as a rest gap', () => {
    expect(
      flagsOf({ dailySteps: walked({ missing: ['2026-03-17', '2026-03-18', '2026-03-19'] }) }),
    ).toEqual(['DATA_GAP']);
  });

  it('raises nothing for a patient on track below every progression threshold', () => {
    expect(flagsOf({ dailySteps: walked(), sessions: [session('2026-03-19')] })).toEqual([]);
  });

  it('collects every flag that holds, item by item', () => {
    expect(
      flagsOf({
        program: program({ items: [pressUps({ repsGoal: 12 }), stabilization()] }),
        sessions: [
          held('2026-03-18', 10, 9, 10),
          held('2026-03-18', 10, 15, 10),
          held('2026-03-19', 10, 9, 10),
        ],
        dailySteps: walked({ usualSteps: 6500 }),
        painReports: [pain('2026-03-15'), pain('2026-03-17'), pain('2026-03-19', 'none')],
      }),
    ).toEqual([
      'HOLD_PROGRESSION_READY',
      'REPS_PROGRESSION_READY',
      'READY_FOR_STRENGTHENING',
      'WALKING_GOAL_PROGRESSION',
    ]);
  });
});
