import {
  activeDays,
  addDays,
  type AdherenceInput,
  type AdherenceSettings,
  type CountedWeekFigures,
  dataDays,
  DEFAULT_ADHERENCE_SETTINGS,
  eachDay,
  evaluateProgressionFlags,
  exerciseAdherence,
  type LocalDay,
  localDayBounds,
  mondayOf,
  progressionSessionsRead,
  remoteMonitoringEligibility,
  weeklyFigures,
  weeklyFiguresOf,
} from '@app/domain';
import {
  ADHERENCE_WEEKS_SQL,
  AdherenceInputsRepository,
  type PatientAdherenceInput,
  sqlMondayOf,
} from '@app/persistence';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { createTestApp, TestApp } from './support/app';
import { bearer, Clinic, factory, seedClinic } from './support/factories';
import { isolated } from './support/isolated';

// A database of its own: a worker of another spec would otherwise compute these patients'
// recent weeks between two runs here, and "a second run changes no row" would mean nothing.
const space = isolated('adherence_weeks');
const env = space.env;

const GOAL = 4000;
// DEFAULT_ADHERENCE_SETTINGS.activeDayStepPercent is 50: 2000 steps make a day active.
const SETTINGS = DEFAULT_ADHERENCE_SETTINGS;
// A Wednesday: the SQL recomputes its week whole, from Monday 2026-03-02.
const FROM: LocalDay = '2026-03-04';

/** A round is a session with the daily item; `weekly` has the weekly item only; `both` has both. */
type SessionKind = 'round' | 'weekly' | 'both';

const ITEMS: Record<SessionKind, object[]> = {
  round: [{ exerciseCode: 'prone_press_up', sets: 1, reps: 10 }],
  weekly: [{ exerciseCode: 'lumbar_stabilization', durationMinutes: 30 }],
  both: [
    { exerciseCode: 'prone_press_up', sets: 1, reps: 10 },
    { exerciseCode: 'lumbar_stabilization', durationMinutes: 30 },
  ],
};

interface Week {
  week_start: LocalDay;
  prescribed_sessions: number;
  completed_sessions: number;
  walking_goal_days: number;
  walking_days_met: number;
  active_days: number;
  data_days: number;
}

type PatientWeek = Week & { patient_id: string };

interface PatientCase {
  name: string;
  zone: string;
  startDate: LocalDay;
  walkingGoal: boolean;
  /** The last closed local day ($4). */
  until: LocalDay;
  /** Instants as the app sends them, with the offset in force; the local day is derived. */
  sessions: [at: string, kind: SessionKind][];
  pains: string[];
  steps: [day: LocalDay, steps: number][];
  /** Times the program was on hold (paused or suspended): start and end instants, or open. */
  holds?: [start: string, end: string | null][];
  /** Counted by hand from the records: what both the SQL and the domain must give. */
  weeks: Week[];
}

/** `n` sessions of one kind on a local day, two hours apart from 08:00, at a fixed offset. */
function times(
  day: LocalDay,
  n: number,
  offset: string,
  kind: SessionKind = 'round',
): [string, SessionKind][] {
  return Array.from({ length: n }, (_, i) => [
    `${day}T${String(8 + 2 * i).padStart(2, '0')}:00:00${offset}`,
    kind,
  ]);
}

