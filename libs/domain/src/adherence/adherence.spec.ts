import { localDateOf, zonedWallTimeToInstant } from '../local-time';
import {
  activeDays,
  dailyExerciseAdherence,
  dataDays,
  exerciseAdherence,
  isActiveDay,
  isDataDay,
  prescribedSessionsPerDay,
  remoteMonitoringCode,
  remoteMonitoringEligibility,
  restGaps,
  walkingAdherence,
  weeklyFigures,
  weeklyFiguresOf,
} from './adherence';
import { daysStarting, eachDay } from './days';
import {
  type AdherenceInput,
  type AdherenceProgram,
  type AdherenceProgramItem,
  type AdherenceSettings,
  DEFAULT_ADHERENCE_SETTINGS,
  type DailySteps,
  type LocalDay,
  type LoggedSession,
  type ReportedPain,
} from './types';

// ---------------------------------------------------------------------------------------------
// Factories. Days are fixed local days; instants appear only where a zone turns them into days.
// ---------------------------------------------------------------------------------------------

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

/** The deep stabilizer session, 3 days a week. */
const stabilization = (overrides: Partial<AdherenceProgramItem> = {}): AdherenceProgramItem => ({
  position: 2,
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

/** A press-up round at 09:00 UTC on `day`. */
const session = (day: LocalDay, overrides: Partial<LoggedSession> = {}): LoggedSession => ({
  id: `session-${day}`,
  performedAt: new Date(`${day}T09:00:00Z`),
  localDate: day,
  items: [{ exerciseCode: 'prone_press_up', reps: 10, holdSeconds: 10 }],
  ...overrides,
});

/** `count` press-up rounds on `day`, an hour apart. */
const rounds = (day: LocalDay, count: number): LoggedSession[] =>
  Array.from({ length: count }, (_, i) =>
    session(day, {
      id: `session-${day}-${i}`,
      performedAt: new Date(`${day}T${String(8 + i).padStart(2, '0')}:00:00Z`),
    }),
  );

const stabilizationSession = (day: LocalDay): LoggedSession =>
  session(day, {
    id: `stabilization-${day}`,
    items: [{ exerciseCode: 'lumbar_stabilization', durationMinutes: 30 }],
  });

/** A session performed at a wall time in the patient's zone, on the local day it falls on. */
const sessionAt = (
  wallTime: string,
  timeZone: string,
  exerciseCode = 'prone_press_up',
): LoggedSession => {
  const performedAt = zonedWallTimeToInstant(wallTime, timeZone);
  if (!performedAt) throw new Error(`bad wall time ${wallTime}`);
  return sessionAtInstant(performedAt.toISOString(), timeZone, exerciseCode);
};

const sessionAtInstant = (
  iso: string,
  timeZone: string,
  exerciseCode = 'prone_press_up',
): LoggedSession => {
  const performedAt = new Date(iso);
  return {
    id: `${exerciseCode}@${iso}`,
    performedAt,
    localDate: localDateOf(performedAt, timeZone),
    items: [{ exerciseCode }],
  };
};

const steps = (day: LocalDay, count: number): DailySteps => ({ localDate: day, steps: count });

const pain = (day: LocalDay): ReportedPain => ({
  id: `pain-${day}`,
  localDate: day,
  mostDistalSite: 'low_back',
});

const input = (overrides: Partial<AdherenceInput> = {}): AdherenceInput => ({
  program: program(),
  sessions: [],
  painReports: [],
  dailySteps: [],
  ...overrides,
});

const settings = (overrides: Partial<AdherenceSettings> = {}): AdherenceSettings => ({
  ...DEFAULT_ADHERENCE_SETTINGS,
  ...overrides,
});

/** A weekly item over the week from `weekStart`, as weeklyFigures gives it for that item alone. */
const weeklyItemAdherence = (
  given: AdherenceInput,
  item: AdherenceProgramItem,
  weekStart: LocalDay,
) =>
  weeklyFigures(
    { ...given, program: { ...given.program, items: [item] } },
    DEFAULT_ADHERENCE_SETTINGS,
    weekStart,
  ).weeklyItems[0];

const DAY = '2026-03-10';
const WEEK = '2026-03-09'; // a Monday; the week runs to Sunday 2026-03-15

// ---------------------------------------------------------------------------------------------

describe('prescribedSessionsPerDay', () => {
  it.each<{ name: string; items: AdherenceProgramItem[]; expected: number }>([
    { name: 'is 0 for a program without items', items: [], expected: 0 },
    { name: 'is the timesPerDay of the only daily item', items: [pressUps()], expected: 6 },
    {
      name: 'is the largest timesPerDay: one session is one round of the daily items',
      items: [
        pressUps(),
        pressUps({ position: 2, exerciseCode: 'standing_extension', timesPerDay: 8 }),
        pressUps({ position: 3, exerciseCode: 'knee_to_chest', timesPerDay: 2 }),
      ],
      expected: 8,
    },
    { name: 'leaves weekly items out', items: [stabilization()], expected: 0 },
    {
      name: 'counts a daily item next to a weekly one',
      items: [pressUps({ timesPerDay: 4 }), stabilization()],
      expected: 4,
    },
    {
      name: 'treats an item with both frequencies as daily',
      items: [stabilization({ timesPerDay: 2 })],
      expected: 2,
    },
  ])('$name', ({ items, expected }) => {
    expect(prescribedSessionsPerDay(items)).toBe(expected);
  });
});

describe('dailyExerciseAdherence', () => {
  it.each<{
    name: string;
    given: Partial<AdherenceInput>;
    expected: [number, number, number | null];
  }>([
    { name: 'is 0 of 6 on a day without sessions', given: {}, expected: [0, 6, 0] },
    {
      name: 'counts each logged round',
      given: { sessions: rounds(DAY, 3) },
      expected: [3, 6, 0.5],
    },
    {
      name: 'caps the day at 100 % when more rounds are logged than prescribed',
      given: { sessions: rounds(DAY, 8) },
      expected: [6, 6, 1],
    },
    {
      name: 'ignores sessions of other days',
      given: { sessions: [...rounds('2026-03-09', 4), ...rounds('2026-03-11', 4)] },
      expected: [0, 6, 0],
    },
    {
      name: 'does not count a session with only the weekly item as a daily round',
      given: {
        program: program({ items: [pressUps(), stabilization()] }),
        sessions: [stabilizationSession(DAY), ...rounds(DAY, 1)],
      },
      expected: [1, 6, 1 / 6],
    },
    {
      name: 'does not count a session that logged no exercise as a round',
      given: { sessions: [session(DAY, { items: [] })] },
      expected: [0, 6, 0],
    },
    {
      name: 'has no ratio when the program prescribes no daily item',
      given: {
        program: program({ items: [stabilization()] }),
        sessions: [stabilizationSession(DAY)],
      },
      expected: [0, 0, null],
    },
  ])('$name', ({ given, expected: [completed, prescribed, ratio] }) => {
    expect(dailyExerciseAdherence(input(given), DAY)).toEqual({ completed, prescribed, ratio });
  });
});

describe('exerciseAdherence', () => {
  it('caps each day before adding up, so extra rounds one day do not make up for a missed one', () => {
    const result = exerciseAdherence(
      input({ sessions: [...rounds('2026-03-09', 8), ...rounds('2026-03-10', 2)] }),
      { from: '2026-03-09', to: '2026-03-11' },
    );
    expect(result).toEqual({ completed: 8, prescribed: 18, ratio: 8 / 18 });
  });

  it('is 100 % when every day of the period has all its rounds', () => {
    const days = eachDay({ from: '2026-03-09', to: '2026-03-12' });
    const result = exerciseAdherence(input({ sessions: days.flatMap((d) => rounds(d, 6)) }), {
      from: '2026-03-09',
      to: '2026-03-12',
    });
    expect(result).toEqual({ completed: 24, prescribed: 24, ratio: 1 });
  });
});

describe('weeklyItemAdherence', () => {
  it.each<{ name: string; days: LocalDay[]; expected: [number, number, number] }>([
    { name: 'is 0 of 3 in a week without the item', days: [], expected: [0, 3, 0] },
    {
      name: 'counts days, not sessions, with the item',
      days: ['2026-03-09', '2026-03-09', '2026-03-11'],
      expected: [2, 3, 2 / 3],
    },
    {
      name: 'caps the week at 100 % when the item was done on more days than prescribed',
      days: ['2026-03-09', '2026-03-10', '2026-03-12', '2026-03-14'],
      expected: [3, 3, 1],
    },
    {
      name: 'ignores the days either side of the week',
      days: ['2026-03-08', '2026-03-11', '2026-03-16'],
      expected: [1, 3, 1 / 3],
    },
  ])('$name', ({ days, expected: [completed, prescribed, ratio] }) => {
    const sessions = days.map((day, i) => ({ ...stabilizationSession(day), id: `s${i}` }));
    expect(weeklyItemAdherence(input({ sessions }), stabilization(), WEEK)).toEqual({
      position: 2,
      exerciseCode: 'lumbar_stabilization',
      completed,
      prescribed,
      ratio,
    });
  });
});

describe('walkingAdherence', () => {
  const week = daysStarting(WEEK, 7);

  it.each<{ name: string; rows: DailySteps[]; daysMet: number }>([
    {
      name: 'counts the days at or above the step goal',
      rows: [
        steps('2026-03-09', 6000),
        steps('2026-03-10', 5999),
        steps('2026-03-11', 9000),
        steps('2026-03-12', 0),
      ],
      daysMet: 2,
    },
    { name: 'does not count a day without device data as met', rows: [], daysMet: 0 },
    {
      name: 'counts only the days of the period',
      rows: [steps('2026-03-08', 8000), steps('2026-03-15', 8000), steps('2026-03-16', 8000)],
      daysMet: 1,
    },
  ])('$name', ({ rows, daysMet }) => {
    expect(walkingAdherence(input({ dailySteps: rows }), week)).toEqual({
      goalSteps: 6000,
      daysMet,
      days: 7,
      ratio: daysMet / 7,
    });
  });

  it('is null when the program has no walking goal', () => {
    const given = input({
      program: program({ walkingGoalDailySteps: null }),
      dailySteps: [steps('2026-03-09', 8000)],
    });
    expect(walkingAdherence(given, week)).toBeNull();
  });
});

describe('isActiveDay', () => {
  it.each<{
    name: string;
    given: Partial<AdherenceInput>;
    settings?: Partial<AdherenceSettings>;
    active: boolean;
  }>([
    {
      name: 'is active with one logged session and no steps',
      given: { sessions: [session(DAY)] },
      active: true,
    },
    {
      name: 'is active with any logged session, even one without a daily item',
      given: { sessions: [stabilizationSession(DAY)] },
      active: true,
    },
    {
      name: 'is active at exactly 50 % of the walking goal',
      given: { dailySteps: [steps(DAY, 3000)] },
      active: true,
    },
    {
      name: 'is not active one step below 50 % of the walking goal',
      given: { dailySteps: [steps(DAY, 2999)] },
      active: false,
    },
    {
      name: 'follows a configured activity threshold',
      given: { dailySteps: [steps(DAY, 4000)] },
      settings: { activeDayStepPercent: 80 },
      active: false,
    },
    {
      name: 'is active above a configured activity threshold',
      given: { dailySteps: [steps(DAY, 4800)] },
      settings: { activeDayStepPercent: 80 },
      active: true,
    },
    {
      name: 'counts only sessions when the program has no walking goal',
      given: { program: program({ walkingGoalDailySteps: null }), dailySteps: [steps(DAY, 20000)] },
      active: false,
    },
    {
      name: 'is active through a session when the program has no walking goal',
      given: { program: program({ walkingGoalDailySteps: null }), sessions: [session(DAY)] },
      active: true,
    },
    {
      name: 'is not active with only a pain report',
      given: { painReports: [pain(DAY)] },
      active: false,
    },
    {
      name: 'is not active because of the day before',
      given: { sessions: [session('2026-03-09')], dailySteps: [steps('2026-03-09', 9000)] },
      active: false,
    },
  ])('$name', ({ given, settings: overrides, active }) => {
    expect(isActiveDay(input(given), settings(overrides), DAY)).toBe(active);
  });
});

describe('isDataDay', () => {
  it.each<{ name: string; given: Partial<AdherenceInput>; dataDay: boolean }>([
    {
      name: 'is a data day with a logged session',
      given: { sessions: [session(DAY)] },
      dataDay: true,
    },
    {
      name: 'is a data day with a pain report',
      given: { painReports: [pain(DAY)] },
      dataDay: true,
    },
    {
      name: 'is a data day when a device reported zero steps',
      given: { dailySteps: [steps(DAY, 0)] },
      dataDay: true,
    },
    { name: 'is not a data day without any record', given: {}, dataDay: false },
    {
      name: 'is not a data day because of records on the days around it',
      given: {
        sessions: [session('2026-03-09')],
        painReports: [pain('2026-03-11')],
        dailySteps: [steps('2026-03-11', 100)],
      },
      dataDay: false,
    },
  ])('$name', ({ given, dataDay }) => {
    expect(isDataDay(input(given), DAY)).toBe(dataDay);
  });
});

describe('activeDays and dataDays', () => {
  it('lists active days and data days apart: a pain report alone is data, not activity', () => {
    const given = input({
      sessions: [session('2026-03-09')],
      painReports: [pain('2026-03-10')],
      dailySteps: [steps('2026-03-11', 4000), steps('2026-03-12', 100)],
    });
    const range = { from: '2026-03-09', to: '2026-03-13' };
    expect(activeDays(given, settings(), range)).toEqual(['2026-03-09', '2026-03-11']);
    expect(dataDays(given, range)).toEqual([
      '2026-03-09',
      '2026-03-10',
      '2026-03-11',
      '2026-03-12',
    ]);
  });
});

describe('weeklyFigures', () => {
  it('adds daily rounds and weekly-item days into one exercise adherence', () => {
    const given = input({
      program: program({ items: [pressUps({ timesPerDay: 2 }), stabilization()] }),
      sessions: [
        ...rounds('2026-03-09', 2),
        ...rounds('2026-03-10', 3),
        ...rounds('2026-03-12', 1),
        stabilizationSession('2026-03-09'),
        stabilizationSession('2026-03-13'),
      ],
      dailySteps: [
        steps('2026-03-09', 7000),
        steps('2026-03-11', 3500),
        steps('2026-03-14', 6000),
        steps('2026-03-15', 1000),
      ],
      painReports: [pain('2026-03-15')],
    });
    expect(weeklyFigures(given, settings(), WEEK)).toEqual({
      weekStart: '2026-03-09',
      weekEnd: '2026-03-15',
      // Rounds 2 + 2 (capped) + 1 of 14; stabilization 2 of 3 days.
      exercise: { completed: 7, prescribed: 17, ratio: 7 / 17 },
      dailySessions: { completed: 5, prescribed: 14, ratio: 5 / 14 },
      weeklyItems: [
        {
          position: 2,
          exerciseCode: 'lumbar_stabilization',
          completed: 2,
          prescribed: 3,
          ratio: 2 / 3,
        },
      ],
      walking: { goalSteps: 6000, daysMet: 2, days: 7, ratio: 2 / 7 },
      activeDays: 6,
      dataDays: 7,
    });
  });

  it('has no walking figure, and counts only sessions as activity, without a walking goal', () => {
    const given = input({
      program: program({ walkingGoalDailySteps: null }),
      sessions: [session('2026-03-10')],
      dailySteps: [steps('2026-03-11', 12000)],
    });
    const figures = weeklyFigures(given, settings(), WEEK);
    expect(figures.walking).toBeNull();
    expect(figures.activeDays).toBe(1);
    expect(figures.dataDays).toBe(2);
  });

  it.each<{ name: string; zone: string; weekStart: LocalDay; wallTimes: string[]; inWeek: number }>(
    [
      {
        name: 'keeps a session at 00:30 on the 23-hour spring-forward Sunday in Paris in that week',
        zone: 'Europe/Paris',
        weekStart: '2026-03-23',
        wallTimes: ['2026-03-23T07:00', '2026-03-29T00:30', '2026-03-29T23:30', '2026-03-30T00:30'],
        inWeek: 3,
      },
      {
        name: 'keeps a session at 23:30 on the 25-hour autumn Sunday in Paris in that week',
        zone: 'Europe/Paris',
        weekStart: '2026-10-19',
        wallTimes: ['2026-10-25T02:30', '2026-10-25T23:30', '2026-10-26T00:30'],
        inWeek: 2,
      },
    ],
  )('$name', ({ zone, weekStart, wallTimes, inWeek }) => {
    const given = input({
      program: program({ items: [pressUps({ timesPerDay: 4 })] }),
      sessions: wallTimes.map((t) => sessionAt(t, zone)),
    });
    expect(weeklyFigures(given, settings(), weekStart).dailySessions.completed).toBe(inWeek);
  });

  it.each([
    // 2026-11-22T11:30Z is Monday 00:30 in Auckland (next week) but Sunday 00:30 in Pago Pago.
    { zone: 'Pacific/Auckland', inWeek: 1, dataDays: 1 },
    { zone: 'Pacific/Pago_Pago', inWeek: 2, dataDays: 2 },
  ])(
    'places the same instants in the week by the local day of $zone ($inWeek sessions)',
    ({ zone, inWeek, dataDays: expectedDataDays }) => {
      const given = input({
        sessions: ['2026-11-18T02:00:00Z', '2026-11-22T11:30:00Z'].map((iso) =>
          sessionAtInstant(iso, zone),
        ),
      });
      const figures = weeklyFigures(given, settings(), '2026-11-16');
      expect(figures.dailySessions.completed).toBe(inWeek);
      expect(figures.dataDays).toBe(expectedDataDays);
    },
  );
});

describe('weeklyFigures over the counted days of a cut week', () => {
  // Press-ups twice a day and stabilization 3 days a week, from Wednesday 11 March.
  const given = input({
    program: program({
      startDate: '2026-03-11',
      items: [pressUps({ timesPerDay: 2 }), stabilization()],
    }),
    sessions: [
      ...rounds('2026-03-09', 2), // before the start
      stabilizationSession('2026-03-10'), // before the start
      ...rounds('2026-03-11', 1),
      ...rounds('2026-03-12', 3),
      stabilizationSession('2026-03-12'),
      stabilizationSession('2026-03-14'),
      ...rounds('2026-03-15', 2), // after the last counted day
      stabilizationSession('2026-03-15'),
    ],
    dailySteps: [steps('2026-03-10', 9000), steps('2026-03-11', 6000), steps('2026-03-13', 100)],
    painReports: [pain('2026-03-09')],
  });
  const counted = { from: '2026-03-11', to: '2026-03-14' };

  it('counts rounds, walking, activity and data on the counted days only', () => {
    expect(weeklyFigures(given, settings(), WEEK, counted)).toEqual({
      weekStart: '2026-03-09',
      weekEnd: '2026-03-15',
      // Rounds 1 + 2 (capped) of 4 days × 2; stabilization prescribed whole, 2 of its 3 days.
      exercise: { completed: 5, prescribed: 11, ratio: 5 / 11 },
      dailySessions: { completed: 3, prescribed: 8, ratio: 3 / 8 },
      weeklyItems: [
        {
          position: 2,
          exerciseCode: 'lumbar_stabilization',
          completed: 2,
          prescribed: 3,
          ratio: 2 / 3,
        },
      ],
      walking: { goalSteps: 6000, daysMet: 1, days: 4, ratio: 1 / 4 },
      activeDays: 3,
      dataDays: 4,
    });
  });

  it('is the whole week’s figures when every day counts', () => {
    const whole = { from: WEEK, to: '2026-03-15' };
    expect(weeklyFigures(given, settings(), WEEK, whole)).toEqual(
      weeklyFigures(given, settings(), WEEK),
    );
  });

  it('keeps the counted days within the week', () => {
    expect(
      weeklyFigures(given, settings(), WEEK, { from: '2026-03-01', to: '2026-03-12' }),
    ).toEqual(weeklyFigures(given, settings(), WEEK, { from: WEEK, to: '2026-03-12' }));
  });
});

describe('weeklyFiguresOf', () => {
  const given = input({
    program: program({
      startDate: '2026-03-11',
      items: [pressUps({ timesPerDay: 2 }), stabilization()],
      holds: [{ from: '2026-03-17', to: '2026-03-18' }],
    }),
    sessions: [
      ...rounds('2026-03-10', 2),
      ...rounds('2026-03-12', 2),
      ...rounds('2026-03-16', 2),
      ...rounds('2026-03-17', 2), // on hold
      stabilizationSession('2026-03-18'), // on hold
      stabilizationSession('2026-03-19'),
    ],
    dailySteps: [steps('2026-03-16', 7000)],
  });

  it('gives each week of the range its counted days and their figures', () => {
    const weeks = weeklyFiguresOf(given, settings(), { from: '2026-03-04', to: '2026-03-19' });
    expect(weeks.map((w) => [w.weekStart, w.counted])).toEqual([
      ['2026-03-09', { from: '2026-03-11', to: '2026-03-15' }],
      ['2026-03-16', { from: '2026-03-16', to: '2026-03-19' }],
    ]);
    for (const week of weeks) {
      expect(week.figures).toEqual(weeklyFigures(given, settings(), week.weekStart, week.counted));
    }
    // Monday, Thursday off hold: 4 rounds due, 2 done; stabilization due on at most the 5
    // days of the week off hold (3), done on Thursday only (Wednesday was on hold).
    expect(weeks[1].figures.exercise).toEqual({ completed: 3, prescribed: 7, ratio: 3 / 7 });
  });

  it('has no week before the program’s start', () => {
    expect(weeklyFiguresOf(given, settings(), { from: '2026-02-02', to: '2026-03-10' })).toEqual(
      [],
    );
  });
});

describe('restGaps', () => {
  const range = { from: '2026-03-01', to: '2026-03-10' };

  it('lists each run of days without activity, with the days that had no data at all', () => {
    const given = input({
      sessions: [session('2026-03-01'), session('2026-03-05')],
      dailySteps: [
        steps('2026-03-02', 1000),
        steps('2026-03-03', 1000),
        steps('2026-03-06', 3000),
        steps('2026-03-08', 500),
      ],
      painReports: [pain('2026-03-09')],
    });
    expect(restGaps(given, settings(), range)).toEqual([
      { from: '2026-03-02', to: '2026-03-04', days: 3, daysWithoutData: 1 },
      { from: '2026-03-07', to: '2026-03-10', days: 4, daysWithoutData: 2 },
    ]);
  });

  it('is one gap over a range without any activity', () => {
    expect(restGaps(input(), settings(), range)).toEqual([
      { from: '2026-03-01', to: '2026-03-10', days: 10, daysWithoutData: 10 },
    ]);
  });

  it('is empty when every day is active', () => {
    const given = input({ sessions: eachDay(range).map((d) => session(d)) });
    expect(restGaps(given, settings(), range)).toEqual([]);
  });
});

describe('remote monitoring eligibility', () => {
  it.each([
    [0, null],
    [1, null],
    [2, '98985'],
    [15, '98985'],
    [16, '98977'],
    [30, '98977'],
  ])('%i data days in 30 qualify for %s', (count, code) => {
    expect(remoteMonitoringCode(count)).toBe(code);
  });

  const START = '2026-03-15'; // the 30 days run to 2026-04-13, across the spring-forward day
  const kinds = [
    (day: LocalDay): Partial<AdherenceInput> => ({ sessions: [session(day)] }),
    (day: LocalDay): Partial<AdherenceInput> => ({ painReports: [pain(day)] }),
    (day: LocalDay): Partial<AdherenceInput> => ({ dailySteps: [steps(day, 0)] }),
  ];
  /** One record per listed day, cycling through a session, a pain report and device data. */
  const recordsOn = (days: LocalDay[]): AdherenceInput =>
    days.reduce<AdherenceInput>((acc, day, i) => {
      const add = kinds[i % kinds.length](day);
      return {
        ...acc,
        sessions: [...acc.sessions, ...(add.sessions ?? [])],
        painReports: [...acc.painReports, ...(add.painReports ?? [])],
        dailySteps: [...acc.dailySteps, ...(add.dailySteps ?? [])],
      };
    }, input());
  const firstDays = (count: number) => eachDay(daysStarting(START, count));

  it.each<{ name: string; days: LocalDay[]; dataDays: number; code: string | null }>([
    {
      name: 'qualifies for 98977 with 16 data days',
      days: firstDays(16),
      dataDays: 16,
      code: '98977',
    },
    {
      name: 'qualifies for 98985 with 15 data days',
      days: firstDays(15),
      dataDays: 15,
      code: '98985',
    },
    {
      name: 'qualifies for 98985 with 2 data days',
      days: firstDays(2),
      dataDays: 2,
      code: '98985',
    },
    { name: 'does not qualify with 1 data day', days: firstDays(1), dataDays: 1, code: null },
    { name: 'does not qualify without data', days: [], dataDays: 0, code: null },
    {
      name: 'counts several records on one day as one data day',
      days: ['2026-03-20', '2026-03-20', '2026-03-20'],
      dataDays: 1,
      code: null,
    },
    {
      name: 'leaves out the days before and after the 30-day period',
      days: ['2026-03-14', START, '2026-04-13', '2026-04-14'],
      dataDays: 2,
      code: '98985',
    },
  ])('$name', ({ days, dataDays: count, code }) => {
    expect(remoteMonitoringEligibility(recordsOn(days), START)).toEqual({
      from: START,
      to: '2026-04-13',
      dataDays: count,
      code,
    });
  });
});

describe('a program on hold (paused or suspended by the rules)', () => {
  // Paused on Wednesday 11 March (a new leg pain), resumed on Friday 13 March.
  const held = program({
    items: [pressUps({ timesPerDay: 2 }), stabilization()],
    holds: [{ from: '2026-03-11', to: '2026-03-13' }],
  });
  const week = input({
    program: held,
    sessions: [
      ...rounds('2026-03-09', 2),
      ...rounds('2026-03-11', 1), // done before the pause that day: not counted
      ...rounds('2026-03-14', 2),
      stabilizationSession('2026-03-10'),
      stabilizationSession('2026-03-12'), // on hold: not counted
    ],
  });

  it.each([
    ['2026-03-10', { completed: 0, prescribed: 2, ratio: 0 }],
    ['2026-03-11', { completed: 0, prescribed: 0, ratio: null }], // the day it began
    ['2026-03-12', { completed: 0, prescribed: 0, ratio: null }],
    ['2026-03-13', { completed: 0, prescribed: 0, ratio: null }], // the day it was lifted
    ['2026-03-14', { completed: 2, prescribed: 2, ratio: 1 }],
  ])('prescribes nothing on a day on hold: %s', (day, expected) => {
    expect(dailyExerciseAdherence(week, day)).toEqual(expected);
  });

  it('leaves the days on hold out of a week, and a weekly item due on the days left', () => {
    const figures = weeklyFigures(week, settings(), WEEK);
    // Rounds on the 4 days off hold: 2 + 0 + 2 + 0 of 8.
    expect(figures.dailySessions).toEqual({ completed: 4, prescribed: 8, ratio: 0.5 });
    // 4 days off hold leave room for all 3 stabilization days; 1 done off hold.
    expect(figures.weeklyItems[0]).toMatchObject({ completed: 1, prescribed: 3 });
    expect(figures.exercise).toEqual({ completed: 5, prescribed: 11, ratio: 5 / 11 });
  });

  it('prescribes a weekly item on at most the days of the week off hold', () => {
    const longHold = input({
      program: program({
        items: [stabilization()],
        holds: [{ from: '2026-03-09', to: '2026-03-13' }],
      }),
      sessions: [stabilizationSession('2026-03-14')],
    });
    expect(weeklyItemAdherence(longHold, stabilization(), WEEK)).toMatchObject({
      completed: 1,
      prescribed: 2,
    });
  });

  it('holds every day from its start while it lasts (no end yet)', () => {
    const open = input({ program: program({ holds: [{ from: '2026-03-12', to: null }] }) });
    expect(exerciseAdherence(open, { from: '2026-03-10', to: '2026-03-20' })).toMatchObject({
      prescribed: 2 * 6,
    });
  });

  it('ends a rest gap: days on hold are not rest days', () => {
    const given = input({
      program: program({ holds: [{ from: '2026-03-04', to: '2026-03-06' }] }),
      sessions: [session('2026-03-01')],
    });
    expect(restGaps(given, settings(), { from: '2026-03-01', to: '2026-03-10' })).toEqual([
      { from: '2026-03-02', to: '2026-03-03', days: 2, daysWithoutData: 2 },
      { from: '2026-03-07', to: '2026-03-10', days: 4, daysWithoutData: 4 },
    ]);
  });
});
