import { randomUUID } from 'node:crypto';
import { AdherenceComputeService, WorklistComputeService } from '@app/adherence';
import {
  AdherenceInputsRepository,
  AdherenceRepository,
  Db,
  RtmRepository,
  WorklistRepository,
} from '@app/persistence';
import { Clock } from '../apps/api/src/common/clock';
import { createTestApp, TestApp } from './support/app';
import { bearer, Clinic, factory, seedClinic } from './support/factories';

// A fixed fortnight in New York, around the switch to daylight time (Sunday 2025-03-09): the
// program starts on Wednesday 2025-03-05 with press-ups 3 rounds a day, a stabilization session
// 2 days a week and 6,000 steps a day.
const ZONE = 'America/New_York';
const PRESS_UP = [{ exerciseCode: 'prone_press_up', reps: 10, holdSeconds: 5 }];
const STABILIZATION = [{ exerciseCode: 'lumbar_stabilization', durationMinutes: 30 }];

describe('adherence, progression flags and the adherence dashboard', () => {
  let t: TestApp;
  let c: Clinic;
  let patientId: string;

  const get = (path: string, key: string) => t.http.get(path).set(bearer(key));

  const session = async (performedAt: string, items: object[] = PRESS_UP) => {
    await t.http
      .post(`/v1/patients/${patientId}/sessions`)
      .set(bearer(c.appKey))
      .send({ clientRef: randomUUID(), performedAt, items })
      .expect(201);
  };

  const stepsOn = async (organizationId: string, patient: string, day: string, steps: number) => {
    await t.db.query(
      `INSERT INTO activity_daily (organization_id, patient_id, local_date, steps, active_minutes, manual_steps, sample_count, sources)
       VALUES ($1, $2, $3, $4, 0, 0, 1, '[]')`,
      [organizationId, patient, day, steps],
    );
  };

  beforeAll(async () => {
    t = await createTestApp();
    c = await seedClinic(t.http);
    const f = factory(t.http);
    const patient = await f.patient(c.adminKey, { clinicianId: c.clinician.id, timezone: ZONE });
    patientId = patient.id;
    await f.enroll(c.adminKey, patientId, c.clientApp.id);
    await t.http
      .post(`/v1/patients/${patientId}/programs`)
      .set(bearer(c.clinicianKey))
      .send({
        startDate: '2025-03-05',
        items: [
          { exerciseCode: 'prone_press_up', timesPerDay: 3 },
          { exerciseCode: 'lumbar_stabilization', daysPerWeek: 2 },
        ],
        walkingGoal: { dailySteps: 6000 },
      })
      .expect(201);

    await session('2025-03-04T12:00:00-05:00'); // the day before the start
    await session('2025-03-05T09:00:00-05:00');
    await session('2025-03-05T13:00:00-05:00');
    for (const hour of ['08', '10', '12', '14']) await session(`2025-03-06T${hour}:00:00-05:00`);
    await session('2025-03-08T10:00:00-05:00', STABILIZATION);
    // 03:30 UTC on the 10th is still Sunday the 9th in New York (now UTC−4).
    await session('2025-03-10T03:30:00Z');
    for (const hour of ['08', '12', '16']) await session(`2025-03-11T${hour}:00:00-04:00`);
    await session('2025-03-11T18:00:00-04:00', STABILIZATION);
    await t.http
      .post(`/v1/patients/${patientId}/pain-reports`)
      .set(bearer(c.appKey))
      .send({
        clientRef: randomUUID(),
        reportedAt: '2025-03-07T10:00:00-05:00',
        intensity: 3,
        mostDistalSite: 'low_back',
        context: 'next_day',
      })
      .expect(201);
    await stepsOn(c.org.id, patientId, '2025-03-05', 6500);
    await stepsOn(c.org.id, patientId, '2025-03-06', 2000);
    await stepsOn(c.org.id, patientId, '2025-03-10', 3000);
  });
  afterAll(() => t.close());

  afterEach(() => jest.restoreAllMocks());

  describe('GET /v1/patients/{id}/adherence', () => {
    it('gives each local day its sessions due and done, steps, activity and data', async () => {
      const res = await get(
        `/v1/patients/${patientId}/adherence?from=2025-03-03&to=2025-03-11`,
        c.clinicianKey,
      ).expect(200);
      expect(res.body).toMatchObject({
        from: '2025-03-03',
        to: '2025-03-11',
        programStartDate: '2025-03-05',
      });
      const day = (date: string, figures: object) => ({ date, ...figures });
      const notDue = { prescribedSessions: 0, completedSessions: 0, exerciseAdherence: null };
      expect(res.body.days).toEqual([
        day('2025-03-03', {
          ...notDue,
          steps: null,
          stepGoalMet: null,
          active: false,
          onHold: false,
          dataDay: false,
        }),
        // Before the start nothing is due, but the session is still activity and data.
        day('2025-03-04', {
          ...notDue,
          steps: null,
          stepGoalMet: null,
          active: true,
          onHold: false,
          dataDay: true,
        }),
        day('2025-03-05', {
          prescribedSessions: 3,
          completedSessions: 2,
          exerciseAdherence: 2 / 3,
          steps: 6500,
          stepGoalMet: true,
          active: true,
          onHold: false,
          dataDay: true,
        }),
        // Four rounds logged, three due: capped at 100 %.
        day('2025-03-06', {
          prescribedSessions: 3,
          completedSessions: 3,
          exerciseAdherence: 1,
          steps: 2000,
          stepGoalMet: false,
          active: true,
          onHold: false,
          dataDay: true,
        }),
        // Only a pain report: data, but not activity, and no steps known.
        day('2025-03-07', {
          prescribedSessions: 3,
          completedSessions: 0,
          exerciseAdherence: 0,
          steps: null,
          stepGoalMet: false,
          active: false,
          onHold: false,
          dataDay: true,
        }),
        // The weekly stabilization session is no daily round, but an active day.
        day('2025-03-08', {
          prescribedSessions: 3,
          completedSessions: 0,
          exerciseAdherence: 0,
          steps: null,
          stepGoalMet: false,
          active: true,
          onHold: false,
          dataDay: true,
        }),
        day('2025-03-09', {
          prescribedSessions: 3,
          completedSessions: 1,
          exerciseAdherence: 1 / 3,
          steps: null,
          stepGoalMet: false,
          active: true,
          onHold: false,
          dataDay: true,
        }),
        // 3,000 steps is half the goal: active without a session.
        day('2025-03-10', {
          prescribedSessions: 3,
          completedSessions: 0,
          exerciseAdherence: 0,
          steps: 3000,
          stepGoalMet: false,
          active: true,
          onHold: false,
          dataDay: true,
        }),
        day('2025-03-11', {
          prescribedSessions: 3,
          completedSessions: 3,
          exerciseAdherence: 1,
          steps: null,
          stepGoalMet: false,
          active: true,
          onHold: false,
          dataDay: true,
        }),
      ]);
    });

    it('gives Monday weeks counted from the program’s start, weekly items included', async () => {
      const res = await get(
        `/v1/patients/${patientId}/adherence?from=2025-03-03&to=2025-03-11`,
        c.appKey,
      ).expect(200);
      expect(res.body.weeks).toEqual([
        {
          weekStart: '2025-03-03',
          // Wednesday to Sunday: 5 × 3 rounds and 2 stabilization days due; 6 rounds and 1 day done.
          daysCounted: 5,
          prescribedSessions: 17,
          completedSessions: 7,
          exerciseAdherence: 7 / 17,
          walkingAdherence: 1 / 5,
          activeDays: 4,
          dataDays: 5,
        },
        {
          weekStart: '2025-03-10',
          daysCounted: 2,
          prescribedSessions: 8,
          completedSessions: 4,
          exerciseAdherence: 0.5,
          walkingAdherence: 0,
          activeDays: 2,
          dataDays: 2,
        },
      ]);
    });

    it('starts the weeks on the Monday of `from`, before the first day listed', async () => {
      const res = await get(
        `/v1/patients/${patientId}/adherence?from=2025-03-08&to=2025-03-09`,
        c.adminKey,
      ).expect(200);
      expect(res.body.days.map((d: { date: string }) => d.date)).toEqual([
        '2025-03-08',
        '2025-03-09',
      ]);
      expect(res.body.weeks).toEqual([
        expect.objectContaining({ weekStart: '2025-03-03', completedSessions: 7, daysCounted: 5 }),
      ]);
    });

    it('defaults to the 28 local days ending on the patient’s today', async () => {
      // 03:00 UTC on the 12th is still the 11th in New York.
      jest.spyOn(t.app.get(Clock), 'now').mockReturnValue(new Date('2025-03-12T03:00:00Z'));
      const res = await get(`/v1/patients/${patientId}/adherence`, c.appKey).expect(200);
      expect(res.body).toMatchObject({ from: '2025-02-12', to: '2025-03-11' });
      expect(res.body.days).toHaveLength(28);
      expect(res.body.days[27]).toMatchObject({ date: '2025-03-11', completedSessions: 3 });
      expect(res.body.weeks.map((w: { weekStart: string }) => w.weekStart)).toEqual([
        '2025-03-03',
        '2025-03-10',
      ]);

      const tomorrow = await get(
        `/v1/patients/${patientId}/adherence?to=2025-03-12`,
        c.appKey,
      ).expect(422);
      expect(tomorrow.body.errors).toEqual([
        { field: 'to', message: expect.stringContaining('2025-03-11') },
      ]);
    });

    it('answers empty days and weeks for a patient without a program', async () => {
      const res = await get(
        `/v1/patients/${c.otherPatient.id}/adherence?from=2025-03-03&to=2025-03-11`,
        c.adminKey,
      ).expect(200);
      expect(res.body).toEqual({
        from: '2025-03-03',
        to: '2025-03-11',
        programStartDate: null,
        days: [],
        weeks: [],
      });
    });

    it.each([
      ['from=2025-02-30', 'from'],
      ['from=2025-3-01', 'from'],
      ['from=2025-03-10&to=2025-03-09', 'from'],
      ['from=2024-01-01&to=2025-03-01', 'to'],
      ['since=2025-03-01', 'since'],
    ])('refuses ?%s naming %s', async (query, field) => {
      const res = await get(`/v1/patients/${patientId}/adherence?${query}`, c.appKey).expect(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    });

    it('accepts a range of exactly 366 days', async () => {
      const res = await get(
        `/v1/patients/${patientId}/adherence?from=2024-03-11&to=2025-03-11`,
        c.appKey,
      ).expect(200);
      expect(res.body.days).toHaveLength(366);
    });

    it('hides another clinician’s patient, and refuses a dashboard key', async () => {
      await get(`/v1/patients/${c.otherPatient.id}/adherence`, c.clinicianKey).expect(404);
      await get(`/v1/patients/${patientId}/adherence`, c.otherClinicianKey).expect(404);
      await get(`/v1/patients/${patientId}/adherence`, c.otherAppKey).expect(404);
      await get(`/v1/patients/${patientId}/adherence`, c.dashboardKey).expect(403);
    });
  });

  describe('GET /v1/patients/{id}/flags', () => {
    it('answers no flags before the first computation', async () => {
      const res = await get(`/v1/patients/${c.otherPatient.id}/flags`, c.otherClinicianKey).expect(
        200,
      );
      expect(res.body).toEqual({ data: [], asOf: null, computedAt: null });
    });

    it('answers the flags of the last computation, with their evidence', async () => {
      const flags = [
        {
          flag: 'REST_GAP_EXCEEDED',
          since: '2025-03-07',
          evidence: { days: 3, from: '2025-03-07', to: '2025-03-09', restGapDays: 2 },
        },
        {
          flag: 'WALKING_GOAL_PROGRESSION',
          since: '2025-03-05',
          evidence: { goalSteps: 6000, daysMet: 5, suggestedDailySteps: 6600 },
        },
      ];
      await t.db.query(
        `INSERT INTO patient_progress (organization_id, patient_id, as_of, flags, data_days_30, remote_monitoring_code, computed_at)
         VALUES ($1, $2, '2025-03-11', $3, 9, '98985', '2025-03-12T04:00:00Z')`,
        [c.org.id, patientId, JSON.stringify(flags)],
      );
      const res = await get(`/v1/patients/${patientId}/flags`, c.appKey).expect(200);
      expect(res.body).toEqual({
        data: flags,
        asOf: '2025-03-11',
        computedAt: '2025-03-12T04:00:00.000Z',
      });
      await get(`/v1/patients/${patientId}/flags`, c.otherClinicianKey).expect(404);
      await get(`/v1/patients/${patientId}/flags`, c.dashboardKey).expect(403);
    });
  });

  describe('GET /v1/dashboard/adherence', () => {
    // A clinic of its own: Dr. Ana Ruiz has three patients (one with nothing prescribed),
    // Dr. Ben Okafor one. Weekly figures are written as the worker would.
    let d: {
      orgId: string;
      adminKey: string;
      dashboardKey: string;
      appKey: string;
      clinicianKey: string;
      ana: string;
      ben: string;
      patients: string[];
      externalRefs: string[];
    };

    const week = async (
      patient: string,
      weekStart: string,
      [prescribed, completed, goalDays, daysMet, activeDays, dataDays]: number[],
      organizationId = d.orgId,
    ) => {
      await t.db.query(
        `INSERT INTO adherence_weeks (organization_id, patient_id, week_start, prescribed_sessions, completed_sessions,
                                      walking_goal_days, walking_days_met, active_days, data_days)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          organizationId,
          patient,
          weekStart,
          prescribed,
          completed,
          goalDays,
          daysMet,
          activeDays,
          dataDays,
        ],
      );
    };

    const progress = async (patient: string, dataDays: number, code: string | null) => {
      await t.db.query(
        `INSERT INTO patient_progress (organization_id, patient_id, as_of, flags, data_days_30, remote_monitoring_code)
         VALUES ($1, $2, '2025-03-16', '[]', $3, $4)`,
        [d.orgId, patient, dataDays, code],
      );
    };

    beforeAll(async () => {
      const f = factory(t.http);
      const org = await f.organization();
      const [ana, ben, app] = await Promise.all([
        f.clinician(org.adminKey, { name: 'Dr. Ana Ruiz' }),
        f.clinician(org.adminKey, { name: 'Dr. Ben Okafor' }),
        f.clientApp(org.adminKey),
      ]);
      const [dashboardKey, appKey, clinicianKey] = await Promise.all([
        f.apiKey(org.adminKey, { role: 'dashboard' }),
        f.apiKey(org.adminKey, { role: 'app', clientAppId: app.id }),
        f.apiKey(org.adminKey, { role: 'clinician', clinicianId: ana.id }),
      ]);
      const externalRefs = ['DASH-1', 'DASH-2', 'DASH-3', 'DASH-4'];
      const patients: string[] = [];
      for (const [i, externalRef] of externalRefs.entries()) {
        const clinicianId = i < 3 ? ana.id : ben.id;
        patients.push((await f.patient(org.adminKey, { clinicianId, externalRef })).id);
      }
      d = {
        orgId: org.id,
        adminKey: org.adminKey,
        dashboardKey: dashboardKey.key,
        appKey: appKey.key,
        clinicianKey: clinicianKey.key,
        ana: ana.id,
        ben: ben.id,
        patients,
        externalRefs,
      };
      const [p1, p2, p3, p4] = patients;
      // Open alerts: Ana's patients one urgent and one warning (a third resolved), Ben's one warning.
      const raise = (patient: string, redFlags: object) =>
        f.painReport(d.adminKey, patient, { redFlags });
      await raise(p1, { fever: true });
      await raise(p2, { weightLoss: true });
      await raise(p3, { fever: true });
      await raise(p4, { nightPain: true });
      await t.db.query(`UPDATE alerts SET status = 'resolved' WHERE patient_id = $1`, [p3]);
      // The reports marked these patients for the worker; the weeks below are the test's own.
      await t.db.query('DELETE FROM adherence_dirty WHERE organization_id = $1', [d.orgId]);
      // [prescribed, completed, walking goal days, days met, active days, data days]
      await week(p1, '2025-02-24', [20, 0, 7, 0, 0, 0]); // before the range asked below
      await week(p1, '2025-03-03', [20, 20, 7, 7, 7, 7]);
      await week(p1, '2025-03-10', [20, 10, 7, 3, 5, 6]);
      await week(p2, '2025-03-03', [20, 16, 7, 0, 4, 4]);
      await week(p2, '2025-03-10', [20, 18, 0, 0, 6, 7]);
      await week(p3, '2025-03-03', [0, 0, 0, 0, 0, 2]);
      await week(p4, '2025-03-03', [10, 5, 7, 7, 5, 5]);
      await week(p4, '2025-03-10', [10, 9, 7, 7, 7, 7]);
      // Another organization's patient in the same week counts for that organization only.
      await week(c.patient.id, '2025-03-03', [20, 0, 7, 0, 0, 0], c.org.id);
      await progress(p1, 20, '98977');
      await progress(p2, 5, '98985');
      await progress(p4, 1, null);
      // STarT Back: p1 screened low, then high (its current stratum); p2 medium; p4 high;
      // p3 never; another organization's patient low (counted there only).
      const screen = (
        key: string,
        patient: string,
        hoursAgo: number,
        agree: number[],
        level: string,
      ) =>
        t.http
          .post(`/v1/patients/${patient}/questionnaires`)
          .set(bearer(key))
          .send({
            instrument: 'startback',
            completedAt: new Date(Date.now() - hoursAgo * 3_600_000).toISOString(),
            answers: {
              agree: Array.from({ length: 8 }, (_, i) => agree.includes(i + 1)),
              bothersomeness: level,
            },
          })
          .expect(201);
      await screen(d.adminKey, p1, 48, [1], 'slightly');
      await screen(d.adminKey, p1, 2, [1, 5, 6, 7], 'extremely');
      await screen(d.adminKey, p2, 5, [1, 2, 3, 5], 'slightly');
      await screen(d.adminKey, p4, 5, [5, 6, 7, 8], 'slightly');
      await screen(c.adminKey, c.patient.id, 5, [], 'slightly');
    });

    it('aggregates each week: patients, mean, median and share at 80 % of exercise adherence', async () => {
      const res = await get(
        '/v1/dashboard/adherence?from=2025-03-05&to=2025-03-16&groupBy=week',
        d.dashboardKey,
      ).expect(200);
      expect(res.body).toMatchObject({ groupBy: 'week', from: '2025-03-05', to: '2025-03-16' });
      expect(res.body.remoteMonitoring).toEqual({
        patients: 3,
        code98977: 1,
        code98985: 1,
        none: 1,
      });
      expect(res.body.openAlerts).toEqual({ warning: 2, urgent: 1 });
      expect(res.body.startBack).toEqual({ low: 0, medium: 1, high: 2 });
      const [first, second, ...rest] = res.body.data;
      expect(rest).toEqual([]);
      // Ratios 1, 0.8 and 0.5; the patient with nothing prescribed counts only in `patients`.
      expect(first).toEqual({
        weekStart: '2025-03-03',
        patients: 4,
        exerciseAdherence: {
          patients: 3,
          mean: expect.closeTo(2.3 / 3, 10),
          median: expect.closeTo(0.8, 10),
          shareAtLeast80Percent: expect.closeTo(2 / 3, 10),
        },
        walkingAdherence: { patients: 3, mean: expect.closeTo(2 / 3, 10) },
        dataDaysMean: 4.5,
      });
      expect(second).toEqual({
        weekStart: '2025-03-10',
        patients: 3,
        exerciseAdherence: {
          patients: 3,
          mean: expect.closeTo(2.3 / 3, 10),
          median: expect.closeTo(0.9, 10),
          shareAtLeast80Percent: expect.closeTo(2 / 3, 10),
        },
        walkingAdherence: { patients: 2, mean: expect.closeTo((3 / 7 + 1) / 2, 10) },
        dataDaysMean: expect.closeTo(20 / 3, 10),
      });
    });

    it('aggregates per clinician over the weeks of the range, each patient’s weeks added up first', async () => {
      const res = await get(
        '/v1/dashboard/adherence?from=2025-03-03&to=2025-03-16&groupBy=clinician',
        d.adminKey,
      ).expect(200);
      expect(res.body.data).toEqual([
        {
          clinician: { id: d.ana, name: 'Dr. Ana Ruiz' },
          patients: 3,
          // 30 of 40 and 34 of 40.
          exerciseAdherence: {
            patients: 2,
            mean: expect.closeTo(0.8, 10),
            median: expect.closeTo(0.8, 10),
            shareAtLeast80Percent: 0.5,
          },
          walkingAdherence: { patients: 2, mean: expect.closeTo(10 / 14 / 2, 10) },
          dataDaysMean: expect.closeTo(26 / 3, 10),
          remoteMonitoring: { patients: 2, code98977: 1, code98985: 1, none: 0 },
          openAlerts: { warning: 1, urgent: 1 },
        },
        {
          clinician: { id: d.ben, name: 'Dr. Ben Okafor' },
          patients: 1,
          exerciseAdherence: {
            patients: 1,
            mean: expect.closeTo(0.7, 10),
            median: expect.closeTo(0.7, 10),
            shareAtLeast80Percent: 0,
          },
          walkingAdherence: { patients: 1, mean: 1 },
          dataDaysMean: 12,
          remoteMonitoring: { patients: 1, code98977: 0, code98985: 0, none: 1 },
          openAlerts: { warning: 1, urgent: 0 },
        },
      ]);
    });

    it('never names a patient', async () => {
      for (const groupBy of ['week', 'clinician']) {
        const res = await get(
          `/v1/dashboard/adherence?from=2025-02-24&to=2025-03-16&groupBy=${groupBy}`,
          d.dashboardKey,
        ).expect(200);
        const text = JSON.stringify(res.body);
        for (const id of [...d.patients, ...d.externalRefs]) expect(text).not.toContain(id);
        expect(text).not.toMatch(/patientId|externalRef/);
      }
    });

    it('defaults to weeks by the 28 days ending today (UTC)', async () => {
      jest.spyOn(t.app.get(Clock), 'now').mockReturnValue(new Date('2025-03-12T03:00:00Z'));
      const res = await get('/v1/dashboard/adherence', d.dashboardKey).expect(200);
      expect(res.body).toMatchObject({ groupBy: 'week', from: '2025-02-13', to: '2025-03-12' });
      expect(res.body.data.map((g: { weekStart: string }) => g.weekStart)).toEqual([
        '2025-02-24',
        '2025-03-03',
        '2025-03-10',
      ]);
    });

    it('answers no groups for a range without figures', async () => {
      const res = await get(
        '/v1/dashboard/adherence?from=2024-01-01&to=2024-01-31&groupBy=clinician',
        d.dashboardKey,
      ).expect(200);
      expect(res.body.data).toEqual([]);
      expect(res.body.remoteMonitoring.patients).toBe(3);
    });

    it('is for dashboard and admin keys only, and audits every call without a patient', async () => {
      const audited = async (key: string, status: number) => {
        const requestId = `dashboard-${randomUUID()}`;
        await get('/v1/dashboard/adherence', key).set('x-request-id', requestId).expect(status);
        return t.db.query(
          'SELECT action, outcome, status, patient_id FROM audit_log WHERE request_id = $1',
          [requestId],
        );
      };
      expect(await audited(d.appKey, 403)).toEqual([
        { action: 'dashboard_adherence.read', outcome: 'forbidden', status: 403, patient_id: null },
      ]);
      expect(await audited(d.clinicianKey, 403)).toEqual([
        expect.objectContaining({ outcome: 'forbidden' }),
      ]);
      expect(await audited(d.dashboardKey, 200)).toEqual([
        { action: 'dashboard_adherence.read', outcome: 'success', status: 200, patient_id: null },
      ]);
      await t.http.get('/v1/dashboard/adherence').expect(401);
    });

    it.each([
      ['groupBy=patient', 'groupBy'],
      ['from=2025-13-01', 'from'],
      ['from=2025-03-10&to=2025-03-01', 'from'],
      ['from=2024-01-01&to=2025-03-01', 'to'],
      ['organizationId=x&clinicianId=y', 'clinicianId'],
    ])('refuses ?%s naming %s', async (query, field) => {
      const res = await get(`/v1/dashboard/adherence?${query}`, d.dashboardKey).expect(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    });
  });

  describe("an organization's adherence thresholds", () => {
    it('decide active days for the patient endpoint and the worker, and mark patients for recompute', async () => {
      // Two clinics, one patient each, the same records: from Thursday 2025-03-06 to Monday
      // 2025-03-10, 3,000 steps a day (half of the 6,000-step goal) and no session.
      const f = factory(t.http);
      const clinics = [await seedClinic(t.http), await seedClinic(t.http)];
      const patients: string[] = [];
      for (const clinic of clinics) {
        const p = await f.patient(clinic.adminKey, {
          clinicianId: clinic.clinician.id,
          timezone: ZONE,
        });
        await t.http
          .post(`/v1/patients/${p.id}/programs`)
          .set(bearer(clinic.clinicianKey))
          .send({
            startDate: '2025-03-06',
            items: [{ exerciseCode: 'prone_press_up', timesPerDay: 3 }],
            walkingGoal: { dailySteps: 6000 },
          })
          .expect(201);
        for (const day of ['2025-03-06', '2025-03-07', '2025-03-08', '2025-03-09', '2025-03-10'])
          await stepsOn(clinic.org.id, p.id, day, 3000);
        patients.push(p.id);
      }
      const [strict, lenient] = clinics;
      const activeOn10th = async (clinic: Clinic, patient: string) =>
        (
          await get(
            `/v1/patients/${patient}/adherence?from=2025-03-10&to=2025-03-10`,
            clinic.clinicianKey,
          ).expect(200)
        ).body.days[0].active;

      expect(await activeOn10th(strict, patients[0])).toBe(true);
      await t.db.query(`DELETE FROM adherence_dirty WHERE organization_id = ANY($1::uuid[])`, [
        clinics.map((cl) => cl.org.id),
      ]);
      const updated = await t.http
        .put('/v1/organization/settings')
        .set(bearer(strict.adminKey))
        .send({ rules: { activeDayStepPercent: 60, walkingIncreasePercent: 5 } })
        .expect(200);
      expect(updated.body).toMatchObject({
        overrides: { activeDayStepPercent: 60, walkingIncreasePercent: 5 },
        rules: { activeDayStepPercent: 60, walkingIncreasePercent: 5, legPainWorseDelta: 2 },
      });
      // Every patient of that organization, and only of that one, is due for recompute.
      const dirty = await t.db.query<{ patient_id: string }[]>(
        `SELECT DISTINCT patient_id FROM adherence_dirty WHERE organization_id = ANY($1::uuid[])`,
        [clinics.map((cl) => cl.org.id)],
      );
      expect(dirty.map((r) => r.patient_id).sort()).toEqual(
        [strict.patient.id, strict.otherPatient.id, patients[0]].sort(),
      );
      expect(await activeOn10th(strict, patients[0])).toBe(false);
      expect(await activeOn10th(lenient, patients[1])).toBe(true);

      // The worker computes both in one batch, each with its organization's threshold (its
      // service, which the API does not provide, here on the API's connections).
      const compute = new AdherenceComputeService(
        t.app.get(AdherenceRepository),
        t.app.get(AdherenceInputsRepository),
        new WorklistComputeService(
          t.app.get(Db),
          t.app.get(WorklistRepository),
          t.app.get(RtmRepository),
          t.app.get(AdherenceRepository),
        ),
      );
      await compute.compute(
        clinics.map((clinic, i) => ({ organizationId: clinic.org.id, patientId: patients[i] })),
        new Date('2025-03-11T12:00:00Z'),
      );
      const computed = await t.db.query<{ patient_id: string; active: number; flags: string[] }[]>(
        `SELECT w.patient_id, sum(w.active_days)::int AS active,
                (SELECT array_agg(f->>'flag') FROM patient_progress pp, jsonb_array_elements(pp.flags) f
                 WHERE pp.patient_id = w.patient_id) AS flags
         FROM adherence_weeks w WHERE w.patient_id = ANY($1::uuid[]) GROUP BY w.patient_id`,
        [patients],
      );
      const byPatient = new Map(computed.map((r) => [r.patient_id, r]));
      // Under 60 % none of the five days is active: a rest gap of five days.
      expect(byPatient.get(patients[0])).toMatchObject({ active: 0 });
      expect(byPatient.get(patients[0])?.flags).toContain('REST_GAP_EXCEEDED');
      expect(byPatient.get(patients[1])).toMatchObject({ active: 5 });
      expect(byPatient.get(patients[1])?.flags ?? []).not.toContain('REST_GAP_EXCEEDED');

      // Setting the same thresholds again changes nothing to recompute.
      await t.db.query(`DELETE FROM adherence_dirty WHERE organization_id = $1`, [strict.org.id]);
      await t.http
        .put('/v1/organization/settings')
        .set(bearer(strict.adminKey))
        .send({ rules: { activeDayStepPercent: 60, walkingIncreasePercent: 5 } })
        .expect(200);
      expect(
        await t.db.query(`SELECT 1 FROM adherence_dirty WHERE organization_id = $1`, [
          strict.org.id,
        ]),
      ).toHaveLength(0);
      await t.http
        .put('/v1/organization/settings')
        .set(bearer(strict.adminKey))
        .send({ rules: { activeDayStepPercent: 0 } })
        .expect(422);
    });
  });
});
