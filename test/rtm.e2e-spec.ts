import { randomUUID } from 'node:crypto';
import { GRANT_CARE_SCOPES } from '../migrations/1763838000000-RemoteMonitoring';
import { createTestApp, TestApp } from './support/app';
import { bearer, Clinic, factory, seedClinic } from './support/factories';

// One patient's month of remote therapeutic monitoring, October 2026 in New York, from the
// episode to the claims CSV (docs/rtm.md); and the bad input the routes refuse.
describe('remote therapeutic monitoring: care time, episodes, ledger and claims', () => {
  let t: TestApp;
  let c: Clinic;
  let patientId: string;

  beforeAll(async () => {
    t = await createTestApp();
    c = await seedClinic(t.http);
    const f = factory(t.http);
    const patient = await f.patient(c.adminKey, {
      clinicianId: c.clinician.id,
      timezone: 'America/New_York',
    });
    patientId = patient.id;
  });
  afterAll(() => t.close());

  const session = (day: string) =>
    t.http
      .post(`/v1/patients/${patientId}/sessions`)
      .set(bearer(c.adminKey))
      .send({
        clientRef: randomUUID(),
        performedAt: `${day}T09:00:00-04:00`,
        items: [{ exerciseCode: 'prone_press_up', reps: 10 }],
      })
      .expect(201);
  const careTime = (body: Record<string, unknown>, key = c.clinicianKey) =>
    t.http
      .post(`/v1/patients/${patientId}/care-time`)
      .set(bearer(key))
      .send({
        minutes: 10,
        interactive: false,
        kind: 'data_review',
        ...body,
      });

  it('bills October: set-up, 16+ data days, 45 minutes with a call; the CSV has a line per code', async () => {
    const episode = await t.http
      .post(`/v1/patients/${patientId}/rtm-episodes`)
      .set(bearer(c.clinicianKey))
      .send({ startDate: '2026-10-01' })
      .expect(201);
    expect(episode.body).toMatchObject({ startDate: '2026-10-01', endDate: null });

    // 17 days with a session in the first period (Oct 1–30), 16 at least: 98977.
    for (let d = 1; d <= 17; d++) await session(`2026-10-${String(d).padStart(2, '0')}`);

    // 20 minutes of review, a 15-minute call, and 10 minutes at 23:30 on the 31st in New York
    // (already 1 November in UTC): 45 minutes in October with an interactive contact.
    await careTime({ startedAt: '2026-10-05T10:00:00-04:00', minutes: 20 }).expect(201);
    await careTime({
      startedAt: '2026-10-12T15:00:00-04:00',
      minutes: 15,
      interactive: true,
      kind: 'call',
    }).expect(201);
    const late = await careTime({
      startedAt: '2026-10-31T23:30:00-04:00',
      minutes: 10,
      kind: 'message',
    }).expect(201);
    expect(late.body.localDate).toBe('2026-10-31');
    // Logged twice by mistake: voided, it counts for nothing.
    const twice = await careTime({ startedAt: '2026-10-20T10:00:00-04:00', minutes: 30 }).expect(
      201,
    );
    await t.http
      .post(`/v1/care-time/${twice.body.id}/void`)
      .set(bearer(c.clinicianKey))
      .send({ reason: 'logged twice' })
      .expect(200);

    const listed = await t.http
      .get(`/v1/patients/${patientId}/care-time?month=2026-10`)
      .set(bearer(c.clinicianKey))
      .expect(200);
    expect(listed.body.data.map((e: { minutes: number }) => e.minutes)).toEqual([20, 15, 30, 10]);
    expect(listed.body.data[2]).toMatchObject({ voidReason: 'logged twice' });

    const ledger = await t.http
      .get(`/v1/patients/${patientId}/rtm?month=2026-10`)
      .set(bearer(c.clinicianKey))
      .expect(200);
    const code = (name: string) =>
      (ledger.body.codes as { code: string; met: boolean }[]).filter((x) => x.code === name);
    expect(code('98975')).toEqual([expect.objectContaining({ met: true })]);
    expect(code('98977')).toEqual([
      expect.objectContaining({
        met: true,
        period: { index: 0, from: '2026-10-01', to: '2026-10-30', closed: true },
        evidence: expect.objectContaining({ dataDayCount: 17 }),
      }),
    ]);
    expect(code('98980')).toEqual([expect.objectContaining({ met: true, units: 1 })]);
    expect(code('98981')).toEqual([expect.objectContaining({ met: true, units: 1 })]);
    expect(code('98979')).toEqual([expect.objectContaining({ met: false })]);
    expect(ledger.body.ledger.treatment.totalMinutes).toBe(45);
    expect(ledger.body.ledger.treatment.minutesByClinician).toEqual([
      { clinicianId: c.clinician.id, minutes: 45 },
    ]);

    const claims = await t.http
      .get('/v1/rtm/claims?month=2026-10')
      .set(bearer(c.adminKey))
      .expect(200);
    const ours = claims.body.data.filter((l: { patientId: string }) => l.patientId === patientId);
    expect(
      ours.map((l: { code: string; units: number; dateOfService: string }) => [
        l.code,
        l.units,
        l.dateOfService,
      ]),
    ).toEqual([
      // Met on the first period's second data day.
      ['98975', 1, '2026-10-02'],
      ['98977', 1, '2026-10-30'],
      ['98980', 1, '2026-10-31'],
      ['98981', 1, '2026-10-31'],
    ]);

    const csv = await t.http
      .get('/v1/rtm/claims?month=2026-10')
      .set(bearer(c.adminKey))
      .set('Accept', 'text/csv')
      .expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'patient_id,external_ref,code,units,date_of_service,from,to,data_days,minutes,interactive_contacts',
    );
    const rows = lines.slice(1).filter((l) => l.startsWith(patientId));
    expect(rows.map((l) => l.split(',').slice(2, 5))).toEqual([
      ['98975', '1', '2026-10-02'],
      ['98977', '1', '2026-10-30'],
      ['98980', '1', '2026-10-31'],
      ['98981', '1', '2026-10-31'],
    ]);
    expect(rows[3].split(',')[8]).toBe('45');

    // Every read and write of it is audited under the patient.
    const audited = await t.db.query(
      `SELECT DISTINCT action FROM audit_log WHERE patient_id = $1 ORDER BY action`,
      [patientId],
    );
    expect(audited.map((r: { action: string }) => r.action)).toEqual(
      expect.arrayContaining([
        'care_time.create',
        'care_time.list',
        'care_time.void',
        'rtm_episode.create',
        'rtm_ledger.read',
      ]),
    );
    const claimsAudit = await t.db.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE organization_id = $1 AND action = 'rtm_claims.read'`,
      [c.org.id],
    );
    expect(claimsAudit[0].n).toBe(2);
  });

  it('keeps logged time in its month when the patient moves to another time zone', async () => {
    const minutes = async () =>
      (
        await t.http
          .get(`/v1/patients/${patientId}/rtm?month=2026-10`)
          .set(bearer(c.clinicianKey))
          .expect(200)
      ).body.ledger.treatment.totalMinutes;
    expect(await minutes()).toBe(45);
    // In Paris the 23:30 entry of 31 October (New York) would be on 1 November.
    await t.http
      .patch(`/v1/patients/${patientId}`)
      .set(bearer(c.adminKey))
      .send({ timezone: 'Europe/Paris' })
      .expect(200);
    expect(await minutes()).toBe(45);
    await t.http
      .patch(`/v1/patients/${patientId}`)
      .set(bearer(c.adminKey))
      .send({ timezone: 'America/New_York' })
      .expect(200);
  });

  it('lists every shortfall of a treatment code: minutes and the interactive contact', async () => {
    const f = factory(t.http);
    const p = await f.patient(c.adminKey, { clinicianId: c.clinician.id, timezone: 'UTC' });
    const today = new Date().toISOString().slice(0, 10);
    await t.http
      .post(`/v1/patients/${p.id}/rtm-episodes`)
      .set(bearer(c.adminKey))
      .send({ startDate: today })
      .expect(201);
    await t.http
      .post(`/v1/patients/${p.id}/care-time`)
      .set(bearer(c.clinicianKey))
      .send({
        startedAt: new Date(Date.now() - 60_000).toISOString(),
        minutes: 4,
        interactive: false,
        kind: 'data_review',
      })
      .expect(201);
    const ledger = await t.http
      .get(`/v1/patients/${p.id}/rtm?month=${today.slice(0, 7)}`)
      .set(bearer(c.clinicianKey))
      .expect(200);
    const first = ledger.body.codes.find((x: { code: string }) => x.code === '98979');
    expect(first.missing.map((m: { kind: string; needed: number }) => [m.kind, m.needed])).toEqual(
      expect.arrayContaining([
        ['interactive_contact', 1],
        ['minutes', 6],
      ]),
    );
  });

  it('counts data days on New York local days, the night the clocks go back included', async () => {
    // 01:30 EDT, then 22:30 EST (already 2 November in UTC): both on 1 November in New York.
    for (const at of ['2026-11-01T05:30:00Z', '2026-11-02T03:30:00Z']) {
      await t.http
        .post(`/v1/patients/${patientId}/sessions`)
        .set(bearer(c.adminKey))
        .send({
          clientRef: randomUUID(),
          performedAt: at,
          items: [{ exerciseCode: 'prone_press_up', reps: 10 }],
        })
        .expect(201);
    }
    const november = await t.http
      .get(`/v1/patients/${patientId}/rtm?month=2026-11`)
      .set(bearer(c.clinicianKey))
      .expect(200);
    const period = november.body.ledger.devicePeriods.find((p: { index: number }) => p.index === 1);
    expect(period).toMatchObject({ from: '2026-10-31', to: '2026-11-29' });
    expect(period.dataDays).toEqual(['2026-11-01']);
  });

  it('counts only exercise sessions as data days when the organization says so', async () => {
    const f = factory(t.http);
    const other = await f.patient(c.adminKey, { clinicianId: c.clinician.id, timezone: 'UTC' });
    await t.http
      .post(`/v1/patients/${other.id}/rtm-episodes`)
      .set(bearer(c.adminKey))
      .send({ startDate: '2026-09-01' })
      .expect(201);
    await t.http
      .post(`/v1/patients/${other.id}/sessions`)
      .set(bearer(c.adminKey))
      .send({
        clientRef: randomUUID(),
        performedAt: '2026-09-02T09:00:00Z',
        items: [{ exerciseCode: 'prone_press_up' }],
      })
      .expect(201);
    await t.http
      .post(`/v1/patients/${other.id}/pain-reports`)
      .set(bearer(c.adminKey))
      .send({
        clientRef: randomUUID(),
        reportedAt: '2026-09-03T09:00:00Z',
        intensity: 3,
        mostDistalSite: 'low_back',
        context: 'baseline',
      })
      .expect(201);
    const period = async () =>
      (
        await t.http
          .get(`/v1/patients/${other.id}/rtm?month=2026-09`)
          .set(bearer(c.adminKey))
          .expect(200)
      ).body.ledger.devicePeriods[0];
    expect(await period()).toMatchObject({ dataDays: ['2026-09-02', '2026-09-03'], code: '98985' });

    const settings = await t.http
      .put('/v1/organization/settings')
      .set(bearer(c.adminKey))
      .send({ rules: {}, rtm: { dataDay: 'exercise' } })
      .expect(200);
    expect(settings.body.rtm).toEqual({ dataDay: 'exercise' });
    expect(await period()).toMatchObject({ dataDays: ['2026-09-02'], code: null });
    // A PUT without `rtm` keeps it.
    await t.http
      .put('/v1/organization/settings')
      .set(bearer(c.adminKey))
      .send({ rules: {} })
      .expect(200);
    const kept = await t.http.get('/v1/organization/settings').set(bearer(c.adminKey)).expect(200);
    expect(kept.body.rtm).toEqual({ dataDay: 'exercise' });
    await t.http
      .put('/v1/organization/settings')
      .set(bearer(c.adminKey))
      .send({ rules: {}, rtm: { dataDay: 'any' } })
      .expect(200);
  });

  it('the migration gives the care scopes to admin keys that manage the organization and clinician keys that read records', async () => {
    const other = await seedClinic(t.http);
    const narrow = async (role: string, scopes: string[], extra: object) =>
      (
        await t.http
          .post('/v1/api-keys')
          .set(bearer(other.adminKey))
          .send({ name: `${role} ${scopes.join(' ')}`, role, scopes, ...extra })
          .expect(201)
      ).body.id as string;
    const keys = {
      admin: await narrow('admin', ['org:manage'], {}),
      adminReader: await narrow('admin', ['aggregates:read'], {}),
      clinician: await narrow('clinician', ['records:read'], { clinicianId: other.clinician.id }),
      clinicianAlerts: await narrow('clinician', ['alerts:read'], {
        clinicianId: other.clinician.id,
      }),
      app: await narrow('app', ['records:read'], { clientAppId: other.clientApp.id }),
    };
    const ids = Object.values(keys);
    // As they were before the migration; granted twice, they get each scope once.
    await t.db.query(
      `UPDATE api_keys SET scopes = array_remove(array_remove(scopes, 'care:read'), 'care:write') WHERE id = ANY($1)`,
      [ids],
    );
    await t.db.query(`${GRANT_CARE_SCOPES} AND id = ANY($1)`, [ids]);
    await t.db.query(`${GRANT_CARE_SCOPES} AND id = ANY($1)`, [ids]);
    const rows: { id: string; scopes: string[] }[] = await t.db.query(
      `SELECT id, scopes FROM api_keys WHERE id = ANY($1)`,
      [ids],
    );
    const scopesOf = (id: string) => rows.find((r) => r.id === id)!.scopes;
    expect(scopesOf(keys.admin)).toEqual(['org:manage', 'care:read', 'care:write']);
    expect(scopesOf(keys.adminReader)).toEqual(['aggregates:read']);
    expect(scopesOf(keys.clinician)).toEqual(['records:read', 'care:read', 'care:write']);
    expect(scopesOf(keys.clinicianAlerts)).toEqual(['alerts:read']);
    expect(scopesOf(keys.app)).toEqual(['records:read']);
  });

  describe('bad input: a clear 4xx, nothing written', () => {
    const count = async () =>
      (
        await t.db.query(`SELECT count(*)::int AS n FROM care_time_entries WHERE patient_id = $1`, [
          patientId,
        ])
      )[0].n as number;

    it.each([
      ['0 minutes', { startedAt: '2026-11-02T10:00:00Z', minutes: 0 }, 'minutes'],
      ['121 minutes', { startedAt: '2026-11-02T10:00:00Z', minutes: 121 }, 'minutes'],
      ['a start in the future', { startedAt: '2030-01-01T10:00:00Z' }, 'startedAt'],
      ['a start without its offset', { startedAt: '2026-11-02T10:00:00' }, 'startedAt'],
      [
        'a message said to be interactive',
        { startedAt: '2026-11-02T10:00:00Z', interactive: true, kind: 'message' },
        'interactive',
      ],
      ['an unknown kind', { startedAt: '2026-11-02T10:00:00Z', kind: 'email' }, 'kind'],
      [
        'another clinician’s time from a clinician key',
        { startedAt: '2026-11-02T10:00:00Z', clinicianId: randomUUID() },
        'clinicianId',
      ],
    ])('%s: 422 naming the field', async (_name, body, field) => {
      const before = await count();
      const res = await careTime(body).expect(422);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await count()).toBe(before);
    });

    it('an admin must say whose time it was, and name a clinician of the organization', async () => {
      const before = await count();
      await careTime({ startedAt: '2026-11-02T10:00:00Z' }, c.adminKey).expect(422);
      await careTime(
        { startedAt: '2026-11-02T10:00:00Z', clinicianId: randomUUID() },
        c.adminKey,
      ).expect(422);
      expect(await count()).toBe(before);
      await careTime(
        { startedAt: '2026-11-02T10:00:00Z', clinicianId: c.otherClinician.id },
        c.adminKey,
      ).expect(201);
    });

    it('404 for a patient the clinician does not see; 409 voiding a voided entry', async () => {
      await t.http
        .post(`/v1/patients/${c.otherPatient.id}/care-time`)
        .set(bearer(c.clinicianKey))
        .send({ startedAt: '2026-11-02T10:00:00Z', minutes: 5, interactive: false, kind: 'call' })
        .expect(404);
      const entry = await careTime({ startedAt: '2026-11-03T10:00:00Z' }).expect(201);
      await t.http
        .post(`/v1/care-time/${entry.body.id}/void`)
        .set(bearer(c.clinicianKey))
        .send({ reason: 'wrong patient' })
        .expect(200);
      const again = await t.http
        .post(`/v1/care-time/${entry.body.id}/void`)
        .set(bearer(c.clinicianKey))
        .send({ reason: 'again' })
        .expect(409);
      expect(again.headers['content-type']).toMatch(/problem\+json/);
      await t.http
        .post(`/v1/care-time/${entry.body.id}/void`)
        .set(bearer(c.otherClinicianKey))
        .send({ reason: 'not mine' })
        .expect(404);
      await t.http
        .post(`/v1/care-time/${entry.body.id}/void`)
        .set(bearer(c.clinicianKey))
        .send({ reason: '' })
        .expect(422);
    });

    it('the log is append-only in the database too', async () => {
      const entry = await careTime({ startedAt: '2026-11-04T10:00:00Z' }).expect(201);
      await expect(
        t.db.query(`UPDATE care_time_entries SET minutes = 99 WHERE id = $1`, [entry.body.id]),
      ).rejects.toThrow(/append-only/);
      // The service's own role may not delete an entry at all.
      await expect(
        t.db.query(`DELETE FROM care_time_entries WHERE id = $1`, [entry.body.id]),
      ).rejects.toThrow(/permission denied/);
    });

    it('a month outside the episode, or malformed, is 422', async () => {
      // Before the episode, malformed, or after the patient's current month (the episode is open).
      const next = new Date();
      next.setUTCMonth(next.getUTCMonth() + 2, 1);
      for (const month of [
        '2026-09',
        '2026-13',
        '26-10',
        'october',
        next.toISOString().slice(0, 7),
      ]) {
        const res = await t.http
          .get(`/v1/patients/${patientId}/rtm?month=${month}`)
          .set(bearer(c.clinicianKey))
          .expect(422);
        expect(res.body.errors[0].field).toBe('month');
      }
    });

    it('episodes: one open at a time, none overlapping, none starting after today, ended once', async () => {
      await t.http
        .post(`/v1/patients/${patientId}/rtm-episodes`)
        .set(bearer(c.clinicianKey))
        .send({ startDate: '2026-11-15' })
        .expect(409);
      const [open] = (
        await t.http
          .get(`/v1/patients/${patientId}/rtm-episodes`)
          .set(bearer(c.clinicianKey))
          .expect(200)
      ).body.data;
      await t.http
        .post(`/v1/rtm-episodes/${open.id}/end`)
        .set(bearer(c.clinicianKey))
        .send({ endDate: '2026-09-30' })
        .expect(422);
      await t.http
        .post(`/v1/rtm-episodes/${open.id}/end`)
        .set(bearer(c.clinicianKey))
        .send({ endDate: '2026-11-20' })
        .expect(200);
      await t.http
        .post(`/v1/rtm-episodes/${open.id}/end`)
        .set(bearer(c.clinicianKey))
        .send({})
        .expect(409);
      // Overlapping the ended one: refused; the day after it: a new episode.
      await t.http
        .post(`/v1/patients/${patientId}/rtm-episodes`)
        .set(bearer(c.clinicianKey))
        .send({ startDate: '2026-11-20' })
        .expect(409);
      await t.http
        .post(`/v1/patients/${patientId}/rtm-episodes`)
        .set(bearer(c.clinicianKey))
        .send({ startDate: '2099-01-01' })
        .expect(422);
      await t.http
        .post(`/v1/patients/${patientId}/rtm-episodes`)
        .set(bearer(c.clinicianKey))
        .send({ startDate: '2026-11-21' })
        .expect(201);
    });
  });
});