// Program for every case: press-ups 3 rounds a day, lumbar stabilization 2 days a week (a
// weekly item, counted per week), and a 4000-step walking goal unless `walkingGoal` is false.
const CASES: PatientCase[] = [
  {
    // Starts on a Monday: two whole weeks, then the current week up to Wednesday.
    name: 'Auckland, whole weeks then a partial current week',
    zone: 'Pacific/Auckland',
    startDate: '2026-03-02',
    walkingGoal: true,
    until: '2026-03-18',
    sessions: [
      // Sunday before the start (and before the week of FROM): not counted, no week row.
      ...times('2026-03-01', 3, '+13:00'),
      ['2026-03-01T20:00:00+13:00', 'weekly'],
      // Week 2026-03-02: 0, 1, 3, 5 (capped at 3) rounds; a stabilization-only day (not a
      // round); a pain-only day; Sunday 2 rounds, one also with stabilization, plus a second
      // stabilization session that day (one weekly day, not two).
      ...times('2026-03-03', 1, '+13:00'),
      ...times('2026-03-04', 3, '+13:00'),
      ...times('2026-03-05', 5, '+13:00'),
      ['2026-03-06T18:00:00+13:00', 'weekly'],
      ['2026-03-08T10:00:00+13:00', 'both'],
      ['2026-03-08T10:45:00Z', 'round'], // Sunday 23:45 in Auckland, Sunday in UTC too
      ['2026-03-08T18:00:00+13:00', 'weekly'],
      // Week 2026-03-09: stabilization on 3 days (capped at 2), the first at 00:15 on Monday
      // in Auckland, still Sunday in UTC.
      ...times('2026-03-09', 3, '+13:00'),
      ['2026-03-08T11:15:00Z', 'weekly'],
      ['2026-03-11T18:00:00+13:00', 'weekly'],
      ['2026-03-13T18:00:00+13:00', 'weekly'],
      // Week 2026-03-16, counted Monday to Wednesday.
      ...times('2026-03-16', 1, '+13:00'),
      ...times('2026-03-17', 3, '+13:00'),
      ['2026-03-18T18:00:00+13:00', 'weekly'],
      // Thursday, after the last closed day: not counted.
      ...times('2026-03-19', 3, '+13:00'),
      ['2026-03-19T18:00:00+13:00', 'weekly'],
    ],
    pains: ['2026-03-07T09:00:00+13:00'],
    steps: [
      ['2026-03-02', 1999], // below the active threshold: a data day, not active
      ['2026-03-03', 2000],
      ['2026-03-04', 4000], // at the goal
      ['2026-03-05', 6000],
      ['2026-03-13', 3999], // below the goal
      ['2026-03-14', 8000], // above the goal, no session: active by steps
      ['2026-03-16', 4500],
      ['2026-03-19', 9000],
    ],
    weeks: [
      {
        week_start: '2026-03-02',
        prescribed_sessions: 7 * 3 + 2,
        // Rounds Monday to Sunday, then the weekly item's 2 days (Friday, Sunday).
        completed_sessions: 0 + 1 + 3 + 3 + 0 + 0 + 2 + 2,
        walking_goal_days: 7,
        walking_days_met: 2,
        active_days: 5,
        data_days: 7,
      },
      {
        week_start: '2026-03-09',
        prescribed_sessions: 7 * 3 + 2,
        completed_sessions: 3 + 2, // Monday's rounds; stabilization 3 days, 2 prescribed
        walking_goal_days: 7,
        walking_days_met: 1,
        active_days: 4,
        data_days: 4,
      },
      {
        // Three days of daily rounds; the weekly item is prescribed whole.
        week_start: '2026-03-16',
        prescribed_sessions: 3 * 3 + 2,
        completed_sessions: 1 + 3 + 1,
        walking_goal_days: 3,
        walking_days_met: 1,
        active_days: 3,
        data_days: 3,
      },
    ],
  },
  {
    // Starts on a Thursday; Los Angeles moves to PDT on Sunday 2026-03-08 (a 23-hour day).
    name: 'Los Angeles, a program started mid-week and a partial current week',
    zone: 'America/Los_Angeles',
    startDate: '2026-03-05',
    walkingGoal: true,
    until: '2026-03-17',
    sessions: [
      // Monday and Wednesday of the start week, before the start: not counted.
      ...times('2026-03-02', 3, '-08:00'),
      ['2026-03-02T18:00:00-08:00', 'weekly'],
      ['2026-03-04T18:00:00-08:00', 'weekly'],
      // Thursday to Sunday of the start week.
      ...times('2026-03-05', 3, '-08:00'),
      ['2026-03-07T07:30:00Z', 'weekly'], // Friday 23:30 PST
      ['2026-03-09T06:30:00Z', 'round'], // Sunday 23:30 PDT: the start week, not the next
      // Week 2026-03-09: Monday 00:30 PDT both items; 5 rounds Tuesday (capped at 3);
      // stabilization on 3 days (capped at 2).
      ['2026-03-09T07:30:00Z', 'both'],
      ...times('2026-03-10', 5, '-07:00'),
      ['2026-03-13T18:00:00-07:00', 'weekly'],
      ['2026-03-14T18:00:00-07:00', 'weekly'],
      // Week 2026-03-16, counted Monday and Tuesday.
      ...times('2026-03-16', 2, '-07:00'),
      ...times('2026-03-18', 3, '-07:00'),
    ],
    pains: ['2026-03-04T09:00:00-08:00', '2026-03-07T10:00:00-08:00', '2026-03-12T09:00:00-07:00'],
    steps: [
      ['2026-03-02', 5000],
      ['2026-03-04', 5000],
      ['2026-03-05', 4000],
      ['2026-03-08', 1000],
      ['2026-03-11', 2000], // exactly the active threshold, no session: active
      ['2026-03-12', 1999], // one step short, with a pain report: a data day, not active
      ['2026-03-18', 5000],
    ],
    weeks: [
      {
        // Thursday to Sunday: 4 days of rounds; the weekly item prescribed whole (2, not 4/7 of 2).
        week_start: '2026-03-02',
        prescribed_sessions: 4 * 3 + 2,
        completed_sessions: 3 + 0 + 0 + 1 + 1,
        walking_goal_days: 4,
        walking_days_met: 1,
        active_days: 3,
        data_days: 4,
      },
      {
        week_start: '2026-03-09',
        prescribed_sessions: 7 * 3 + 2,
        completed_sessions: 1 + 3 + 2,
        walking_goal_days: 7,
        walking_days_met: 0,
        active_days: 5,
        data_days: 6,
      },
      {
        week_start: '2026-03-16',
        prescribed_sessions: 2 * 3 + 2,
        completed_sessions: 2,
        walking_goal_days: 2,
        walking_days_met: 0,
        active_days: 1,
        data_days: 1,
      },
    ],
  },
  {
    // Without a walking goal only a session makes a day active; steps still make a data day.
    name: 'Auckland, no walking goal',
    zone: 'Pacific/Auckland',
    startDate: '2026-03-02',
    walkingGoal: false,
    until: '2026-03-08',
    sessions: [...times('2026-03-03', 3, '+13:00'), ['2026-03-04T18:00:00+13:00', 'weekly']],
    pains: ['2026-03-05T09:00:00+13:00'],
    steps: [['2026-03-02', 9000]],
    weeks: [
      {
        week_start: '2026-03-02',
        prescribed_sessions: 7 * 3 + 2,
        completed_sessions: 3 + 1,
        walking_goal_days: 0,
        walking_days_met: 0,
        active_days: 2,
        data_days: 4,
      },
    ],
  },
  {
    // Paused on Wednesday afternoon, lifted just after midnight into Saturday (Friday in UTC);
    // paused again on Tuesday evening of the current week, still on hold.
    name: 'Paris, a program on hold: nothing due on its days',
    zone: 'Europe/Paris',
    startDate: '2026-03-02',
    walkingGoal: true,
    until: '2026-03-18',
    holds: [
      ['2026-03-04T14:00:00Z', '2026-03-06T23:30:00Z'], // Wednesday 15:00 to Saturday 00:30
      ['2026-03-17T19:00:00Z', null], // Tuesday 20:00, open
    ],
    sessions: [
      ...times('2026-03-02', 3, '+01:00'),
      ...times('2026-03-03', 2, '+01:00'),
      ['2026-03-03T18:00:00+01:00', 'weekly'],
      ...times('2026-03-04', 1, '+01:00'), // before the pause, the same day: not counted
      ...times('2026-03-05', 3, '+01:00'), // on hold: not counted
      ['2026-03-06T18:00:00+01:00', 'weekly'], // on hold: not counted
      ...times('2026-03-08', 3, '+01:00'),
      ['2026-03-08T19:00:00+01:00', 'weekly'],
      ...times('2026-03-09', 3, '+01:00'),
      ...times('2026-03-16', 3, '+01:00'),
      ['2026-03-16T19:00:00+01:00', 'weekly'],
      ...times('2026-03-17', 3, '+01:00'), // the day the second hold began: not counted
    ],
    pains: [],
    steps: [
      ['2026-03-05', 5000], // on hold: still walking, still active and at the goal
      ['2026-03-08', 1000],
    ],
    weeks: [
      {
        // Off hold: Monday, Tuesday, Sunday. The weekly item fits in the 3 days left: 2.
        week_start: '2026-03-02',
        prescribed_sessions: 3 * 3 + 2,
        completed_sessions: 3 + 2 + 3 + 2,
        walking_goal_days: 7,
        walking_days_met: 1,
        active_days: 6,
        data_days: 6,
      },
      {
        week_start: '2026-03-09',
        prescribed_sessions: 7 * 3 + 2,
        completed_sessions: 3,
        walking_goal_days: 7,
        walking_days_met: 0,
        active_days: 1,
        data_days: 1,
      },
      {
        // Counted Monday to Wednesday; on hold from Tuesday for the rest of the week, so the
        // weekly item is due on the one day left.
        week_start: '2026-03-16',
        prescribed_sessions: 1 * 3 + 1,
        completed_sessions: 3 + 1,
        walking_goal_days: 3,
        walking_days_met: 0,
        active_days: 2,
        data_days: 2,
      },
    ],
  },
];

