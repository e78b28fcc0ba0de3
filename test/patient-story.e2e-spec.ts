import { addDays, localDateOf } from '@app/domain';
import { createTestApp, TestApp } from './support/app';
import { bearer, Clinic, seedClinic } from './support/factories';

// Two weeks of one patient's home program, built from the seed documents: press-ups about
// every 2 hours with holds growing from 5 s; pain moving out of the leg (calf → thigh →
// buttock → low back); then a new foot pain; then a flare still there the next day.
const DAY_MS = 86_400_000;
const START = Math.floor(Date.now() / DAY_MS) * DAY_MS - 16 * DAY_MS;
const at = (day: number, hour: number, minute = 0) =>
  new Date(START + day * DAY_MS + (hour * 60 + minute) * 60_000).toISOString();

type Pain = { intensity: number; mostDistalSite: string; side?: string };

describe('a two-week patient story', () => {
  let t: TestApp;
  let c: Clinic;
  let programId: string;
  let n = 0;

  beforeAll(async () => {
    t = await createTestApp();
    c = await seedClinic(t.http);
  });
  afterAll(() => t.close());

  const session = async (day: number, hour: number, before: Pain, after: Pain, holdSeconds = 5) => {
    const res = await t.http
      .post(`/v1/patients/${c.patient.id}/sessions`)
      .set(bearer(c.appKey))
      .send({
        clientRef: `story-session-${++n}`,
        performedAt: at(day, hour),
        durationMinutes: 15,
        items: [
          { exerciseCode: 'prone_lying', durationMinutes: 2 },
          { exerciseCode: 'prone_press_up', reps: 10, holdSeconds },
        ],
        painBefore: before,
        painAfter: after,
      });
    expect(res.status).toBe(201);
    return res.body;
  };

  const painReport = async (day: number, hour: number, body: Record<string, unknown>) => {
    const res = await t.http
      .post(`/v1/patients/${c.patient.id}/pain-reports`)
      .set(bearer(c.appKey))
      .send({ clientRef: `story-report-${++n}`, reportedAt: at(day, hour), ...body });
    expect(res.status).toBe(201);
    return res.body;
  };

  const rules = (body: { findings: { rule: string }[] }) => body.findings.map((f) => f.rule).sort();
  const activeStatus = async () =>
    (
      await t.http
        .get(`/v1/patients/${c.patient.id}/programs/active`)
        .set(bearer(c.appKey))
        .expect(200)
    ).body.status;

  it('day 0: the clinician prescribes press-ups with a 5 s hold growing to 30 s', async () => {
    await t.http
      .patch(`/v1/patients/${c.patient.id}`)
      .set(bearer(c.adminKey))
      .send({ baselinePain: { intensity: 6, mostDistalSite: 'calf', side: 'right' } })
      .expect(200);
    const res = await t.http
      .post(`/v1/patients/${c.patient.id}/programs`)
      .set(bearer(c.clinicianKey))
      .send({
        startDate: at(0, 0).slice(0, 10),
        items: [
          { exerciseCode: 'prone_lying' },
          {
            exerciseCode: 'prone_press_up',
            holdSeconds: 5,
            holdGoalSeconds: 30,
            reps: 10,
            timesPerDay: 8,
          },
          { exerciseCode: 'walking' },
        ],
        walkingGoal: { dailySteps: 3000 },
      })
      .expect(201);
    expect(res.body).toMatchObject({ version: 1, status: 'active', restGapDays: 2 });
    expect(res.body.items.map((i: { exerciseCode: string }) => i.exerciseCode)).toEqual([
      'prone_lying',
      'prone_press_up',
      'walking',
    ]);
    programId = res.body.id;
    const baseline = await painReport(0, 7, {
      intensity: 6,
      mostDistalSite: 'calf',
      side: 'right',
      context: 'baseline',
    });
    expect(rules(baseline)).toEqual([]);
  });

  it('days 0–6: the pain centralizes from calf to thigh to buttock to low back', async () => {
    const first = await session(
      0,
      9,
      { intensity: 6, mostDistalSite: 'calf', side: 'right' },
      { intensity: 5, mostDistalSite: 'thigh', side: 'right' },
    );
    expect(rules(first)).toEqual(['CENTRALIZING']);
    expect(first.findings[0]).toMatchObject({ severity: 'positive', action: 'continue' });
    expect(first.findings[0].evidence).toMatchObject({
      comparedWith: 'before_session',
      reference: { mostDistalSite: 'calf', reportId: first.painBefore.id },
      report: { mostDistalSite: 'thigh', reportId: first.painAfter.id },
    });
    expect(first.program).toMatchObject({ id: programId, status: 'active' });

    const steady = await session(
      1,
      9,
      { intensity: 5, mostDistalSite: 'thigh', side: 'right' },
      { intensity: 5, mostDistalSite: 'thigh', side: 'right' },
    );
    expect(rules(steady)).toEqual([]);

    const buttock = await session(
      3,
      9,
      { intensity: 5, mostDistalSite: 'thigh', side: 'right' },
      { intensity: 4, mostDistalSite: 'buttock', side: 'right' },
    );
    expect(rules(buttock)).toEqual(['CENTRALIZING']);

    const lowBack = await session(
      5,
      9,
      { intensity: 4, mostDistalSite: 'buttock', side: 'right' },
      { intensity: 3, mostDistalSite: 'low_back' },
    );
    expect(rules(lowBack)).toEqual(['CENTRALIZING']);

    const quiet = await session(
      6,
      9,
      { intensity: 3, mostDistalSite: 'low_back' },
      { intensity: 2, mostDistalSite: 'low_back' },
      10,
    );
    expect(rules(quiet)).toEqual([]);
    expect(await activeStatus()).toBe('active');
  });

  it('day 7: the hold progresses to 10 s in a new program version; the old one is kept', async () => {
    const res = await t.http
      .post(`/v1/patients/${c.patient.id}/programs`)
      .set(bearer(c.clinicianKey))
      .send({
        startDate: at(7, 0).slice(0, 10),
        items: [
          { exerciseCode: 'prone_lying' },
          {
            exerciseCode: 'prone_press_up',
            holdSeconds: 10,
            holdGoalSeconds: 30,
            reps: 10,
            timesPerDay: 8,
          },
          { exerciseCode: 'walking' },
        ],
        walkingGoal: { dailySteps: 3300 },
      })
      .expect(201);
    expect(res.body).toMatchObject({
      version: 2,
      status: 'active',
      supersedesProgramId: programId,
    });
    const history = await t.http
      .get(`/v1/patients/${c.patient.id}/programs`)
      .set(bearer(c.clinicianKey))
      .expect(200);
    expect(
      history.body.data.map((p: { version: number; status: string }) => [p.version, p.status]),
    ).toEqual([
      [2, 'active'],
      [1, 'completed'],
    ]);
    programId = res.body.id;
  });

  it('day 8: a new pain in the other foot pauses the exercises until a clinician resumes them', async () => {
    const report = await painReport(8, 8, {
      intensity: 5,
      mostDistalSite: 'foot',
      side: 'left',
      context: 'before_session',
    });
    expect(rules(report)).toEqual(['NEW_LEG_PAIN', 'PERIPHERALIZATION']);
    for (const finding of report.findings) {
      expect(finding).toMatchObject({ severity: 'warning', action: 'pause_exercises' });
    }
    const periph = report.findings.find((f: { rule: string }) => f.rule === 'PERIPHERALIZATION');
    expect(periph.evidence).toMatchObject({
      comparedWith: 'previous_report',
      reference: { mostDistalSite: 'low_back' },
      report: { mostDistalSite: 'foot', reportId: report.id },
    });
    const newLeg = report.findings.find((f: { rule: string }) => f.rule === 'NEW_LEG_PAIN');
    expect(newLeg.evidence).toMatchObject({ newSides: ['left'] });
    expect(report.program).toMatchObject({
      id: programId,
      status: 'paused',
      statusReason: 'PERIPHERALIZATION',
    });
    expect(await activeStatus()).toBe('paused');

    // The app cannot lift the pause; another clinician cannot see the program; the patient's can.
    await t.http.post(`/v1/programs/${programId}/resume`).set(bearer(c.appKey)).expect(403);
    await t.http
      .post(`/v1/programs/${programId}/resume`)
      .set(bearer(c.otherClinicianKey))
      .expect(404);
    const resumed = await t.http
      .post(`/v1/programs/${programId}/resume`)
      .set(bearer(c.clinicianKey))
      .expect(200);
    expect(resumed.body).toMatchObject({ status: 'active', statusReason: 'resumed' });
    await t.http.post(`/v1/programs/${programId}/resume`).set(bearer(c.clinicianKey)).expect(409);
  });

  it('days 9–10: much worse after a session and still worse the next day suspends everything', async () => {
    const flareSession = await session(
      9,
      18,
      { intensity: 2, mostDistalSite: 'low_back' },
      { intensity: 5, mostDistalSite: 'low_back' },
      10,
    );
    // Before the session the pain was back in the low back (centralizing from yesterday's foot).
    expect(rules(flareSession)).toEqual(['CENTRALIZING', 'INCREASED_PAIN_AFTER_EXERCISE']);
    expect(
      flareSession.findings.find(
        (f: { rule: string }) => f.rule === 'INCREASED_PAIN_AFTER_EXERCISE',
      ),
    ).toMatchObject({
      severity: 'info',
      action: 'review_with_clinician',
    });
    expect(flareSession.program.status).toBe('active');

    // 22 hours later, within the 12–36 h next-day window.
    const nextDay = await painReport(10, 16, {
      intensity: 4,
      mostDistalSite: 'low_back',
      context: 'next_day',
    });
    expect(rules(nextDay)).toEqual(['PERSISTENT_FLARE']);
    expect(nextDay.findings[0]).toMatchObject({
      severity: 'warning',
      action: 'stop_all_exercises',
    });
    expect(nextDay.findings[0].evidence).toMatchObject({
      before: { intensity: 2, reportId: flareSession.painBefore.id },
      after: { intensity: 5, reportId: flareSession.painAfter.id },
      nextDay: { intensity: 4, reportId: nextDay.id },
      threshold: 2,
    });
    expect(nextDay.program).toMatchObject({
      status: 'suspended',
      statusReason: 'PERSISTENT_FLARE',
    });

    // A further peripheralization does not turn the suspension into a mere pause.
    const worse = await painReport(10, 18, {
      intensity: 4,
      mostDistalSite: 'buttock',
      context: 'before_session',
    });
    expect(rules(worse)).toContain('PERIPHERALIZATION');
    expect(worse.program.status).toBe('suspended');

    const resumed = await t.http
      .post(`/v1/programs/${programId}/resume`)
      .set(bearer(c.adminKey))
      .expect(200);
    expect(resumed.body.status).toBe('active');

    // Each hold is kept, from the status change to the resume: the pause of day 8, and this
    // suspension (the peripheralization during it did not open another).
    const holds = await t.db.query<
      { status: string; reason: string; started: Date; ended: boolean }[]
    >(
      `SELECT status, reason, started_at AS started, ended_at IS NOT NULL AS ended
       FROM program_holds WHERE program_id = $1 ORDER BY started_at`,
      [programId],
    );
    // Each from the report that called for it (the story's reports arrive days late), to the
    // resume.
    expect(holds).toEqual([
      { status: 'paused', reason: 'PERIPHERALIZATION', started: new Date(at(8, 8)), ended: true },
      {
        status: 'suspended',
        reason: 'PERSISTENT_FLARE',
        started: new Date(at(10, 16)),
        ended: true,
      },
    ]);
    // Both were lifted today: from day 8 to today nothing was due and no day was a rest day.
    const today = localDateOf(new Date(), c.patient.timezone);
    const day8 = localDateOf(new Date(at(8, 8)), c.patient.timezone);
    const adherence = await t.http
      .get(`/v1/patients/${c.patient.id}/adherence?from=${addDays(day8, -1)}&to=${today}`)
      .set(bearer(c.clinicianKey))
      .expect(200);
    const days = adherence.body.days as { onHold: boolean; prescribedSessions: number }[];
    expect(days[0]).toMatchObject({ onHold: false });
    expect(days[0].prescribedSessions).toBeGreaterThan(0);
    for (const day of days.slice(1)) {
      expect(day).toMatchObject({ onHold: true, prescribedSessions: 0 });
    }
  });

  it('day 11: a red-flag answer tells the app to send the patient to urgent care', async () => {
    const report = await painReport(11, 9, {
      intensity: 3,
      mostDistalSite: 'buttock',
      context: 'baseline',
      redFlags: { bladderBowelChange: true, saddleNumbness: false, fever: false },
    });
    const redFlag = report.findings.find(
      (f: { rule: string }) => f.rule === 'RED_FLAG_CAUDA_EQUINA',
    );
    expect(redFlag).toMatchObject({ severity: 'urgent', action: 'seek_urgent_care' });
    expect(redFlag.evidence).toMatchObject({ answeredYes: ['bladderBowelChange'] });
    expect(redFlag.message).toMatch(/urgent/i);
    // Red flags send the patient to care; they do not rewrite the prescription.
    expect(report.program.status).toBe('active');
  });

  it('kept every finding with its report', async () => {
    const rows = await t.db.query(
      `SELECT rule, count(*)::int AS n FROM findings WHERE patient_id = $1 GROUP BY rule ORDER BY rule`,
      [c.patient.id],
    );
    expect(rows).toEqual([
      { rule: 'CENTRALIZING', n: 4 },
      { rule: 'INCREASED_PAIN_AFTER_EXERCISE', n: 1 },
      { rule: 'NEW_LEG_PAIN', n: 1 },
      { rule: 'PERIPHERALIZATION', n: 2 },
      { rule: 'PERSISTENT_FLARE', n: 1 },
      { rule: 'RED_FLAG_CAUDA_EQUINA', n: 1 },
    ]);
  });
});
