import { randomUUID } from 'node:crypto';
import { AdherenceComputeService, WorklistComputeService } from '@app/adherence';
import { compareWorklist, WORKLIST_WEIGHTS, type WorklistBand } from '@app/domain';
import {
  AdherenceInputsRepository,
  AdherenceRepository,
  Db,
  RtmRepository,
  WorklistRepository,
} from '@app/persistence';
import { createTestApp, TestApp } from './support/app';
import { bearer, Clinic, factory, seedClinic } from './support/factories';

// The clinician worklist (docs/worklist.md): patients ranked by band, score and the
// longest-waiting urgent alert, each with its reasons, as the worker keeps it.
describe('clinician worklist', () => {
  let t: TestApp;
  let c: Clinic;
  let compute: AdherenceComputeService;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp();
    c = await seedClinic(t.http);
    // The worker's computation (not provided by the API), on the API's connections.
    compute = new AdherenceComputeService(
      t.app.get(AdherenceRepository),
      t.app.get(AdherenceInputsRepository),
      new WorklistComputeService(
        t.app.get(Db),
        t.app.get(WorklistRepository),
        t.app.get(RtmRepository),
        t.app.get(AdherenceRepository),
      ),
    );
    const f = factory(t.http);
    for (const name of ['urgentOld', 'urgentNew', 'held', 'unreviewed', 'screened', 'reviewed']) {
      ids[name] = (
        await f.patient(c.adminKey, { clinicianId: c.clinician.id, timezone: 'UTC' })
      ).id;
    }
  });
  afterAll(() => t.close());

  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
  const pain = (patientId: string, body: Record<string, unknown>) =>
    t.http
      .post(`/v1/patients/${patientId}/pain-reports`)
      .set(bearer(c.adminKey))
      .send({
        clientRef: randomUUID(),
        reportedAt: minutesAgo(30),
        intensity: 3,
        mostDistalSite: 'buttock',
        side: 'left',
        context: 'baseline',
        ...body,
      })
      .expect(201);
  const recompute = () =>
    compute.compute(
      [...Object.values(ids), c.patient.id, c.otherPatient.id].map((patientId) => ({
        organizationId: c.org.id,
        patientId,
      })),
      new Date(),
    );
  const list = async (key: string, query = '') =>
    (await t.http.get(`/v1/worklist${query}`).set(bearer(key)).expect(200)).body as {
      data: { patientId: string; band: string; score: number; reasons: { kind: string }[] }[];
      nextCursor: string | null;
    };
  const escalations = async () =>
    (
      await t.db.query(
        `SELECT payload->'data'->>'patientId' AS "patientId" FROM outbox
          WHERE organization_id = $1 AND event_type = 'worklist.escalated' ORDER BY created_at, id`,
        [c.org.id],
      )
    ).map((r: { patientId: string }) => r.patientId);

  it('ranks urgent, then attention, then routine by score; the longest-waiting urgent first', async () => {
    // Two urgent red flags, the older one first; a program paused by PERIPHERALIZATION.
    await pain(ids.urgentOld, { redFlags: { fever: true }, reportedAt: minutesAgo(50) });
    await pain(ids.urgentNew, { redFlags: { fever: true }, reportedAt: minutesAgo(40) });
    await t.http
      .post(`/v1/patients/${ids.held}/programs`)
      .set(bearer(c.adminKey))
      .send({ startDate: '2026-11-01', items: [{ exerciseCode: 'prone_press_up' }] })
      .expect(201);
    await pain(ids.held, { reportedAt: minutesAgo(20) });
    await pain(ids.held, { mostDistalSite: 'calf', reportedAt: minutesAgo(10) });
    // Enrolled 10 days ago and never reviewed; screened high risk; reviewed today.
    await t.db.query(`UPDATE patients SET created_at = now() - interval '10 days' WHERE id = $1`, [
      ids.unreviewed,
    ]);
    await t.http
      .post(`/v1/patients/${ids.screened}/questionnaires`)
      .set(bearer(c.adminKey))
      .send({
        instrument: 'startback',
        completedAt: minutesAgo(60),
        answers: {
          agree: [true, true, true, true, true, true, true, true],
          bothersomeness: 'extremely',
        },
      })
      .expect(201);
    await t.http
      .post(`/v1/patients/${ids.reviewed}/care-time`)
      .set(bearer(c.clinicianKey))
      .send({ startedAt: minutesAgo(5), minutes: 10, interactive: false, kind: 'data_review' })
      .expect(201);
    await recompute();

    const page = await list(c.clinicianKey, '?limit=100');
    const order = page.data.map((e) => e.patientId);
    const mine = [
      ids.urgentOld,
      ids.urgentNew,
      ids.held,
      ids.unreviewed,
      ids.screened,
      ids.reviewed,
    ];
    expect(order.filter((id) => mine.includes(id))).toEqual(mine);
    // The database's order is the domain's (compareWorklist) over the same entries.
    const asEntries = page.data.map((e) => {
      const urgent = (e.reasons as unknown as { kind: string; since: string }[])
        .filter((r) => r.kind === 'urgent_alert')
        .map((r) => new Date(r.since).getTime());
      return {
        ...e,
        band: e.band as WorklistBand,
        reasons: [],
        oldestUrgentAt: urgent.length ? new Date(Math.min(...urgent)) : null,
      };
    });
    expect([...asEntries].sort(compareWorklist).map((e) => e.patientId)).toEqual(order);
    const byId = new Map(page.data.map((e) => [e.patientId, e]));
    expect(byId.get(ids.urgentOld)).toMatchObject({
      band: 'urgent',
      score: WORKLIST_WEIGHTS.urgentAlert,
      reasons: [
        {
          kind: 'urgent_alert',
          since: expect.any(String),
          detail: { alertId: expect.any(String), rule: 'RED_FLAG_SYSTEMIC' },
        },
      ],
    });
    expect(byId.get(ids.held)).toMatchObject({ band: 'attention' });
    expect(byId.get(ids.held)!.reasons.map((r) => r.kind)).toEqual([
      'warning_alert',
      'program_on_hold',
    ]);
    expect(byId.get(ids.unreviewed)).toMatchObject({
      band: 'routine',
      score: WORKLIST_WEIGHTS.noReview,
      reasons: [
        { kind: 'no_review', since: expect.any(String), detail: { days: 10, lastReviewAt: null } },
      ],
    });
    expect(byId.get(ids.screened)).toMatchObject({
      score: WORKLIST_WEIGHTS.startBackHigh,
      reasons: [{ kind: 'startback', since: expect.any(String), detail: { stratum: 'high' } }],
    });
    expect(byId.get(ids.reviewed)).toMatchObject({ band: 'routine', score: 0, reasons: [] });
    // A clinician sees only its own patients; an admin the whole organization.
    expect(order).not.toContain(c.otherPatient.id);
    expect((await list(c.adminKey, '?limit=100')).data.map((e) => e.patientId)).toContain(
      c.otherPatient.id,
    );
    expect(
      (await list(c.adminKey, `?limit=100&clinicianId=${c.otherClinician.id}`)).data.map(
        (e) => e.patientId,
      ),
    ).toEqual([c.otherPatient.id]);
  });

  it('pages in rank order with no patient twice or left out, and refuses a forged cursor', async () => {
    const all = (await list(c.clinicianKey, '?limit=100')).data.map((e) => e.patientId);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(
        c.clinicianKey,
        `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      paged.push(...page.data.map((e) => e.patientId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all);
    for (const forged of [
      'not-a-cursor',
      Buffer.from(JSON.stringify([9, 0, 'infinity', randomUUID()])).toString('base64url'),
      Buffer.from(JSON.stringify([0, 0, "2026-01-01'; --", randomUUID()])).toString('base64url'),
      // A day that does not exist: refused by the API, never sent to PostgreSQL.
      Buffer.from(JSON.stringify([0, 0, '2026-02-30T00:00:00.000Z', randomUUID()])).toString(
        'base64url',
      ),
    ]) {
      await t.http.get(`/v1/worklist?cursor=${forged}`).set(bearer(c.clinicianKey)).expect(400);
    }
    await t.http
      .get(`/v1/worklist?clinicianId=${c.otherClinician.id}`)
      .set(bearer(c.clinicianKey))
      .expect(422);
    await t.http.get('/v1/worklist').set(bearer(c.appKey)).expect(403);
    await t.http.get('/v1/worklist').set(bearer(c.dashboardKey)).expect(403);
  });

  it('sends worklist.escalated once when a patient enters the urgent band', async () => {
    const before = await escalations();
    expect(before.filter((id: string) => id === ids.urgentOld)).toHaveLength(1);
    expect(before).not.toContain(ids.held);
    await recompute();
    expect((await escalations()).sort()).toEqual([...before].sort());
    await pain(ids.held, { redFlags: { saddleNumbness: true }, reportedAt: minutesAgo(1) });
    await recompute();
    const after = await escalations();
    expect(after).toHaveLength(before.length + 1);
    expect(after.filter((id: string) => id === ids.held)).toHaveLength(1);
    const [event] = await t.db.query(
      `SELECT payload FROM outbox WHERE event_type = 'worklist.escalated'
        AND payload->'data'->>'patientId' = $1`,
      [ids.held],
    );
    // Ids and the reasons' kinds only: nothing clinical leaves in the event.
    expect(event.payload).toEqual({
      type: 'worklist.escalated',
      timestamp: expect.any(String),
      data: {
        patientId: ids.held,
        band: 'urgent',
        score: expect.any(Number),
        reasons: expect.arrayContaining(['urgent_alert', 'warning_alert', 'program_on_hold']),
      },
    });
  });

  it('moves a reassigned patient: off the old list at once, on the new one at the next update', async () => {
    await t.http
      .patch(`/v1/patients/${ids.screened}`)
      .set(bearer(c.adminKey))
      .send({ clinicianId: c.otherClinician.id })
      .expect(200);
    const mine = async (key: string) =>
      (await list(key, '?limit=100')).data.map((e) => e.patientId);
    expect(await mine(c.clinicianKey)).not.toContain(ids.screened);
    // The change marked the patient for the worker.
    const marks = await t.db.query('SELECT 1 FROM adherence_dirty WHERE patient_id = $1', [
      ids.screened,
    ]);
    expect(marks.length).toBeGreaterThan(0);
    await recompute();
    expect(await mine(c.otherClinicianKey)).toContain(ids.screened);
    await t.http
      .patch(`/v1/patients/${ids.screened}`)
      .set(bearer(c.adminKey))
      .send({ clinicianId: c.clinician.id })
      .expect(200);
    await recompute();
    expect(await mine(c.clinicianKey)).toContain(ids.screened);
  });

  it('flags an RTM month at risk: data days short and no interactive contact yet', async () => {
    const today = new Date().toISOString().slice(0, 10);
    await t.http
      .post(`/v1/patients/${ids.reviewed}/rtm-episodes`)
      .set(bearer(c.clinicianKey))
      .send({ startDate: today })
      .expect(201);
    await recompute();
    const entry = (await list(c.clinicianKey, '?limit=100')).data.find(
      (e) => e.patientId === ids.reviewed,
    )!;
    const rtm = entry.reasons
      .filter((r) => r.kind === 'rtm_at_risk')
      .map((r) => (r as unknown as { detail: { shortfall: string } }).detail);
    expect(rtm.map((r) => r.shortfall)).toEqual(
      expect.arrayContaining(['data_days', 'interactive_contact']),
    );
    expect(entry.score).toBeGreaterThanOrEqual(2 * WORKLIST_WEIGHTS.rtmAtRisk);
    const rtmCounts = async () =>
      (await t.http.get('/v1/dashboard/adherence').set(bearer(c.dashboardKey)).expect(200)).body
        .rtm;
    // The dashboard counts patients per code met this month: none yet.
    expect(await rtmCounts()).toMatchObject({ month: today.slice(0, 7), code98979: 0 });
    // A 12-minute call after the 10 minutes of review logged earlier: 22 minutes with an
    // interactive contact, 98980 met (not 98979), and the contact's shortfall gone.
    await t.http
      .post(`/v1/patients/${ids.reviewed}/care-time`)
      .set(bearer(c.clinicianKey))
      .send({ startedAt: minutesAgo(2), minutes: 12, interactive: true, kind: 'call' })
      .expect(201);
    await recompute();
    expect(await rtmCounts()).toMatchObject({ code98979: 0, code98980: 1 });
    const after = (await list(c.clinicianKey, '?limit=100')).data.find(
      (e) => e.patientId === ids.reviewed,
    )!;
    expect(
      after.reasons
        .filter((r) => r.kind === 'rtm_at_risk')
        .map((r) => (r as unknown as { detail: { shortfall: string } }).detail.shortfall),
    ).not.toContain('interactive_contact');
  });
});