/** The domain's weeks as the rows the SQL writes. */
function asRows(weeks: readonly CountedWeekFigures[]): Week[] {
  return weeks.map(({ weekStart, figures: f }) => ({
    week_start: weekStart,
    prescribed_sessions: f.exercise.prescribed,
    completed_sessions: f.exercise.completed,
    walking_goal_days: f.walking?.days ?? 0,
    walking_days_met: f.walking?.daysMet ?? 0,
    active_days: f.activeDays,
    data_days: f.dataDays,
  }));
}

/** The weeks the SQL writes from `from` (its $3) to `until` (its $4), from the domain. */
function domainWeeks(
  input: AdherenceInput,
  settings: AdherenceSettings,
  from: LocalDay,
  until: LocalDay,
): Week[] {
  return asRows(weeklyFiguresOf(input, settings, { from, to: until }));
}

// ---------------------------------------------------------------------------------------------
// Properties: the statement against weeklyFiguresOf on generated records. CI runs a fixed seed;
// elsewhere each run draws a new one, printed by fast-check when a property fails so that it can
// be replayed with ADHERENCE_WEEKS_SEED.
// ---------------------------------------------------------------------------------------------
const RUNS = Number(process.env.ADHERENCE_WEEKS_RUNS ?? 200);
const SEED = process.env.ADHERENCE_WEEKS_SEED
  ? Number(process.env.ADHERENCE_WEEKS_SEED)
  : process.env.CI
    ? 20261216
    : undefined;
const params = { numRuns: RUNS, seed: SEED };

/** Patients of one generated batch at most: the batch shares $3, each has its own $4 and $5. */
const BATCH_PATIENTS = 4;
/** Days of records around a batch's first day: five weeks, and a week either side. */
const WINDOW_DAYS = 35;
// Zones whose local days the holds are read in: DST both ways, a date-line one, a half-hour DST
// shift, quarter-hour offsets, and a DST change at midnight (Santiago).
const ZONES = [
  'Pacific/Auckland',
  'America/Los_Angeles',
  'Europe/Paris',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Asia/Kathmandu',
  'America/Santiago',
  'UTC',
];
const PROGRAM_CODES = ['prone_press_up', 'knee_to_chest', 'lumbar_stabilization', 'bird_dog'];
/** What a session may log: the program's exercises, and one it does not prescribe. */
const LOGGED_CODES = [...PROGRAM_CODES, 'glute_bridge'];

interface GeneratedPatient {
  zone: string;
  /** Offsets in days from the batch's first day. */
  start: number;
  until: number;
  goal: number | null;
  activePercent: number;
  items: { code: string; timesPerDay: number | null; daysPerWeek: number | null }[];
  sessions: { day: number; codes: string[] }[];
  pains: number[];
  steps: { day: number; steps: number }[];
  /** Minutes from the batch's first local midnight; the last may still be open. */
  holds: { from: number; to: number | null }[];
}

