import { randomUUID } from 'node:crypto';
import TestAgent from 'supertest/lib/agent';
import { TEST_ADMIN_TOKEN } from './test-env';

export const bearer = (key: string): Record<string, string> => ({ Authorization: `Bearer ${key}` });

function unique(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

async function created<T>(pending: Promise<{ status: number; body: T }>, what: string): Promise<T> {
  const res = await pending;
  if (res.status !== 201)
    throw new Error(`creating ${what} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * The JSON payload of an `alert.created` outbox row for a made-up alert, for tests that write
 * outbox rows themselves (to drive the relay, the fan-out or the purge directly).
 */
export function alertCreatedPayload(
  patientId: string,
  rule = 'RED_FLAG_SYSTEMIC',
  severity = 'urgent',
): string {
  return JSON.stringify({
    type: 'alert.created',
    timestamp: new Date().toISOString(),
    data: { alertId: randomUUID(), patientId, rule, severity },
  });
}

export interface Organization {
  id: string;
  name: string;
  adminKey: string;
  adminKeyId: string;
}

/** Small builders over the real API, each with overridable fields. */
export function factory(http: TestAgent) {
  return {
    organization: (overrides: { name?: string } = {}) =>
      created<Organization>(
        http
          .post('/v1/admin/organizations')
          .set(bearer(TEST_ADMIN_TOKEN))
          .send({ name: overrides.name ?? unique('Clinic') }),
        'organization',
      ),

    clinician: (adminKey: string, overrides: { name?: string; email?: string } = {}) =>
      created<{ id: string; name: string; email: string }>(
        http
          .post('/v1/clinicians')
          .set(bearer(adminKey))
          .send({
            name: overrides.name ?? 'Dr. Test',
            email: overrides.email ?? `${unique('dr')}@clinic.example`,
          }),
        'clinician',
      ),

    clientApp: (adminKey: string, overrides: { name?: string } = {}) =>
      created<{ id: string; name: string }>(
        http
          .post('/v1/client-apps')
          .set(bearer(adminKey))
          .send({ name: overrides.name ?? unique('App') }),
        'client app',
      ),

    apiKey: (
      adminKey: string,
      body: {
        role: string;
        clinicianId?: string;
        clientAppId?: string;
        scopes?: string[];
        name?: string;
      },
    ) =>
      created<{ id: string; key: string; prefix: string; scopes: string[] }>(
        http
          .post('/v1/api-keys')
          .set(bearer(adminKey))
          .send({ name: body.name ?? `${body.role} key`, ...body }),
        'API key',
      ),

    patient: (
      adminKey: string,
      overrides: {
        clinicianId: string;
        timezone?: string;
        externalRef?: string;
        [k: string]: unknown;
      },
    ) =>
      created<{ id: string; timezone: string; clinicianId: string }>(
        http
          .post('/v1/patients')
          .set(bearer(adminKey))
          .send({ externalRef: unique('MRN'), timezone: 'Europe/London', ...overrides }),
        'patient',
      ),

    enroll: (adminKey: string, patientId: string, clientAppId: string) =>
      created<{ patientId: string; clientAppId: string }>(
        http
          .post(`/v1/patients/${patientId}/enrollments`)
          .set(bearer(adminKey))
          .send({ clientAppId }),
        'enrollment',
      ),

    webhookEndpoint: (
      adminKey: string,
      body: { url: string; events?: string[]; clinicianId?: string },
    ) =>
      created<{ id: string; secret: string; url: string; enabled: boolean }>(
        http
          .post('/v1/webhook-endpoints')
          .set(bearer(adminKey))
          .send({ events: ['alert.created', 'alert.escalated'], ...body }),
        'webhook endpoint',
      ),

    /** A pain report; red flags make it raise an alert (fever: urgent, weight loss: warning). */
    painReport: (key: string, patientId: string, overrides: Record<string, unknown> = {}) =>
      created<{ id: string; findings: { rule: string; severity: string }[] }>(
        http
          .post(`/v1/patients/${patientId}/pain-reports`)
          .set(bearer(key))
          .send({
            clientRef: randomUUID(),
            reportedAt: new Date(Date.now() - 60_000).toISOString(),
            intensity: 4,
            mostDistalSite: 'low_back',
            context: 'baseline',
            ...overrides,
          }),
        'pain report',
      ),
  };
}

export interface Clinic {
  org: Organization;
  adminKey: string;
  clinician: { id: string };
  otherClinician: { id: string };
  clientApp: { id: string };
  clinicianKey: string;
  otherClinicianKey: string;
  appKey: string;
  otherAppKey: string;
  dashboardKey: string;
  /** Assigned to `clinician`, enrolled with `clientApp`. */
  patient: { id: string; timezone: string };
  /** Assigned to `otherClinician`, enrolled with no app. */
  otherPatient: { id: string };
}

/** A whole clinic: two clinicians, two apps, a key of every role and two patients. */
export async function seedClinic(http: TestAgent): Promise<Clinic> {
  const f = factory(http);
  const org = await f.organization();
  const adminKey = org.adminKey;
  const [clinician, otherClinician, clientApp, otherApp] = await Promise.all([
    f.clinician(adminKey),
    f.clinician(adminKey),
    f.clientApp(adminKey),
    f.clientApp(adminKey),
  ]);
  const [clinicianKey, otherClinicianKey, appKey, otherAppKey, dashboardKey] = await Promise.all([
    f.apiKey(adminKey, { role: 'clinician', clinicianId: clinician.id }),
    f.apiKey(adminKey, { role: 'clinician', clinicianId: otherClinician.id }),
    f.apiKey(adminKey, { role: 'app', clientAppId: clientApp.id }),
    f.apiKey(adminKey, { role: 'app', clientAppId: otherApp.id }),
    f.apiKey(adminKey, { role: 'dashboard' }),
  ]);
  const patient = await f.patient(adminKey, { clinicianId: clinician.id });
  const otherPatient = await f.patient(adminKey, { clinicianId: otherClinician.id });
  await f.enroll(adminKey, patient.id, clientApp.id);
  return {
    org,
    adminKey,
    clinician,
    otherClinician,
    clientApp,
    clinicianKey: clinicianKey.key,
    otherClinicianKey: otherClinicianKey.key,
    appKey: appKey.key,
    otherAppKey: otherAppKey.key,
    dashboardKey: dashboardKey.key,
    patient,
    otherPatient,
  };
}
