import type { INestApplicationContext } from '@nestjs/common';
import { createTestApp, TestApp } from './support/app';
import { bearer, Clinic, seedClinic } from './support/factories';
import { createTestWorker, eventually } from './support/worker';

const HOUR = 3_600_000;
const ago = (hours: number) => new Date(Date.now() - hours * HOUR).toISOString();
const loinc = (code: string) => ({ coding: [{ system: 'http://loinc.org', code }] });

/** A FHIR Bundle as a phone hub sends it: steps from phone and watch, a daily count, pain scores. */
function bundle() {
  const walkStart = ago(50);
  const walkEnd = ago(49);
  const obs = (resource: Record<string, unknown>) => ({
    resource: { resourceType: 'Observation', status: 'final', ...resource },
  });
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [
      obs({
        id: 'steps-phone',
        code: loinc('55423-8'),
        effectivePeriod: { start: walkStart, end: walkEnd },
        valueQuantity: { value: 2400, unit: 'steps' },
        device: { display: 'Pixel 8' },
      }),
      obs({
        id: 'steps-watch',
        code: loinc('55423-8'),
        effectivePeriod: { start: walkStart, end: walkEnd },
        valueQuantity: { value: 2550, unit: 'steps' },
        device: { display: 'Galaxy Watch' },
      }),
      obs({
        id: 'steps-future',
        code: loinc('55423-8'),
        effectivePeriod: {
          start: new Date(Date.now() + 30 * HOUR).toISOString(),
          end: new Date(Date.now() + 31 * HOUR).toISOString(),
        },
        valueQuantity: { value: 100 },
      }),
      obs({
        id: 'pain-calf',
        code: loinc('72514-3'),
        effectiveDateTime: ago(26),
        valueInteger: 6,
        bodySite: {
          coding: [
            { system: 'http://snomed.info/sct', code: '53840002', display: 'Lower leg structure' },
          ],
          text: 'left calf',
        },
      }),
      obs({
        id: 'pain-back',
        code: loinc('72514-3'),
        effectiveDateTime: ago(2),
        valueCodeableConcept: { coding: [{ system: 'http://loinc.org', code: 'LA6114-8' }] },
        bodySite: { text: 'low back' },
      }),
    ],
  };
}

// Built once: a second delivery must be byte for byte the same bundle.
const BUNDLE = JSON.stringify(bundle());

describe('FHIR imports: steps and pain scores', () => {
  let t: TestApp;
  let worker: INestApplicationContext;
  let c: Clinic;

  beforeAll(async () => {
    t = await createTestApp();
    worker = await createTestWorker();
    c = await seedClinic(t.http);
  });
  afterAll(async () => {
    await worker.close();
    await t.close();
  });

  const importBundle = async () => {
    const res = await t.http
      .post(`/v1/patients/${c.patient.id}/activity-imports?format=fhir`)
      .set(bearer(c.appKey))
      .set('Content-Type', 'application/fhir+json')
      .send(BUNDLE)
      .expect(202);
    return eventually(async () => {
      const s = await t.http
        .get(`/v1/activity-imports/${res.body.id}`)
        .set(bearer(c.appKey))
        .expect(200);
      return ['completed', 'failed'].includes(s.body.status) ? s.body : null;
    });
  };

  it('records pain scores as pain reports through the same rules, and counts the walk once', async () => {
    await t.http
      .patch(`/v1/patients/${c.patient.id}`)
      .set(bearer(c.adminKey))
      .send({ baselinePain: { intensity: 3, mostDistalSite: 'low_back' } })
      .expect(200);
    await t.http
      .post(`/v1/patients/${c.patient.id}/programs`)
      .set(bearer(c.clinicianKey))
      .send({ startDate: ago(72).slice(0, 10), items: [{ exerciseCode: 'prone_press_up' }] })
      .expect(201);

    const result = await importBundle();
    expect(result).toMatchObject({
      status: 'completed',
      received: 5,
      inserted: 2,
      painReports: 2,
      rejected: 1,
    });
    expect(result.errors).toEqual([{ index: 2, reason: 'starts in the future' }]);

    const reports = await t.db.query(
      `SELECT r.client_ref, r.intensity, r.most_distal_site, r.side, r.context,
              array(SELECT f.rule FROM findings f WHERE f.pain_report_id = r.id ORDER BY f.rule) AS rules
       FROM pain_reports r WHERE r.patient_id = $1 ORDER BY r.reported_at`,
      [c.patient.id],
    );
    expect(reports).toEqual([
      // The first report since enrolment, in the calf where the enrolment said low back: the
      // pain has spread, into a leg that had none; the program is paused. One report alone is
      // no trend.
      {
        client_ref: 'fhir:pain-calf',
        intensity: 6,
        most_distal_site: 'calf',
        side: 'left',
        context: 'baseline',
        rules: ['NEW_LEG_PAIN', 'PERIPHERALIZATION'],
      },
      // Back to the low back: a good sign.
      {
        client_ref: 'fhir:pain-back',
        intensity: 3,
        most_distal_site: 'low_back',
        side: null,
        context: 'baseline',
        rules: ['CENTRALIZING'],
      },
    ]);
    const program = await t.http
      .get(`/v1/patients/${c.patient.id}/programs/active`)
      .set(bearer(c.appKey))
      .expect(200);
    expect(program.body).toMatchObject({ status: 'paused', statusReason: 'PERIPHERALIZATION' });

    // Phone and watch saw the same hour: the day counts the larger, not the sum.
    const day = ago(50).slice(0, 10);
    const daily = await t.http
      .get(`/v1/patients/${c.patient.id}/activity/daily?from=${day}&to=${ago(49).slice(0, 10)}`)
      .set(bearer(c.clinicianKey))
      .expect(200);
    const total = daily.body.data.reduce((sum: number, d: { steps: number }) => sum + d.steps, 0);
    expect(total).toBe(2550);
  });

  it('records nothing twice when the same bundle is delivered again', async () => {
    const again = await importBundle();
    expect(again).toMatchObject({
      status: 'completed',
      received: 5,
      inserted: 0,
      painReports: 0,
      duplicates: 4,
      rejected: 1,
    });
    const [{ n }] = await t.db.query(
      'SELECT count(*)::int AS n FROM pain_reports WHERE patient_id = $1',
      [c.patient.id],
    );
    expect(n).toBe(2);
  });
});