interface GeneratedBatch {
  first: LocalDay;
  /** $3, as an offset from `first`: the day whose week is the first recomputed. */
  weeksFrom: number;
  patients: GeneratedPatient[];
}

const dayArb = fc.integer({ min: -7, max: WINDOW_DAYS + 7 });

// Daily items (a few rounds, now and then many), weekly items (1–7 days, as the API allows;
// above 7, which no CHECK refuses, the statement caps daysPerWeek at the week's days only in a
// program with a hold, the domain always), and items with neither (a catalog default without
// a frequency), each exercise at most once.
const itemsArb = fc.uniqueArray(
  fc.record({
    code: fc.constantFrom(...PROGRAM_CODES),
    frequency: fc.oneof(
      fc.record({
        timesPerDay: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 12 })),
        daysPerWeek: fc.constant(null),
      }),
      fc.record({ timesPerDay: fc.constant(null), daysPerWeek: fc.integer({ min: 1, max: 7 }) }),
      fc.constant({ timesPerDay: null, daysPerWeek: null }),
    ),
  }),
  { selector: (i) => i.code, maxLength: PROGRAM_CODES.length },
);

// Several sessions on a day (rounds beyond the day's due are capped), sessions logging several
// exercises, one outside the program, or none at all.
const sessionsArb = fc
  .array(
    fc.record({
      day: dayArb,
      count: fc.integer({ min: 1, max: 4 }),
      codes: fc.subarray(LOGGED_CODES),
    }),
    { maxLength: 30 },
  )
  .map((runs) => runs.flatMap(({ day, count, codes }) => Array(count).fill({ day, codes })));

/** Steps at the thresholds that decide a day (the goal, the active share) or anywhere. */
const stepsKindArb = fc.oneof(
  fc.integer({ min: 0, max: 20000 }),
  fc.constantFrom('goal', 'below goal', 'active', 'below active', 'zero'),
);

function stepsOf(kind: number | string, goal: number | null, percent: number): number {
  if (typeof kind === 'number') return kind;
  const active = Math.ceil(((goal ?? 4000) * percent) / 100);
  switch (kind) {
    case 'goal':
      return goal ?? 4000;
    case 'below goal':
      return (goal ?? 4000) - 1;
    case 'active':
      return active;
    case 'below active':
      return Math.max(0, active - 1);
    default:
      return 0;
  }
}

const holdsArb = fc
  .record({
    closed: fc.array(
      fc.record({
        from: fc.integer({ min: -7 * 1440, max: (WINDOW_DAYS + 7) * 1440 }),
        minutes: fc.integer({ min: 0, max: 9 * 1440 }),
      }),
      { maxLength: 2 },
    ),
    open: fc.option(fc.integer({ min: -7 * 1440, max: (WINDOW_DAYS + 7) * 1440 }), { nil: null }),
  })
  .map(({ closed, open }) => [
    ...closed.map(({ from, minutes }) => ({ from, to: from + minutes })),
    ...(open === null ? [] : [{ from: open, to: null }]),
  ]);

const patientArb: fc.Arbitrary<GeneratedPatient> = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    start: fc.integer({ min: -10, max: WINDOW_DAYS }),
    until: fc.integer({ min: -3, max: WINDOW_DAYS + 3 }),
    goal: fc.option(fc.oneof(fc.constant(4000), fc.integer({ min: 100, max: 50000 })), {
      nil: null,
    }),
    activePercent: fc.oneof(fc.constant(50), fc.integer({ min: 1, max: 100 })),
    items: itemsArb,
    sessions: sessionsArb,
    pains: fc.array(dayArb, { maxLength: 8 }),
    steps: fc.uniqueArray(fc.record({ day: dayArb, kind: stepsKindArb }), {
      selector: (d) => d.day,
      maxLength: 30,
    }),
    holds: holdsArb,
  })
  .map(({ items, steps, ...p }) => ({
    ...p,
    items: items.map(({ code, frequency }) => ({ code, ...frequency })),
    steps: steps.map(({ day, kind }) => ({ day, steps: stepsOf(kind, p.goal, p.activePercent) })),
  }));

const batchArb: fc.Arbitrary<GeneratedBatch> = fc.record({
  // Any weekday of 2026, so that weeks, DST changes and the year's end fall anywhere.
  first: fc.integer({ min: 0, max: 364 }).map((n) => addDays('2026-01-01', n)),
  weeksFrom: fc.integer({ min: -7, max: WINDOW_DAYS }),
  patients: fc.array(patientArb, { minLength: 1, maxLength: BATCH_PATIENTS }),
});

