import { GRANT_OUTCOMES_WRITE } from '../migrations/1763827200000-Questionnaires';
import { AdherenceInputsRepository } from '@app/persistence';
import { createTestApp, TestApp } from './support/app';
import { bearer, Clinic, factory, seedClinic } from './support/factories';

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

describe('questionnaires: STarT Back, PSFS and ODI', () => {
  let t: TestApp;
  let c: Clinic;

  beforeAll(async () => {
    t = await createTestApp();
    c = await seedClinic(t.http);
  });
  afterAll(() => t.close());

  const post = (body: object, key = c.clinicianKey, patientId = c.patient.id) =>
    t.http.post(`/v1/patients/${patientId}/questionnaires`).set(bearer(key)).send(body);
  const stored = async (patientId = c.patient.id) =>
    (
      await t.db.query(`SELECT count(*)::int AS n FROM questionnaires WHERE patient_id = $1`, [
        patientId,
      ])
    )[0].n as number;

  const startBack = (agree: boolean[], bothersomeness: string) => ({
    instrument: 'startback',
    completedAt: hoursAgo(1),
    answers: { agree, bothersomeness },
  });
  // Items 1–4 are the physical items, 5–8 (and 9) the psychosocial subscale.
  const items = (physical: number, psychosocial: number) => [
    ...Array.from({ length: 4 }, (_, i) => i < physical),
    ...Array.from({ length: 4 }, (_, i) => i < psychosocial),
  ];

  it.each([
    ['total 3: low', items(3, 0), 'moderately', { total: 3, psychosocial: 0, stratum: 'low' }],
    [
      'total 3 with 3 psychosocial: still low',
      items(0, 3),
      'moderately',
      { total: 3, psychosocial: 3, stratum: 'low' },
    ],
    [
      'total 4, subscale 3: medium',
      items(1, 3),
      'slightly',
      { total: 4, psychosocial: 3, stratum: 'medium' },
    ],
    [
      'subscale 4 (item 9 "very much" counts): high',
      items(1, 3),
      'very_much',
      { total: 5, psychosocial: 4, stratum: 'high' },
    ],
    ['every item: high', items(4, 4), 'extremely', { total: 9, psychosocial: 5, stratum: 'high' }],
  ])('scores STarT Back at its strata: %s', async (_label, agree, bothersomeness, score) => {
    const res = await post(startBack(agree, bothersomeness)).expect(201);
    expect(res.body).toMatchObject({
      instrument: 'startback',
      patientId: c.patient.id,
      score,
      answers: { agree, bothersomeness },
      change: null,
    });
  });

  it('stores only the answers it scores, and the local day in the patient’s zone', async () => {
    // 23:30 UTC on 1 December is 23:30 in London: the day stays the 1st.
    const res = await post({
      instrument: 'odi',
      completedAt: '2026-12-01T23:30:00Z',
      answers: { sections: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], itemTexts: ['not stored'] },
    }).expect(201);
    expect(res.body.localDate).toBe('2026-12-01');
    const [row] = await t.db.query(`SELECT answers FROM questionnaires WHERE id = $1`, [
      res.body.id,
    ]);
    expect(row.answers).toEqual({ sections: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1] });
  });

  describe('changes against the first of the instrument', () => {
    let patientId: string;
    beforeAll(async () => {
      const res = await t.http
        .post('/v1/patients')
        .set(bearer(c.adminKey))
        .send({
          externalRef: `Q-${Date.now()}`,
          timezone: 'Europe/Paris',
          clinicianId: c.clinician.id,
        })
        .expect(201);
      patientId = res.body.id;
    });

    const psfs = (hours: number, activities: { name: string; score: number }[]) =>
      post(
        { instrument: 'psfs', completedAt: hoursAgo(hours), answers: { activities } },
        c.adminKey,
        patientId,
      );
    const odi = (hours: number, sections: (number | null)[]) =>
      post(
        { instrument: 'odi', completedAt: hoursAgo(hours), answers: { sections } },
        c.adminKey,
        patientId,
      );

    it('PSFS: the first has no change; a mean 2 points up is an improvement, 1.99 is not', async () => {
      const first = await psfs(100, [
        { name: 'Walking to the shop', score: 3 },
        { name: 'Sitting at work', score: 4 },
      ]).expect(201);
      expect(first.body.score).toEqual({ mean: 3.5 });
      expect(first.body.change).toBeNull();

      // Mean 5.5 (+2), each activity +2: by the mean only.
      const better = await psfs(50, [
        { name: 'walking  to the SHOP', score: 5 },
        { name: 'Sitting at work', score: 6 },
      ]).expect(201);
      expect(better.body.change).toMatchObject({
        firstId: first.body.id,
        difference: 2,
        meaningful: [{ direction: 'improved', by: 'mean', activities: [] }],
      });
      expect(better.body.findings).toMatchObject([
        {
          rule: 'FUNCTION_IMPROVED',
          severity: 'positive',
          action: 'continue',
          evidence: { firstQuestionnaireId: first.body.id, first: 3.5, now: 5.5, threshold: 2 },
        },
      ]);
      expect(first.body.findings).toEqual([]);

      // Mean +1.5, no activity 3 points away: nothing meaningful.
      const same = await psfs(40, [
        { name: 'Walking to the shop', score: 4 },
        { name: 'Sitting at work', score: 6 },
      ]).expect(201);
      expect(same.body.change).toMatchObject({ difference: 1.5, meaningful: [] });
      expect(same.body.findings).toEqual([]);

      // One activity 3 down, the mean only 1.5 down: worsened by that activity.
      const worse = await psfs(30, [
        { name: 'Walking to the shop', score: 0 },
        { name: 'Sitting at work', score: 4 },
      ]).expect(201);
      expect(worse.body.change).toMatchObject({
        difference: -1.5,
        meaningful: [
          {
            direction: 'worsened',
            by: 'activity',
            activities: [{ name: 'Walking to the shop', first: 3, now: 0 }],
          },
        ],
      });
      // For the clinician to review, not an alert (only a worse ODI is a warning).
      expect(worse.body.findings).toMatchObject([
        { rule: 'FUNCTION_WORSENED', severity: 'info', action: 'review_with_clinician' },
      ]);
      expect(
        await t.db.query(`SELECT 1 FROM alerts WHERE patient_id = $1`, [patientId]),
      ).toHaveLength(0);
    });

    it('ODI: blank sections are left out of the score; 10 points down is an improvement, 9.9 is not', async () => {
      // 20 of 9 answered sections × 5 = 44.4 %.
      const first = await odi(100, [3, 2, 2, 2, 2, 2, 2, 2, 3, null]).expect(201);
      expect(first.body.score).toEqual({ score: 44.4, answered: 9 });
      expect(first.body.change).toBeNull();

      // 17 / 50 = 34 %: 10.4 down.
      const better = await odi(50, [2, 2, 2, 2, 2, 2, 2, 1, 2, 0]).expect(201);
      expect(better.body.change).toMatchObject({
        firstId: first.body.id,
        difference: -10.4,
        meaningful: [{ direction: 'improved', by: 'score' }],
      });
      expect(better.body.findings).toMatchObject([
        { rule: 'DISABILITY_IMPROVED', severity: 'positive' },
      ]);
      // 7 of 4 answered sections × 5 = 35 %: 9.4 down, within the noise.
      const near = await odi(40, [2, 2, 1, 2, null, null, null, null, null, null]).expect(201);
      expect(near.body.change).toMatchObject({ difference: -9.4, meaningful: [] });
      expect(near.body.findings).toEqual([]);
      // 56 %: 11.6 up, worsened.
      const worse = await odi(30, [3, 3, 3, 3, 3, 3, 3, 3, 2, 2]).expect(201);
      expect(worse.body.change).toMatchObject({
        difference: 11.6,
        meaningful: [{ direction: 'worsened', by: 'score' }],
      });
      // A warning: an alert for the clinician, with its webhook event, in the same transaction.
      expect(worse.body.findings).toMatchObject([
        {
          rule: 'DISABILITY_WORSENED',
          severity: 'warning',
          action: 'contact_clinician',
          evidence: { first: 44.4, now: 56, difference: 11.6, threshold: 10 },
        },
      ]);
      const findingId = worse.body.findings[0].id;
      const alerts = async () =>
        t.db.query(
          `SELECT id, status, severity, finding_id, last_finding_id, finding_count FROM alerts
            WHERE patient_id = $1 AND rule = 'DISABILITY_WORSENED'`,
          [patientId],
        );
      const [alert] = await alerts();
      expect(alert).toMatchObject({
        status: 'open',
        severity: 'warning',
        finding_id: findingId,
        finding_count: 1,
      });
      const events = async () =>
        t.db.query(`SELECT payload FROM outbox WHERE payload->'data'->>'alertId' = $1`, [alert.id]);
      expect(await events()).toMatchObject([
        {
          payload: {
            type: 'alert.created',
            data: { patientId, rule: 'DISABILITY_WORSENED', severity: 'warning' },
          },
        },
      ]);
      const [finding] = await t.db.query(
        `SELECT questionnaire_id, pain_report_id FROM findings WHERE id = $1`,
        [findingId],
      );
      expect(finding).toEqual({ questionnaire_id: worse.body.id, pain_report_id: null });

      // Worse again: the open alert takes the finding; no second alert, no second event.
      const again = await odi(20, [4, 3, 3, 3, 3, 3, 3, 3, 2, 2]).expect(201);
      expect(again.body.findings).toMatchObject([{ rule: 'DISABILITY_WORSENED' }]);
      expect(await alerts()).toMatchObject([
        { id: alert.id, finding_count: 2, last_finding_id: again.body.findings[0].id },
      ]);
      expect(await events()).toHaveLength(1);
    });

    it('shows the STarT Back stratum of the screening completed last on the patient', async () => {
      const patient = () =>
        t.http.get(`/v1/patients/${patientId}`).set(bearer(c.clinicianKey)).expect(200);
      expect((await patient()).body.startBack).toBeNull();
      const later = await post(
        { ...startBack(items(1, 3), 'very_much'), completedAt: hoursAgo(2) },
        c.adminKey,
        patientId,
      ).expect(201);
      // Posted after, completed before: not the current one.
      await post(
        { ...startBack(items(1, 0), 'slightly'), completedAt: hoursAgo(20) },
        c.adminKey,
        patientId,
      ).expect(201);
      expect((await patient()).body.startBack).toEqual({
        questionnaireId: later.body.id,
        completedAt: later.body.completedAt,
        total: 5,
        psychosocial: 4,
        stratum: 'high',
      });
    });

    it('lists them by instrument, in the order recorded, a page at a time', async () => {
      const page1 = await t.http
        .get(`/v1/patients/${patientId}/questionnaires?instrument=odi&limit=3`)
        .set(bearer(c.clinicianKey))
        .expect(200);
      expect(page1.body.data).toHaveLength(3);
      expect(page1.body.data.every((q: { instrument: string }) => q.instrument === 'odi')).toBe(
        true,
      );
      const page2 = await t.http
        .get(
          `/v1/patients/${patientId}/questionnaires?instrument=odi&limit=3&cursor=${page1.body.nextCursor}`,
        )
        .set(bearer(c.clinicianKey))
        .expect(200);
      expect(page2.body).toMatchObject({ nextCursor: null });
      expect(page2.body.data).toHaveLength(2);
      const all = await t.http
        .get(`/v1/patients/${patientId}/questionnaires?limit=100`)
        .set(bearer(c.clinicianKey))
        .expect(200);
      expect(all.body.data).toHaveLength(11);
    });
  });

  describe('PERSISTENT_SYMPTOMS reads the ODI questionnaires', () => {
    // Symptoms for more than 4 months, pain unchanged since enrolment.
    const patientWithOnset = async () =>
      (
        await factory(t.http).patient(c.adminKey, {
          clinicianId: c.clinician.id,
          timezone: 'Europe/Paris',
          symptomOnsetDate: '2026-01-10',
          baselinePain: { intensity: 6, mostDistalSite: 'calf', side: 'left' },
        })
      ).id;
    const persistent = async (odiScores: number[]) => {
      const patientId = await patientWithOnset();
      // Sections of 5 points each: 5 × n of 50.
      for (const [i, score] of odiScores.entries()) {
        const fives = score / 10;
        await post(
          {
            instrument: 'odi',
            completedAt: hoursAgo(24 * (odiScores.length - i)),
            answers: { sections: Array.from({ length: 10 }, (_, s) => (s < fives ? 5 : 0)) },
          },
          c.adminKey,
          patientId,
        ).expect(201);
      }
      const report = await t.http
        .post(`/v1/patients/${patientId}/pain-reports`)
        .set(bearer(c.adminKey))
        .send({
          clientRef: `ps-${Date.now()}`,
          reportedAt: hoursAgo(1),
          intensity: 6,
          mostDistalSite: 'calf',
          side: 'left',
          context: 'baseline',
        })
        .expect(201);
      return report.body.findings.filter(
        (f: { rule: string }) => f.rule === 'PERSISTENT_SYMPTOMS',
      ) as { evidence: Record<string, unknown> }[];
    };

    it('does not suggest a specialist review when the ODI improved by 30 % or more', async () => {
      expect(await persistent([50, 40, 30])).toEqual([]);
    });

    it('still does when neither the pain nor the ODI improved enough, with the ODI as evidence', async () => {
      const found = await persistent([50, 40]);
      expect(found).toHaveLength(1);
      expect(found[0].evidence).toMatchObject({
        improvementPercent: 0,
        odi: { first: 50, latest: 40, improvementPercent: 20 },
      });
    });

    it('reads the ODI as it stood when the pain was reported, not a later one', async () => {
      const id = await patientWithOnset();
      const odiAt = (hours: number, fives: number) =>
        post(
          {
            instrument: 'odi',
            completedAt: hoursAgo(hours),
            answers: { sections: Array.from({ length: 10 }, (_, s) => (s < fives ? 5 : 0)) },
          },
          c.adminKey,
          id,
        ).expect(201);
      await odiAt(240, 5); // 50 %
      await odiAt(2, 3); // 30 %: 40 % better, but only from two hours ago
      const painAt = async (hours: number) =>
        (
          await t.http
            .post(`/v1/patients/${id}/pain-reports`)
            .set(bearer(c.adminKey))
            .send({
              clientRef: `asof-${hours}`,
              reportedAt: hoursAgo(hours),
              intensity: 6,
              mostDistalSite: 'calf',
              side: 'left',
              context: 'baseline',
            })
            .expect(201)
        ).body.findings.map((f: { rule: string }) => f.rule) as string[];
      // Five days ago the only ODI was the first: no improvement yet.
      expect(await painAt(120)).toContain('PERSISTENT_SYMPTOMS');
      expect(await painAt(1)).not.toContain('PERSISTENT_SYMPTOMS');
    });

    it('lets the pain decide without any ODI', async () => {
      expect(await persistent([])).toHaveLength(1);
    });
  });

  it('a worse ODI counts as a worsening finding for the progression flags, on its local day', async () => {
    const patient = await factory(t.http).patient(c.adminKey, {
      clinicianId: c.clinician.id,
      timezone: 'Pacific/Auckland',
    });
    await t.http
      .post(`/v1/patients/${patient.id}/programs`)
      .set(bearer(c.adminKey))
      .send({ startDate: '2026-11-01', items: [{ exerciseCode: 'prone_press_up' }] })
      .expect(201);
    const odiAt = (completedAt: string, sections: number[]) =>
      post({ instrument: 'odi', completedAt, answers: { sections } }, c.adminKey, patient.id);
    await odiAt('2026-11-20T09:00:00+13:00', [2, 2, 2, 2, 2, 2, 2, 2, 2, 2]).expect(201);
    // 23:30 UTC on 1 December is 12:30 on 2 December in Auckland.
    const worse = await odiAt('2026-12-01T23:30:00Z', [4, 4, 3, 3, 3, 3, 3, 3, 3, 3]).expect(201);
    expect(worse.body.findings).toMatchObject([{ rule: 'DISABILITY_WORSENED' }]);
    const [loaded] = await t.app
      .get(AdherenceInputsRepository)
      .load([{ organizationId: c.org.id, patientId: patient.id }], '2026-11-15', '2026-12-03');
    expect(loaded.input.findings).toEqual([{ localDate: '2026-12-02', severity: 'warning' }]);
  });

  describe('bad input: 422 naming the item, nothing stored', () => {
    it.each([
      ['an unknown instrument', { instrument: 'sf36', answers: {} }, 'instrument'],
      ['STarT Back with 7 items', startBack(items(3, 3).slice(1), 'slightly'), 'answers.agree'],
      [
        'STarT Back with a 6th level',
        startBack(items(1, 1), 'unbearable'),
        'answers.bothersomeness',
      ],
      [
        'a STarT Back item that is not a boolean',
        {
          ...startBack(items(1, 1), 'slightly'),
          answers: { agree: [1, 0, 0, 0, 0, 0, 0, 0], bothersomeness: 'slightly' },
        },
        'answers.agree[0]',
      ],
      [
        'an ODI with 9 sections',
        { instrument: 'odi', answers: { sections: [1, 1, 1, 1, 1, 1, 1, 1, 1] } },
        'answers.sections',
      ],
      [
        'an ODI section of 6',
        { instrument: 'odi', answers: { sections: [1, 1, 1, 6, 1, 1, 1, 1, 1, 1] } },
        'answers.sections[3]',
      ],
      [
        'an ODI left entirely blank',
        { instrument: 'odi', answers: { sections: Array(10).fill(null) } },
        'answers.sections',
      ],
      [
        'a PSFS naming one activity twice',
        {
          instrument: 'psfs',
          answers: {
            activities: [
              { name: 'Bending', score: 3 },
              { name: ' bending ', score: 5 },
            ],
          },
        },
        'answers.activities[1].name',
      ],
      [
        'a PSFS of 6 activities',
        {
          instrument: 'psfs',
          answers: {
            activities: Array.from({ length: 6 }, (_, i) => ({ name: `a${i}`, score: 5 })),
          },
        },
        'answers.activities',
      ],
      [
        'a PSFS score of 11',
        { instrument: 'psfs', answers: { activities: [{ name: 'Lifting', score: 11 }] } },
        'answers.activities[0].score',
      ],
      ['answers that are a list', { instrument: 'odi', answers: [1, 2] }, 'answers'],
    ])('%s', async (_label, body, field) => {
      const before = await stored();
      const res = await post({ completedAt: hoursAgo(1), ...body }).expect(422);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(await stored()).toBe(before);
    });

    it.each([
      ['in the future', new Date(Date.now() + 3_600_000).toISOString()],
      ['an impossible date', '2026-02-30T10:00:00+01:00'],
      ['without an offset', '2026-11-30T10:00:00'],
    ])('a completedAt %s', async (_label, completedAt) => {
      const before = await stored();
      const res = await post({ ...startBack(items(1, 1), 'slightly'), completedAt }).expect(422);
      expect(res.body.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: 'completedAt' })]),
      );
      expect(await stored()).toBe(before);
    });
  });

  it('the migration gives outcomes:write to the keys that could write records, or read them as a clinician', async () => {
    const other = await seedClinic(t.http);
    const narrow = async (role: string, scopes: string[], extra: object) => {
      const res = await t.http
        .post('/v1/api-keys')
        .set(bearer(other.adminKey))
        .send({ name: `${role} ${scopes.join(' ')}`, role, scopes, ...extra })
        .expect(201);
      return res.body.id as string;
    };
    const keys = {
      appWriter: await narrow('app', ['records:write'], { clientAppId: other.clientApp.id }),
      appReader: await narrow('app', ['records:read'], { clientAppId: other.clientApp.id }),
      clinicianReader: await narrow('clinician', ['records:read'], {
        clinicianId: other.clinician.id,
      }),
      clinicianAlerts: await narrow('clinician', ['alerts:read'], {
        clinicianId: other.clinician.id,
      }),
      adminWriter: await narrow('admin', ['records:write', 'org:manage'], {}),
      adminReader: await narrow('admin', ['aggregates:read'], {}),
    };
    const ids = Object.values(keys);
    // As they were before the migration: keys created then had no such scope.
    await t.db.query(
      `UPDATE api_keys SET scopes = array_remove(scopes, 'outcomes:write') WHERE id = ANY($1)`,
      [ids],
    );
    await t.db.query(`${GRANT_OUTCOMES_WRITE} AND id = ANY($1)`, [ids]);
    await t.db.query(`${GRANT_OUTCOMES_WRITE} AND id = ANY($1)`, [ids]);
    const rows: { id: string; scopes: string[] }[] = await t.db.query(
      `SELECT id, scopes FROM api_keys WHERE id = ANY($1)`,
      [ids],
    );
    const scopesOf = (id: string) => rows.find((r) => r.id === id)!.scopes;
    expect(scopesOf(keys.appWriter)).toEqual(['records:write', 'outcomes:write']);
    expect(scopesOf(keys.appReader)).toEqual(['records:read']);
    expect(scopesOf(keys.clinicianReader)).toEqual(['records:read', 'outcomes:write']);
    expect(scopesOf(keys.clinicianAlerts)).toEqual(['alerts:read']);
    expect(scopesOf(keys.adminWriter)).toEqual(['records:write', 'org:manage', 'outcomes:write']);
    expect(scopesOf(keys.adminReader)).toEqual(['aggregates:read']);
  });

  it('a patient another clinician follows, or of another organization, is a 404 and writes nothing', async () => {
    const before = await stored(c.otherPatient.id);
    await post(startBack(items(1, 1), 'slightly'), c.clinicianKey, c.otherPatient.id).expect(404);
    const other = await seedClinic(t.http);
    await post(startBack(items(1, 1), 'slightly'), other.adminKey, c.patient.id).expect(404);
    await t.http
      .get(`/v1/patients/${c.patient.id}/questionnaires`)
      .set(bearer(other.adminKey))
      .expect(404);
    expect(await stored(c.otherPatient.id)).toBe(before);
  });
});
