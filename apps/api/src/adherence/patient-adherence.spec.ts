import {
  type AdherenceInput,
  type AdherenceProgramItem,
  DEFAULT_ADHERENCE_SETTINGS,
  type LocalDay,
  type LoggedSession,
  weeklyFigures,
} from '@app/domain';
import { adherenceDays, adherenceWeeks } from './patient-adherence';

const pressUps: AdherenceProgramItem = {
  position: 1,
  exerciseCode: 'prone_press_up',
  family: 'extension',
  sets: null,
  reps: 10,
  repsGoal: null,
  holdSeconds: 5,
  holdGoalSeconds: 30,
  timesPerDay: 3,
  daysPerWeek: null,
};

const stabilization: AdherenceProgramItem = {
  ...pressUps,
  position: 2,
  exerciseCode: 'lumbar_stabilization',
  family: 'stabilization',
  timesPerDay: null,
  daysPerWeek: 2,
};

const rounds = (day: LocalDay, count: number, exerciseCode = 'prone_press_up'): LoggedSession[] =>
  Array.from({ length: count }, (_, i) => ({
    id: `${exerciseCode}-${day}-${i}`,
    performedAt: new Date(`${day}T${String(8 + i).padStart(2, '0')}:00:00Z`),
    localDate: day,
    items: [{ exerciseCode }],
  }));

/** Press-ups 3×/day and stabilization 2 days a week, 6,000 steps a day, from 2026-11-05 (a Thursday). */
const input = (overrides: Partial<AdherenceInput> = {}): AdherenceInput => ({
  program: {
    startDate: '2026-11-05',
    walkingGoalDailySteps: 6000,
    restGapDays: 2,
    items: [pressUps, stabilization],
  },
  sessions: [
    ...rounds('2026-11-04', 3), // before the start
    ...rounds('2026-11-05', 2),
    ...rounds('2026-11-06', 5), // capped at 3
    ...rounds('2026-11-07', 1, 'lumbar_stabilization'),
    ...rounds('2026-11-10', 3),
    ...rounds('2026-11-11', 1, 'lumbar_stabilization'),
    ...rounds('2026-11-12', 1, 'lumbar_stabilization'),
    ...rounds('2026-11-13', 1, 'lumbar_stabilization'), // a third day: capped at 2
  ],
  painReports: [{ id: 'pain-1', localDate: '2026-11-08', mostDistalSite: 'thigh' }],
  dailySteps: [
    { localDate: '2026-11-03', steps: 8000 },
    { localDate: '2026-11-05', steps: 6000 },
    { localDate: '2026-11-06', steps: 2500 },
    { localDate: '2026-11-09', steps: 7000 },
    { localDate: '2026-11-10', steps: 0 },
  ],
  ...overrides,
});

const settings = DEFAULT_ADHERENCE_SETTINGS;

describe('adherenceDays', () => {
  const days = adherenceDays(input(), settings, { from: '2026-11-03', to: '2026-11-10' });
  const on = (date: string) => days.find((d) => d.date === date);

  it('lists every day of the range once, in order', () => {
    expect(days.map((d) => d.date)).toEqual([
      '2026-11-03',
      '2026-11-04',
      '2026-11-05',
      '2026-11-06',
      '2026-11-07',
      '2026-11-08',
      '2026-11-09',
      '2026-11-10',
    ]);
  });

  it('prescribes nothing before the program’s start, but still reports what was recorded', () => {
    expect(on('2026-11-03')).toEqual({
      date: '2026-11-03',
      prescribedSessions: 0,
      completedSessions: 0,
      exerciseAdherence: null,
      steps: 8000,
      stepGoalMet: null,
      active: true,
      onHold: false,
      dataDay: true,
    });
    expect(on('2026-11-04')).toMatchObject({ prescribedSessions: 0, active: true, steps: null });
  });

  it('counts rounds of the daily items, capped at the day’s prescription', () => {
    expect(on('2026-11-05')).toMatchObject({
      prescribedSessions: 3,
      completedSessions: 2,
      exerciseAdherence: 2 / 3,
      steps: 6000,
      stepGoalMet: true,
    });
    expect(on('2026-11-06')).toMatchObject({
      completedSessions: 3,
      exerciseAdherence: 1,
      stepGoalMet: false,
      active: true,
    });
  });

  it('does not count a weekly item as a daily round, though it makes the day active', () => {
    expect(on('2026-11-07')).toMatchObject({
      completedSessions: 0,
      exerciseAdherence: 0,
      active: true,
      dataDay: true,
    });
  });

  it('tells a day without device data (goal not met, no data) from one with zero steps', () => {
    expect(on('2026-11-08')).toMatchObject({
      steps: null,
      stepGoalMet: false,
      active: false,
      dataDay: true,
    });
    expect(on('2026-11-10')).toMatchObject({ steps: 0, stepGoalMet: false, dataDay: true });
  });
});

