import { randomUUID } from 'node:crypto';
import { DEFAULT_ADHERENCE_SETTINGS, evaluateProgressionFlags, localDateOf } from '@app/domain';
import { AdherenceInputsRepository } from '@app/persistence';
import { MaintenanceService } from '../apps/worker/src/maintenance/maintenance.service';
import { createTestApp, TestApp } from './support/app';
import { alertCreatedPayload, bearer, Clinic, factory, seedClinic } from './support/factories';
import { createTestWorker } from './support/worker';

interface AlertBody {
  id: string;
  patientId: string;
  rule: string;
  severity: string;
  status: string;
  evidence: Record<string, unknown>;
}

describe('alerts: raised from findings, listed and closed by clinicians', () => {
  let t: TestApp;
  let c: Clinic;

  beforeAll(async () => {
    t = await createTestApp();
    c = await seedClinic(t.http);
  });
  afterAll(() => t.close());

  const list = async (key: string, query = '') =>
    (await t.http.get(`/v1/alerts${query}`).set(bearer(key)).expect(200)).body as {
      data: AlertBody[];
      nextCursor: string | null;
    };

  it('opens alerts for warning and urgent findings only, with their evidence', async () => {
    const f = factory(t.http);
    // Info only (INCREASED_PAIN_AFTER_EXERCISE-like findings) and plain reports raise none.
    await f.painReport(c.appKey, c.patient.id, { intensity: 2 });
    expect((await list(c.adminKey, `?patientId=${c.patient.id}`)).data).toEqual([]);

    const report = await f.painReport(c.appKey, c.patient.id, {
      redFlags: { saddleNumbness: true },
    });
    expect(report.findings).toContainEqual(
      expect.objectContaining({ rule: 'RED_FLAG_CAUDA_EQUINA', severity: 'urgent' }),
    );
    await f.painReport(c.adminKey, c.otherPatient.id, { redFlags: { nightPain: true } });

    const mine = await list(c.clinicianKey);
    expect(mine.data).toEqual([
      expect.objectContaining({
        patientId: c.patient.id,
        rule: 'RED_FLAG_CAUDA_EQUINA',
        severity: 'urgent',
        status: 'open',
        evidence: expect.objectContaining({ answeredYes: ['saddleNumbness'] }),
      }),
    ]);
    const theirs = await list(c.otherClinicianKey);
    expect(theirs.data).toEqual([
      expect.objectContaining({
        patientId: c.otherPatient.id,
        rule: 'RED_FLAG_SYSTEMIC',
        severity: 'warning',
      }),
    ]);
    expect((await list(c.adminKey)).data).toHaveLength(2);
    expect((await list(c.adminKey, '?severity=warning')).data.map((a) => a.patientId)).toEqual([
      c.otherPatient.id,
    ]);
    expect((await list(c.adminKey, '?rule=RED_FLAG_CAUDA_EQUINA')).data).toHaveLength(1);
  });

  it('pages with a cursor', async () => {
    const first = await list(c.adminKey, '?limit=1');
    expect(first.data).toHaveLength(1);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await list(c.adminKey, `?limit=1&cursor=${first.nextCursor}`);
    expect(second.data).toHaveLength(1);
    expect(second.data[0].id).not.toBe(first.data[0].id);
    expect(second.nextCursor).toBeNull();
  });

  it('moves open → acknowledged → resolved, by the assigned clinician, once each', async () => {
    const [alert] = (await list(c.clinicianKey, '?status=open')).data;
    // Another clinician, another clinic: the alert does not exist for them.
    const other = await seedClinic(t.http);
    await t.http
      .post(`/v1/alerts/${alert.id}/acknowledge`)
      .set(bearer(c.otherClinicianKey))
      .expect(404);
    await t.http.get(`/v1/alerts/${alert.id}`).set(bearer(other.adminKey)).expect(404);
    await t.http.get(`/v1/alerts/${alert.id}`).set(bearer(c.appKey)).expect(403);

    const acked = await t.http
      .post(`/v1/alerts/${alert.id}/acknowledge`)
      .set(bearer(c.clinicianKey))
      .expect(200);
    expect(acked.body).toMatchObject({
      status: 'acknowledged',
      acknowledgedAt: expect.any(String),
    });
    await t.http.post(`/v1/alerts/${alert.id}/acknowledge`).set(bearer(c.clinicianKey)).expect(409);
    const resolved = await t.http
      .post(`/v1/alerts/${alert.id}/resolve`)
      .set(bearer(c.clinicianKey))
      .expect(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', resolvedAt: expect.any(String) });
    await t.http.post(`/v1/alerts/${alert.id}/resolve`).set(bearer(c.adminKey)).expect(409);
    expect((await list(c.clinicianKey, '?status=resolved')).data.map((a) => a.id)).toEqual([
      alert.id,
    ]);

    const [row] = await t.db.query(
      'SELECT acknowledged_by_key_id IS NOT NULL AS acked_by, resolved_by_key_id IS NOT NULL AS resolved_by FROM alerts WHERE id = $1',
      [alert.id],
    );
    expect(row).toEqual({ acked_by: true, resolved_by: true });
  });

  it('writes the alert, its finding and its outbox event in the report’s transaction', async () => {
    const patient = await factory(t.http).patient(c.adminKey, { clinicianId: c.clinician.id });
    await factory(t.http).painReport(c.adminKey, patient.id, { redFlags: { fever: true } });
    const rows = await t.db.query(
      `SELECT o.event_type, o.payload->'data'->>'alertId' = a.id::text AS same_alert,
              a.finding_id = f.id AS same_finding, f.pain_report_id = r.id AS same_report,
              -- The outbox row is updated by a relay soon after, so its xmin moves; now() is the
              -- transaction's start, the same for every row the transaction inserted.
              r.xmin = a.xmin AND f.xmin = r.xmin AND o.created_at = r.created_at AS one_transaction
       FROM alerts a JOIN findings f ON f.id = a.finding_id JOIN pain_reports r ON r.id = f.pain_report_id
       JOIN outbox o ON o.payload->'data'->>'alertId' = a.id::text
       WHERE a.patient_id = $1`,
      [patient.id],
    );
    expect(rows).toEqual([
      {
        event_type: 'alert.created',
        same_alert: true,
        same_finding: true,
        same_report: true,
        one_transaction: true,
      },
    ]);
  });

  it('audits reads of an alert under its patient', async () => {
    const [alert] = (await list(c.adminKey, `?patientId=${c.otherPatient.id}`)).data;
    const requestId = `alert-read-${alert.id}`;
    await t.http
      .get(`/v1/alerts/${alert.id}`)
      .set(bearer(c.otherClinicianKey))
      .set('x-request-id', requestId)
      .expect(200);
    const rows = await t.db.query(
      'SELECT action, outcome, patient_id FROM audit_log WHERE request_id = $1',
      [requestId],
    );
    expect(rows).toEqual([
      { action: 'alert.read', outcome: 'success', patient_id: c.otherPatient.id },
    ]);
  });

  it('forgets outbox rows a week after their fan-out, never a row not fanned out', async () => {
    const payload = alertCreatedPayload(c.patient.id);
    const insert = (relayedDaysAgo: number, fannedOut: boolean) =>
      t.db.query(
        `INSERT INTO outbox (organization_id, event_type, payload, created_at, relayed_at, fanned_out_at)
         VALUES ($1, 'alert.created', $2, now() - interval '30 days',
                 now() - make_interval(days => $3), CASE WHEN $4 THEN now() - make_interval(days => $3) END)
         RETURNING id`,
        [c.org.id, payload, relayedDaysAgo, fannedOut],
      );
    const [[old], [recent], [waiting]] = await Promise.all([
      insert(8, true),
      insert(6, true),
      insert(8, false),
    ]);
    const worker = await createTestWorker();
    try {
      expect(await worker.get(MaintenanceService).purgeRelayedOutbox()).toBeGreaterThanOrEqual(1);
    } finally {
      await worker.close();
    }
    const left = await t.db.query('SELECT id FROM outbox WHERE id = ANY($1) ORDER BY id', [
      [old.id, recent.id, waiting.id],
    ]);
    expect(left).toEqual(
      [{ id: recent.id }, { id: waiting.id }].sort((a, b) => a.id.localeCompare(b.id)),
    );
  });

  it('holds READY_FOR_STRENGTHENING back while a warning alert is open', async () => {
    const f = factory(t.http);
    const patient = await f.patient(c.adminKey, { clinicianId: c.clinician.id, timezone: 'UTC' });
    const days = [3, 2, 1].map((ago) => new Date(Date.now() - ago * 86_400_000));
    await t.http
      .post(`/v1/patients/${patient.id}/programs`)
      .set(bearer(c.adminKey))
      .send({
        startDate: localDateOf(new Date(Date.now() - 10 * 86_400_000), 'UTC'),
        items: [{ exerciseCode: 'prone_press_up' }],
      })
      .expect(201);
    // Pain centralized on three report days, exercised on each (no rest gap): the flag's
    // condition, but for alerts.
    for (const day of days) {
      await f.painReport(c.adminKey, patient.id, { reportedAt: day.toISOString() });
      await t.http
        .post(`/v1/patients/${patient.id}/sessions`)
        .set(bearer(c.adminKey))
        .send({
          clientRef: randomUUID(),
          performedAt: day.toISOString(),
          items: [{ exerciseCode: 'prone_press_up' }],
        })
        .expect(201);
    }
    const flagsNow = async () => {
      const today = localDateOf(new Date(), 'UTC');
      const [loaded] = await t.app
        .get(AdherenceInputsRepository)
        .load(
          [{ organizationId: c.org.id, patientId: patient.id }],
          localDateOf(days[0], 'UTC'),
          today,
        );
      return evaluateProgressionFlags(loaded.input, DEFAULT_ADHERENCE_SETTINGS, today).map(
        (flag) => flag.flag,
      );
    };
    expect(await flagsNow()).toContain('READY_FOR_STRENGTHENING');

    // Weight loss is a warning: the alert opens and holds the suggestion back until resolved.
    await f.painReport(c.adminKey, patient.id, {
      reportedAt: days[2].toISOString(),
      redFlags: { weightLoss: true },
    });
    expect(await flagsNow()).not.toContain('READY_FOR_STRENGTHENING');
    const [alert] = (await list(c.adminKey, `?patientId=${patient.id}`)).data;
    await t.http.post(`/v1/alerts/${alert.id}/resolve`).set(bearer(c.adminKey)).expect(200);
    expect(await flagsNow()).toContain('READY_FOR_STRENGTHENING');
  });
});