describe('weekly adherence in SQL (ADHERENCE_WEEKS_SQL) against the domain functions', () => {
  let t: TestApp;
  let c: Clinic;
  const ids = new Map<string, string>();
  let inputs: PatientAdherenceInput[];

  const idOf = (p: PatientCase) => ids.get(p.name) as string;
  const inputOf = (p: PatientCase) =>
    (inputs.find((i) => i.patientId === idOf(p)) as PatientAdherenceInput).input;

  /** The weekly SQL over every case, with this active-day share (%) for each patient. */
  async function runSql(percent: (p: PatientCase) => number): Promise<void> {
    await t.db.query(ADHERENCE_WEEKS_SQL, [
      CASES.map(() => c.org.id),
      CASES.map(idOf),
      FROM,
      CASES.map((p) => p.until),
      CASES.map(percent),
    ]);
  }

  const storedWeeks = async (p: PatientCase): Promise<Week[]> =>
    t.db.query<Week[]>(
      `SELECT week_start::text AS week_start, prescribed_sessions, completed_sessions, walking_goal_days,
              walking_days_met, active_days, data_days
       FROM adherence_weeks WHERE organization_id = $1 AND patient_id = $2 ORDER BY week_start`,
      [c.org.id, idOf(p)],
    );

  const versions = async () =>
    t.db.query<{ patient_id: string; week_start: string; v: string }[]>(
      `SELECT patient_id, week_start::text AS week_start, xmin::text AS v
       FROM adherence_weeks ORDER BY patient_id, week_start`,
    );

  beforeAll(async () => {
    await space.setUp();
    t = await createTestApp(env);
    c = await seedClinic(t.http);
    const f = factory(t.http);
    for (const p of CASES) {
      const patient = await f.patient(c.adminKey, {
        clinicianId: c.clinician.id,
        timezone: p.zone,
      });
      ids.set(p.name, patient.id);
      await t.http
        .post(`/v1/patients/${patient.id}/programs`)
        .set(bearer(c.clinicianKey))
        .send({
          startDate: p.startDate,
          items: [
            { exerciseCode: 'prone_press_up', timesPerDay: 3 },
            { exerciseCode: 'lumbar_stabilization', daysPerWeek: 2 },
          ],
          ...(p.walkingGoal ? { walkingGoal: { dailySteps: GOAL } } : {}),
        })
        .expect(201);
      await t.db.query(
        `INSERT INTO program_holds (organization_id, program_id, status, reason, started_at, ended_at)
         SELECT pr.organization_id, pr.id, 'paused', 'NEW_LEG_PAIN', h.started::timestamptz, h.ended::timestamptz
         FROM programs pr, unnest($3::text[], $4::text[]) AS h(started, ended)
         WHERE pr.organization_id = $1 AND pr.patient_id = $2 AND pr.superseded_at IS NULL`,
        [
          c.org.id,
          patient.id,
          (p.holds ?? []).map(([start]) => start),
          (p.holds ?? []).map(([, end]) => end),
        ],
      );
      // The local day as the API derives it: the instant in the patient's zone.
      await t.db.query(
        `INSERT INTO sessions (organization_id, patient_id, client_ref, request_hash, performed_at, local_date, items)
         SELECT $1, $2, 'seed-' || s.n, '\\x00', s.at::timestamptz, (s.at::timestamptz AT TIME ZONE $3)::date, s.items::jsonb
         FROM unnest($4::text[], $5::text[]) WITH ORDINALITY AS s(at, items, n)`,
        [
          c.org.id,
          patient.id,
          p.zone,
          p.sessions.map(([at]) => at),
          p.sessions.map(([, kind]) => JSON.stringify(ITEMS[kind])),
        ],
      );
      await t.db.query(
        `INSERT INTO pain_reports (organization_id, patient_id, client_ref, reported_at, local_date, intensity,
                                   most_distal_site, context)
         SELECT $1, $2, 'pain-' || r.n, r.at::timestamptz, (r.at::timestamptz AT TIME ZONE $3)::date, 3, 'buttock', 'baseline'
         FROM unnest($4::text[]) WITH ORDINALITY AS r(at, n)`,
        [c.org.id, patient.id, p.zone, p.pains],
      );
      await t.db.query(
        `INSERT INTO activity_daily (organization_id, patient_id, local_date, steps, active_minutes, manual_steps, sample_count, sources)
         SELECT $1, $2, d.day::date, d.steps, 0, 0, 1, '[]' FROM unnest($3::text[], $4::int[]) AS d(day, steps)`,
        [c.org.id, patient.id, p.steps.map(([day]) => day), p.steps.map(([, steps]) => steps)],
      );
    }
    await runSql(() => SETTINGS.activeDayStepPercent);
    inputs = await t.app.get(AdherenceInputsRepository).load(
      CASES.map((p) => ({ organizationId: c.org.id, patientId: idOf(p) })),
      '2026-02-23',
      '2026-03-22',
    );
  }, 60_000);

  afterAll(async () => {
    try {
      await t?.close();
    } finally {
      await space.tearDown();
    }
  });

  it('loads every patient of the batch with the seeded local days', () => {
    expect(inputs).toHaveLength(CASES.length);
    // The Sunday 23:30 PDT session is Sunday's, the Monday 00:15 NZDT one Monday's.
    const la = inputOf(CASES[1]);
    expect(la.sessions.filter((s) => s.localDate === '2026-03-08')).toHaveLength(1);
    const akl = inputOf(CASES[0]);
    expect(
      akl.sessions.filter(
        (s) => s.localDate === '2026-03-09' && s.items[0].exerciseCode === 'lumbar_stabilization',
      ),
    ).toHaveLength(1);
  });

  it('loads the holds as patient-local days, the open one without an end', () => {
    expect(inputOf(CASES[3]).program.holds).toEqual([
      { from: '2026-03-04', to: '2026-03-07' },
      { from: '2026-03-17', to: null },
    ]);
    expect(inputOf(CASES[0]).program.holds).toEqual([]);
  });

  it.each(CASES)('$name: each week equals the hand count and the domain figures', async (p) => {
    expect(await storedWeeks(p)).toEqual(p.weeks);
    expect(domainWeeks(inputOf(p), SETTINGS, FROM, p.until)).toEqual(p.weeks);
  });

  it('counts a week cut by the start from the start, unlike weeklyFigures over all seven days', () => {
    // The Los Angeles program starts on Thursday: weeklyFigures would prescribe Monday to
    // Wednesday too and count the rounds and the stabilization done before the start.
    const la = CASES[1];
    const whole = weeklyFigures(inputOf(la), SETTINGS, '2026-03-02');
    expect(whole.exercise).toMatchObject({ prescribed: 7 * 3 + 2, completed: 3 + 3 + 1 + 2 });
    expect(whole.dataDays).toBe(6);
    // The SQL row: 4 days of rounds plus the weekly item whole, only Friday's stabilization.
    expect(la.weeks[0]).toMatchObject({ prescribed_sessions: 4 * 3 + 2, completed_sessions: 5 });
    // And the range functions over the counted days agree with it, day by day.
    const counted = { from: la.startDate, to: '2026-03-08' };
    const days = inputOf(la);
    expect(exerciseAdherence(days, counted)).toMatchObject({ prescribed: 12, completed: 4 });
    expect(activeDays(days, SETTINGS, counted)).toEqual(['2026-03-05', '2026-03-06', '2026-03-08']);
    expect(dataDays(days, counted)).toEqual(eachDay(counted));
  });

  it('changes no row when run again over the same records', async () => {
    const before = await versions();
    expect(before).toHaveLength(CASES.reduce((n, p) => n + p.weeks.length, 0));
    await runSql(() => SETTINGS.activeDayStepPercent);
    expect(await versions()).toEqual(before);
  });

  it('rewrites a row that differs from the records, and only that one', async () => {
    const akl = CASES[0];
    await t.db.query(
      `UPDATE adherence_weeks SET completed_sessions = 0
       WHERE patient_id = $1 AND week_start = '2026-03-09'`,
      [idOf(akl)],
    );
    const before = await versions();
    await runSql(() => SETTINGS.activeDayStepPercent);
    const after = await versions();
    expect(await storedWeeks(akl)).toEqual(akl.weeks);
    const changed = after.filter((row, i) => row.v !== before[i].v);
    expect(changed.map((r) => [r.patient_id, r.week_start])).toEqual([[idOf(akl), '2026-03-09']]);
  });

  it("takes each patient's active-day share of the walking goal (their organization's)", async () => {
    const strict = { ...SETTINGS, activeDayStepPercent: 80 };
    // Every other patient of the batch keeps the default.
    const settingsOf = (p: PatientCase) => (CASES.indexOf(p) % 2 === 1 ? strict : SETTINGS);
    await runSql((p) => settingsOf(p).activeDayStepPercent);
    for (const p of CASES) {
      expect(await storedWeeks(p)).toEqual(domainWeeks(inputOf(p), settingsOf(p), FROM, p.until));
    }
    // 2000 steps on Wednesday 2026-03-11 no longer make the day active (3200 needed).
    expect((await storedWeeks(CASES[1]))[1].active_days).toBe(4);
  });

  it('gives the flags the same input when only recent sessions carry their doses', async () => {
    // Press-ups twice a day, held 10 s towards 30 s: a long history at 5 s, then the last
    // sessions at 10 s on several days (HOLD_PROGRESSION_READY), among rounds that log no hold.
    const f = factory(t.http);
    const patient = await f.patient(c.adminKey, { clinicianId: c.clinician.id, timezone: 'UTC' });
    await t.http
      .post(`/v1/patients/${patient.id}/programs`)
      .set(bearer(c.clinicianKey))
      .send({
        startDate: '2026-02-02',
        items: [
          { exerciseCode: 'prone_press_up', timesPerDay: 2, holdSeconds: 10, holdGoalSeconds: 30 },
          { exerciseCode: 'lumbar_stabilization', daysPerWeek: 2 },
        ],
      })
      .expect(201);
    const held = (hold: number) =>
      JSON.stringify([{ exerciseCode: 'prone_press_up', sets: 1, reps: 10, holdSeconds: hold }]);
    const rows: [string, string][] = [];
    for (const day of eachDay({ from: '2026-02-02', to: '2026-03-15' })) {
      rows.push([`${day}T08:00:00Z`, held(day < '2026-03-12' ? 5 : 10)]);
      rows.push([`${day}T12:00:00Z`, held(day < '2026-03-12' ? 5 : 10)]);
      rows.push([`${day}T18:00:00Z`, JSON.stringify([{ exerciseCode: 'lumbar_stabilization' }])]);
    }
    await t.db.query(
      `INSERT INTO sessions (organization_id, patient_id, client_ref, request_hash, performed_at, local_date, items)
       SELECT $1, $2, 'dose-' || s.n, '\\x00', s.at::timestamptz, (s.at::timestamptz)::date, s.items::jsonb
       FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS s(at, items, n)`,
      [c.org.id, patient.id, rows.map(([at]) => at), rows.map(([, items]) => items)],
    );
    const ref = [{ organizationId: c.org.id, patientId: patient.id }];
    const today = '2026-03-16';
    const inputsRepository = t.app.get(AdherenceInputsRepository);
    const [full] = await inputsRepository.load(ref, '2026-02-02', today);
    const [light] = await inputsRepository.load(ref, '2026-02-02', today, {
      recentItems: progressionSessionsRead(SETTINGS),
    });
    // The sessions are the newest of each item that can progress (the press-ups, held 10 s
    // towards 30 s; not the stabilization, which has no goal), with their doses; every session
    // of the range is in sessionDays as its exercise codes.
    const newest = (code: string) =>
      full.input.sessions
        .filter((x) => x.items.some((i) => i.exerciseCode === code))
        .sort((a, b) => b.performedAt.getTime() - a.performedAt.getTime())
        .slice(0, progressionSessionsRead(SETTINGS))
        .map((x) => x.id);
    expect(light.input.sessions.map((x) => x.id).sort()).toEqual(newest('prone_press_up').sort());
    expect(
      light.input.sessions.filter((x) => x.items.some((i) => 'holdSeconds' in i)),
    ).toHaveLength(progressionSessionsRead(SETTINGS));
    const days = light.input.sessionDays ?? [];
    expect(days.flatMap((d) => d.sessions)).toHaveLength(full.input.sessions.length);
    expect(days.find((d) => d.localDate === '2026-03-12')?.sessions).toEqual(
      expect.arrayContaining([
        { exerciseCodes: ['prone_press_up'] },
        { exerciseCodes: ['lumbar_stabilization'] },
      ]),
    );
    const flags = evaluateProgressionFlags(full.input, SETTINGS, today);
    expect(flags.map((x) => x.flag)).toContain('HOLD_PROGRESSION_READY');
    expect(evaluateProgressionFlags(light.input, SETTINGS, today)).toEqual(flags);
    expect(remoteMonitoringEligibility(light.input, '2026-02-14')).toEqual(
      remoteMonitoringEligibility(full.input, '2026-02-14'),
    );
  });
  describe('against weeklyFiguresOf on generated records (properties)', () => {
    const pool: string[] = [];

    beforeAll(async () => {
      // Patients without a program: each generated batch gives them one, in a transaction
      // that is rolled back, so the weeks above never see them.
      for (let i = 0; i < BATCH_PATIENTS; i++) pool.push(randomUUID());
      await t.db.query(
        `INSERT INTO patients (id, organization_id, external_ref, timezone, clinician_id)
         SELECT id, $1, 'weeks-property-' || n, 'UTC', $2 FROM unnest($3::uuid[]) WITH ORDINALITY AS p(id, n)`,
        [c.org.id, c.clinician.id, pool],
      );
    });

    /** The SQL's Monday of each day, in order. */
    const sqlMondays = async (days: readonly LocalDay[]): Promise<LocalDay[]> =>
      (
        await t.db.query<{ monday: LocalDay }[]>(
          `SELECT (${sqlMondayOf('u.day')})::text AS monday
           FROM unnest($1::date[]) WITH ORDINALITY AS u(day, n) ORDER BY u.n`,
          [days],
        )
      ).map((r) => r.monday);

    it("finds mondayOf's Monday for every day of 2024–2031 and for days of any year", async () => {
      const days = eachDay({ from: '2024-01-01', to: '2031-12-31' });
      expect(await sqlMondays(days)).toEqual(days.map(mondayOf));
      const anyDay = fc
        .date({
          min: new Date('0001-01-01T00:00:00Z'),
          max: new Date('9999-12-31T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString().slice(0, 10));
      await fc.assert(
        fc.asyncProperty(fc.array(anyDay, { minLength: 1, maxLength: 50 }), async (sample) => {
          expect(await sqlMondays(sample)).toEqual(sample.map(mondayOf));
        }),
        params,
      );
    });

    /**
     * Writes the batch's programs and records, runs the statement for it, and gives each
     * patient's rows as written and as weeklyFiguresOf computes them from the records loaded
     * as the patient endpoint loads them and as the worker's flags do (sessionDays); all in a
     * transaction that is then rolled back.
     */
    async function weeksOfBatch(
      batch: GeneratedBatch,
    ): Promise<{ sql: PatientWeek[]; domain: PatientWeek[]; fromSessionDays: PatientWeek[] }[]> {
      const { first, patients } = batch;
      const ids = pool.slice(0, patients.length);
      const day = (offset: number) => addDays(first, offset);
      const until = patients.map((p) => day(p.until));
      const weeksFrom = day(batch.weeksFrom);
      const runner = t.db.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      try {
        const m = runner.manager;
        const programIds = patients.map(() => randomUUID());
        const each = <T>(f: (p: GeneratedPatient, i: number) => T[]) => patients.flatMap(f);
        await m.query(
          `UPDATE patients p SET timezone = t.zone FROM unnest($1::uuid[], $2::text[]) AS t(id, zone)
           WHERE p.id = t.id`,
          [ids, patients.map((p) => p.zone)],
        );
        await m.query(
          `INSERT INTO programs (id, organization_id, patient_id, version, start_date, walking_goal_daily_steps)
           SELECT id, $1, patient_id, 1, start_date, goal
           FROM unnest($2::uuid[], $3::uuid[], $4::date[], $5::int[]) AS p(id, patient_id, start_date, goal)`,
          [
            c.org.id,
            programIds,
            ids,
            patients.map((p) => day(p.start)),
            patients.map((p) => p.goal),
          ],
        );
        const items = each((p, i) =>
          p.items.map((item, k) => ({ program: programIds[i], position: k + 1, ...item })),
        );
        await m.query(
          `INSERT INTO program_items (organization_id, program_id, position, exercise_code, times_per_day, days_per_week)
           SELECT $1, program_id, position, code, times_per_day, days_per_week
           FROM unnest($2::uuid[], $3::int[], $4::text[], $5::int[], $6::int[])
             AS i(program_id, position, code, times_per_day, days_per_week)`,
          [
            c.org.id,
            items.map((i) => i.program),
            items.map((i) => i.position),
            items.map((i) => i.code),
            items.map((i) => i.timesPerDay),
            items.map((i) => i.daysPerWeek),
          ],
        );
        // Instants from the batch's first local midnight in the patient's zone: where a hold
        // starts and ends is the patient's local day, as the worker and the endpoint read it.
        const holds = each((p, i) => {
          const midnight = localDayBounds(first, p.zone).start.getTime();
          const at = (minutes: number) => new Date(midnight + minutes * 60_000).toISOString();
          return p.holds.map((h) => ({
            program: programIds[i],
            from: at(h.from),
            to: h.to === null ? null : at(h.to),
          }));
        });
        await m.query(
          `INSERT INTO program_holds (organization_id, program_id, status, reason, started_at, ended_at)
           SELECT $1, program_id, 'paused', 'NEW_LEG_PAIN', started_at, ended_at
           FROM unnest($2::uuid[], $3::timestamptz[], $4::timestamptz[]) AS h(program_id, started_at, ended_at)`,
          [c.org.id, holds.map((h) => h.program), holds.map((h) => h.from), holds.map((h) => h.to)],
        );
        const sessions = each((p, i) =>
          p.sessions.map((s) => ({
            patient: ids[i],
            zone: p.zone,
            day: day(s.day),
            items: JSON.stringify(s.codes.map((exerciseCode) => ({ exerciseCode }))),
          })),
        );
        await m.query(
          `INSERT INTO sessions (organization_id, patient_id, client_ref, request_hash, performed_at, local_date, items)
           SELECT $1, patient_id, 'property-' || n, '\\x00', (day + time '12:00') AT TIME ZONE zone, day, items::jsonb
           FROM unnest($2::uuid[], $3::text[], $4::date[], $5::text[]) WITH ORDINALITY AS s(patient_id, zone, day, items, n)`,
          [
            c.org.id,
            sessions.map((s) => s.patient),
            sessions.map((s) => s.zone),
            sessions.map((s) => s.day),
            sessions.map((s) => s.items),
          ],
        );
        const pains = each((p, i) => p.pains.map((d) => ({ patient: ids[i], day: day(d) })));
        await m.query(
          `INSERT INTO pain_reports (organization_id, patient_id, client_ref, reported_at, local_date, intensity,
                                     most_distal_site, context)
           SELECT $1, patient_id, 'property-' || n, day, day, 3, 'low_back', 'baseline'
           FROM unnest($2::uuid[], $3::date[]) WITH ORDINALITY AS r(patient_id, day, n)`,
          [c.org.id, pains.map((r) => r.patient), pains.map((r) => r.day)],
        );
        const steps = each((p, i) =>
          p.steps.map((d) => ({ patient: ids[i], day: day(d.day), steps: d.steps })),
        );
        await m.query(
          `INSERT INTO activity_daily (organization_id, patient_id, local_date, steps, active_minutes, manual_steps, sample_count, sources)
           SELECT $1, patient_id, day, steps, 0, 0, 1, '[]' FROM unnest($2::uuid[], $3::date[], $4::int[]) AS d(patient_id, day, steps)`,
          [
            c.org.id,
            steps.map((d) => d.patient),
            steps.map((d) => d.day),
            steps.map((d) => d.steps),
          ],
        );

        await m.query(ADHERENCE_WEEKS_SQL, [
          ids.map(() => c.org.id),
          ids,
          weeksFrom,
          until,
          patients.map((p) => p.activePercent),
        ]);
        const written = await m.query<PatientWeek[]>(
          `SELECT patient_id, week_start::text AS week_start, prescribed_sessions, completed_sessions,
                  walking_goal_days, walking_days_met, active_days, data_days
           FROM adherence_weeks WHERE organization_id = $1 AND patient_id = ANY($2::uuid[])
           ORDER BY week_start`,
          [c.org.id, ids],
        );
        // Every record the weeks can count: from the first Monday to the latest last day.
        const refs = ids.map((patientId) => ({ organizationId: c.org.id, patientId }));
        const loadFrom = mondayOf(weeksFrom);
        const loadTo = [...until].sort().reverse()[0];
        const inputsRepository = t.app.get(AdherenceInputsRepository);
        const full = await inputsRepository.load(refs, loadFrom, loadTo, {}, m);
        const light = await inputsRepository.load(refs, loadFrom, loadTo, { recentItems: 3 }, m);
        const inputOfPatient = (loaded: PatientAdherenceInput[], id: string) =>
          (loaded.find((l) => l.patientId === id) as PatientAdherenceInput).input;
        return patients.map((p, i) => {
          const settings = { ...SETTINGS, activeDayStepPercent: p.activePercent };
          const weeks = (input: AdherenceInput) =>
            domainWeeks(input, settings, weeksFrom, until[i]).map((w) => ({
              patient_id: ids[i],
              ...w,
            }));
          return {
            sql: written.filter((w) => w.patient_id === ids[i]),
            domain: weeks(inputOfPatient(full, ids[i])),
            fromSessionDays: weeks(inputOfPatient(light, ids[i])),
          };
        });
      } finally {
        await runner.rollbackTransaction();
        await runner.release();
      }
    }

    it('writes for each patient of a batch the weeks weeklyFiguresOf computes', async () => {
      let weeks = 0;
      await fc.assert(
        fc.asyncProperty(batchArb, async (batch) => {
          for (const { sql, domain, fromSessionDays } of await weeksOfBatch(batch)) {
            expect(sql).toEqual(domain);
            expect(fromSessionDays).toEqual(domain);
            weeks += sql.length;
          }
        }),
        params,
      );
      // The generated batches are not all empty: most patients have weeks to compare.
      expect(weeks).toBeGreaterThan(RUNS);
    });
  });
});