describe('adherenceDays of a program on hold', () => {
  const held = input({
    program: { ...input().program, holds: [{ from: '2026-11-06', to: '2026-11-06' }] },
  });
  const days = adherenceDays(held, DEFAULT_ADHERENCE_SETTINGS, {
    from: '2026-11-05',
    to: '2026-11-07',
  });

  it('prescribes nothing on the day the rules paused the program, and says so', () => {
    expect(days.map((d) => [d.date, d.onHold, d.prescribedSessions, d.completedSessions])).toEqual([
      ['2026-11-05', false, 3, 2],
      ['2026-11-06', true, 0, 0], // 5 rounds logged, none due
      ['2026-11-07', false, 3, 0],
    ]);
    expect(days[1]).toMatchObject({ exerciseAdherence: null, active: true });
  });

  it('leaves the day out of its week', () => {
    const [week] = adherenceWeeks(held, DEFAULT_ADHERENCE_SETTINGS, {
      from: '2026-11-05',
      to: '2026-11-08',
    });
    // Thursday, Saturday, Sunday: 9 rounds due, 2 done; stabilization 1 of 2.
    expect(week).toMatchObject({ prescribedSessions: 9 + 2, completedSessions: 2 + 1 });
  });
});

describe('adherenceWeeks', () => {
  it('agrees with weeklyFigures on a whole week after the start', () => {
    const [week] = adherenceWeeks(input(), settings, { from: '2026-11-09', to: '2026-11-15' });
    const figures = weeklyFigures(input(), settings, '2026-11-09');
    expect(week).toEqual({
      weekStart: '2026-11-09',
      daysCounted: 7,
      prescribedSessions: figures.exercise.prescribed,
      completedSessions: figures.exercise.completed,
      exerciseAdherence: figures.exercise.ratio,
      walkingAdherence: figures.walking?.ratio,
      activeDays: figures.activeDays,
      dataDays: figures.dataDays,
    });
    // 7 × 3 rounds + 2 stabilization days; 3 rounds and 2 (of 3) stabilization days done.
    expect(week).toMatchObject({ prescribedSessions: 23, completedSessions: 5 });
  });

  it('counts the first week from the program’s start, not the days before it', () => {
    const [week] = adherenceWeeks(input(), settings, { from: '2026-11-02', to: '2026-11-08' });
    expect(week).toEqual({
      weekStart: '2026-11-02',
      daysCounted: 4,
      // Thursday to Sunday: 4 × 3 rounds, and the weekly item's 2 days.
      prescribedSessions: 14,
      completedSessions: 2 + 3 + 1,
      exerciseAdherence: 6 / 14,
      walkingAdherence: 1 / 4,
      activeDays: 3,
      dataDays: 4,
    });
  });

  it('does not count the days after `to` as missed', () => {
    const [, week] = adherenceWeeks(input(), settings, { from: '2026-11-05', to: '2026-11-10' });
    expect(week).toMatchObject({
      weekStart: '2026-11-09',
      daysCounted: 2,
      prescribedSessions: 2 * 3 + 2,
      completedSessions: 3,
      walkingAdherence: 1 / 2,
    });
  });

  it('starts on the Monday of `from` and leaves out weeks before the program', () => {
    const weeks = adherenceWeeks(input(), settings, { from: '2026-10-28', to: '2026-11-18' });
    expect(weeks.map((w) => w.weekStart)).toEqual(['2026-11-02', '2026-11-09', '2026-11-16']);
  });

  it('has no ratios when nothing is prescribed and there is no walking goal', () => {
    const [week] = adherenceWeeks(
      input({
        program: { startDate: '2026-11-02', walkingGoalDailySteps: null, items: [] },
      }),
      settings,
      { from: '2026-11-02', to: '2026-11-08' },
    );
    expect(week).toMatchObject({
      prescribedSessions: 0,
      exerciseAdherence: null,
      walkingAdherence: null,
    });
  });
});
