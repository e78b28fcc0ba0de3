import {
  ADHERENCE_WEEKS_SQL,
  loadAdherenceInputs,
  type PatientAdherenceInput,
} from '@app/clinical';
import {
  activeDays,
  addDays,
  type AdherenceInput,
  type AdherenceSettings,
  dataDays,
  DEFAULT_ADHERENCE_SETTINGS,
  type DayRange,
  eachDay,
  evaluateProgressionFlags,
  exerciseAdherence,
  type LocalDay,
  remoteMonitoringEligibility,
  walkingAdherence,
  weeklyFigures,
  weeklyItemAdherence,
} from '@app/domain';
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

function mondayOf(day: LocalDay): LocalDay {
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay(); // 0 is Sunday
  return addDays(day, -((weekday + 6) % 7));
}

/** The input with only the records of the range's days. */
function recordsWithin(input: AdherenceInput, range: DayRange): AdherenceInput {
  const inRange = (r: { localDate: LocalDay }) =>
    r.localDate >= range.from && r.localDate <= range.to;
  return {
    program: input.program,
    sessions: input.sessions.filter(inRange),
    painReports: input.painReports.filter(inRange),
    dailySteps: input.dailySteps.filter(inRange),
  };
}

/**
 * The weeks the SQL writes, from the domain functions: from the week of `from` to `until`, each
 * over its days from the program's start to `until`. A whole week is `weeklyFigures` itself; a
 * week cut by the start or by `until` is built from the range functions over the counted days
 * (weeklyFigures would count all seven), with each weekly item prescribed whole and its days
 * done counted within the counted days.
 */
function domainWeeks(
  input: AdherenceInput,
  settings: AdherenceSettings,
  from: LocalDay,
  until: LocalDay,
): Week[] {
  const weeks: Week[] = [];
  for (let monday = mondayOf(from); monday <= until; monday = addDays(monday, 7)) {
    const sunday = addDays(monday, 6);
    const counted = {
      from: monday > input.program.startDate ? monday : input.program.startDate,
      to: sunday < until ? sunday : until,
    };
    if (counted.from > counted.to) continue;
    if (counted.from === monday && counted.to === sunday) {
      const f = weeklyFigures(input, settings, monday);
      weeks.push({
        week_start: monday,
        prescribed_sessions: f.exercise.prescribed,
        completed_sessions: f.exercise.completed,
        walking_goal_days: f.walking?.days ?? 0,
        walking_days_met: f.walking?.daysMet ?? 0,
        active_days: f.activeDays,
        data_days: f.dataDays,
      });
      continue;
    }
    const week = recordsWithin(input, counted);
    const rounds = exerciseAdherence(week, counted);
    // A daily item comes back with nothing prescribed and nothing completed.
    const weeklyItems = week.program.items.map((item) => weeklyItemAdherence(week, item, monday));
    const walking = walkingAdherence(week, counted);
    weeks.push({
      week_start: monday,
      prescribed_sessions: rounds.prescribed + weeklyItems.reduce((s, i) => s + i.prescribed, 0),
      completed_sessions: rounds.completed + weeklyItems.reduce((s, i) => s + i.completed, 0),
      walking_goal_days: walking?.days ?? 0,
      walking_days_met: walking?.daysMet ?? 0,
      active_days: activeDays(week, settings, counted).length,
      data_days: dataDays(week, counted).length,
    });
  }
  return weeks;
}

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
    inputs = await loadAdherenceInputs(
      t.db.manager,
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
    const days = recordsWithin(inputOf(la), counted);
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
    // Press-ups held 10 s towards 30 s: a long history at 5 s, then the last sessions at 10 s
    // on several days (HOLD_PROGRESSION_READY), among rounds that log no hold at all.
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
    const [full] = await loadAdherenceInputs(t.db.manager, ref, '2026-02-02', today);
    const [light] = await loadAdherenceInputs(t.db.manager, ref, '2026-02-02', today, {
      recentItems: SETTINGS.progressionSessions,
    });
    // The sessions are the newest of each item that can progress (the press-ups, held 10 s
    // towards 30 s; not the stabilization, which has no goal), with their doses; every session
    // of the range is in sessionDays as its exercise codes.
    const newest = (code: string) =>
      full.input.sessions
        .filter((x) => x.items.some((i) => i.exerciseCode === code))
        .sort((a, b) => b.performedAt.getTime() - a.performedAt.getTime())
        .slice(0, SETTINGS.progressionSessions)
        .map((x) => x.id);
    expect(light.input.sessions.map((x) => x.id).sort()).toEqual(newest('prone_press_up').sort());
    expect(
      light.input.sessions.filter((x) => x.items.some((i) => 'holdSeconds' in i)),
    ).toHaveLength(SETTINGS.progressionSessions);
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
});
