import { createTestApp, TestApp } from './support/app';
import { bearer, Clinic, factory, seedClinic } from './support/factories';

// Six weeks of one patient's outcome measures beside their pain reports: screened at high risk
// with STarT Back, function (PSFS) and disability (ODI) measured at the start, at three weeks
// and at six; the leg pain centralizes meanwhile, and the screening at six weeks is low risk.
const DAY_MS = 86_400_000;
const START = Math.floor(Date.now() / DAY_MS) * DAY_MS - 43 * DAY_MS;
const at = (day: number, hour = 9) =>
  new Date(START + day * DAY_MS + hour * 3_600_000).toISOString();

describe('an outcome story: STarT Back, PSFS and ODI over six weeks', () => {
  let t: TestApp;
  let c: Clinic;
  let patientId: string;

  beforeAll(async () => {
    t = await createTestApp();
    c = await seedClinic(t.http);
    patientId = (
      await factory(t.http).patient(c.adminKey, {
        clinicianId: c.clinician.id,
        timezone: 'America/Chicago',
        baselinePain: { intensity: 7, mostDistalSite: 'calf', side: 'right' },
      })
    ).id;
    await t.http
      .post(`/v1/patients/${patientId}/enrollments`)
      .set(bearer(c.adminKey))
      .send({ clientAppId: c.clientApp.id })
      .expect(201);
  });
  afterAll(() => t.close());

  const questionnaire = (day: number, instrument: string, answers: object) =>
    t.http
      .post(`/v1/patients/${patientId}/questionnaires`)
      .set(bearer(c.clinicianKey))
      .send({ instrument, completedAt: at(day), answers })
      .expect(201);
  const startBack = (day: number, agreed: number[], bothersomeness: string) =>
    questionnaire(day, 'startback', {
      agree: Array.from({ length: 8 }, (_, i) => agreed.includes(i + 1)),
      bothersomeness,
    });
  const psfs = (day: number, scores: [number, number, number]) =>
    questionnaire(day, 'psfs', {
      activities: [
        { name: 'Sitting through a film', score: scores[0] },
        { name: 'Lifting my daughter', score: scores[1] },
        { name: 'Walking the dog', score: scores[2] },
      ],
    });
  const odi = (day: number, sections: (number | null)[]) => questionnaire(day, 'odi', { sections });
  const pain = (day: number, intensity: number, mostDistalSite: string) =>
    t.http
      .post(`/v1/patients/${patientId}/pain-reports`)
      .set(bearer(c.appKey))
      .send({
        clientRef: `outcome-story-${day}`,
        reportedAt: at(day, 8),
        intensity,
        mostDistalSite,
        side: mostDistalSite === 'low_back' ? undefined : 'right',
        context: 'baseline',
      })
      .expect(201);
  const rules = (res: { body: { findings: { rule: string }[] } }) =>
    res.body.findings.map((f) => f.rule);
  const patient = () =>
    t.http.get(`/v1/patients/${patientId}`).set(bearer(c.clinicianKey)).expect(200);

  it('day 0: screened at high risk; function and disability measured, nothing to compare yet', async () => {
    // Items 1, 2, 5, 6, 7 agreed and "very much" bothered: total 6, psychosocial 4.
    const sb = await startBack(0, [1, 2, 5, 6, 7], 'very_much');
    expect(sb.body.score).toEqual({ total: 6, psychosocial: 4, stratum: 'high' });
    expect((await patient()).body.startBack).toMatchObject({ stratum: 'high', total: 6 });
    const f = await psfs(0, [2, 3, 4]);
    expect(f.body).toMatchObject({ score: { mean: 3 }, change: null, findings: [] });
    // 24 of 50: 48 %.
    const d = await odi(0, [3, 3, 2, 3, 2, 2, 3, 2, 2, 2]);
    expect(d.body).toMatchObject({
      score: { score: 48, answered: 10 },
      change: null,
      findings: [],
    });
  });

  it('weeks 1–3: the pain centralizes; function improves meaningfully, disability not yet', async () => {
    expect(rules(await pain(7, 6, 'thigh'))).toContain('CENTRALIZING');
    expect(rules(await pain(14, 5, 'buttock'))).toContain('CENTRALIZING');
    expect(rules(await pain(21, 4, 'low_back'))).toContain('CENTRALIZING');
    // Mean 3 → 5.33: 2.33 up.
    const f = await psfs(21, [5, 5, 6]);
    expect(f.body.change).toMatchObject({ difference: 2.33 });
    expect(f.body.findings).toMatchObject([{ rule: 'FUNCTION_IMPROVED', severity: 'positive' }]);
    // 20 of 50: 40 %, 8 points down, within the noise.
    const d = await odi(21, [2, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
    expect(d.body).toMatchObject({ change: { difference: -8, meaningful: [] }, findings: [] });
  });

  it('week 6: disability improves meaningfully; the new screening is low risk', async () => {
    expect(rules(await pain(42, 2, 'low_back'))).not.toContain('PAIN_TREND_WORSE');
    // 14 of 45 (one section left blank): 31.1 %, 16.9 points below the first.
    const d = await odi(42, [2, 1, 2, 1, 2, 2, 1, 2, 1, null]);
    expect(d.body.score).toEqual({ score: 31.1, answered: 9 });
    expect(d.body.findings).toMatchObject([
      { rule: 'DISABILITY_IMPROVED', severity: 'positive', evidence: { first: 48, now: 31.1 } },
    ]);
    const f = await psfs(42, [7, 6, 8]);
    expect(f.body.findings).toMatchObject([{ rule: 'FUNCTION_IMPROVED' }]);
    await startBack(42, [1], 'slightly');
    expect((await patient()).body.startBack).toMatchObject({ stratum: 'low', total: 1 });
  });

  it('keeps every questionnaire, per instrument in the order recorded, and raised no alert', async () => {
    const list = await t.http
      .get(`/v1/patients/${patientId}/questionnaires?limit=100`)
      .set(bearer(c.appKey))
      .expect(200);
    expect(list.body.data.map((q: { instrument: string }) => q.instrument)).toEqual([
      'startback',
      'psfs',
      'odi',
      'psfs',
      'odi',
      'odi',
      'psfs',
      'startback',
    ]);
    const alerts = await t.db.query(`SELECT rule FROM alerts WHERE patient_id = $1`, [patientId]);
    expect(alerts).toEqual([]);
  });
});
