import { addDays } from '../local-time';
import { exerciseAdherence, remoteMonitoringEligibility, weeklyFigures } from './adherence';
import { evaluateProgressionFlags } from './flags';
import {
  type AdherenceProgramItem,
  DEFAULT_ADHERENCE_SETTINGS,
  type FlagInput,
  type LoggedSession,
  type SessionDay,
} from './types';

// The worker hands the flags every session as its exercise codes by day (sessionDays) and only
// each item's newest sessions with their doses; the API hands them every session. Both must
// give the same answers: checked here over a few hundred varied patients.

const TODAY = '2026-03-20';
const items: AdherenceProgramItem[] = [
  {
    position: 0,
    exerciseCode: 'prone_press_up',
    family: 'extension',
    sets: 1,
    reps: 10,
    repsGoal: 15,
    holdSeconds: 10,
    holdGoalSeconds: 30,
    timesPerDay: 3,
    daysPerWeek: null,
  },
  {
    position: 1,
    exerciseCode: 'knee_to_chest',
    family: 'stretching',
    sets: 1,
    reps: 3,
    repsGoal: null,
    holdSeconds: 20,
    holdGoalSeconds: null,
    timesPerDay: 2,
    daysPerWeek: null,
  },
  {
    position: 2,
    exerciseCode: 'bird_dog',
    family: 'stabilization',
    sets: 2,
    reps: 10,
    repsGoal: null,
    holdSeconds: null,
    holdGoalSeconds: null,
    timesPerDay: null,
    daysPerWeek: 2,
  },
];

/** A small deterministic generator (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function patient(seed: number): FlagInput {
  const next = random(seed);
  const sessions: LoggedSession[] = [];
  const dailySteps = [];
  for (let k = 42; k >= 0; k--) {
    const day = addDays(TODAY, -k);
    // One patient in five rests over the last four days (REST_GAP_EXCEEDED).
    const resting = seed % 5 === 0 && k >= 1 && k <= 4;
    const rounds = resting ? 0 : Math.floor(next() * 5);
    for (let r = 0; r < rounds; r++) {
      const kind = next();
      const hold = next() < 0.8 ? 10 : 5;
      sessions.push({
        id: `s-${seed}-${k}-${r}`,
        // Now and then two sessions at the same instant: the id breaks the tie.
        performedAt: new Date(Date.parse(`${day}T08:00:00Z`) + (next() < 0.1 ? 0 : r * 3600e3)),
        localDate: day,
        items:
          kind < 0.15
            ? [{ exerciseCode: 'bird_dog', sets: 2, reps: 10 }]
            : kind < 0.2
              ? []
              : [
                  { exerciseCode: 'prone_press_up', sets: 1, reps: 10, holdSeconds: hold },
                  ...(kind < 0.6 ? [{ exerciseCode: 'knee_to_chest', reps: 3 }] : []),
                ],
      });
    }
    if (next() < 0.8)
      dailySteps.push({ localDate: day, steps: resting ? 100 : Math.floor(next() * 9000) });
  }
  return {
    program: {
      startDate: addDays(TODAY, -60),
      walkingGoalDailySteps: 5000,
      restGapDays: 2,
      items,
      holds: seed % 7 === 0 ? [{ from: addDays(TODAY, -5), to: addDays(TODAY, -3) }] : [],
    },
    sessions,
    painReports: [],
    dailySteps,
    findings: [],
    openAlerts: [],
  };
}

/**
 * What the worker's loader gives: each item's sessions of its last `dayCount` local days that
 * had one (up to today), every session by day.
 */
function asLoaded(input: FlagInput, dayCount: number): FlagInput {
  const kept = new Set<LoggedSession>();
  for (const item of input.program.items) {
    const withItem = input.sessions.filter(
      (s) => s.localDate <= TODAY && s.items.some((i) => i.exerciseCode === item.exerciseCode),
    );
    const itemDays = [...new Set(withItem.map((s) => s.localDate))].sort().slice(-dayCount);
    withItem.filter((s) => itemDays.includes(s.localDate)).forEach((s) => kept.add(s));
  }
  const days = new Map<string, SessionDay['sessions'][number][]>();
  for (const s of input.sessions) {
    const list = days.get(s.localDate) ?? [];
    list.push({ exerciseCodes: s.items.map((i) => i.exerciseCode) });
    days.set(s.localDate, list);
  }
  return {
    ...input,
    sessions: [...kept],
    sessionDays: [...days].map(([localDate, sessions]) => ({ localDate, sessions })),
  };
}

describe('flags and figures from sessionDays and the newest sessions only', () => {
  const settings = DEFAULT_ADHERENCE_SETTINGS;
  const patients = Array.from({ length: 400 }, (_, seed) => patient(seed + 1));

  it('raise the same flags, with the same evidence, as from every session', () => {
    let raised = 0;
    for (const input of patients) {
      const all = evaluateProgressionFlags(input, settings, TODAY);
      raised += all.length;
      expect(
        evaluateProgressionFlags(asLoaded(input, settings.progressionMinDays), settings, TODAY),
      ).toEqual(all);
    }
    // The population is varied enough to raise flags, progression ones included.
    expect(raised).toBeGreaterThan(100);
    const kinds = new Set(
      patients.flatMap((p) => evaluateProgressionFlags(p, settings, TODAY).map((f) => f.flag)),
    );
    expect([...kinds]).toEqual(
      expect.arrayContaining(['HOLD_PROGRESSION_READY', 'REST_GAP_EXCEEDED', 'PROGRAM_DOSE_MET']),
    );
  });

  it('give the same weekly figures, daily rounds and eligibility', () => {
    for (const input of patients.slice(0, 100)) {
      const loaded = asLoaded(input, settings.progressionMinDays);
      const week = addDays(TODAY, -11); // a Monday
      expect(weeklyFigures(loaded, settings, week)).toEqual(weeklyFigures(input, settings, week));
      const range = { from: addDays(TODAY, -30), to: TODAY };
      expect(exerciseAdherence(loaded, range)).toEqual(exerciseAdherence(input, range));
      expect(remoteMonitoringEligibility(loaded, range.from)).toEqual(
        remoteMonitoringEligibility(input, range.from),
      );
    }
  });
});
