import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createTestApp, TestApp } from './support/app';
import { bearer, Clinic, factory, seedClinic } from './support/factories';

type Method = 'get' | 'post' | 'patch' | 'delete';
type Role = 'admin' | 'clinician' | 'app';

interface PatientRoute {
  method: Method;
  /** The OpenAPI path, to check that this table covers every patient route. */
  template: string;
  path: (patientId: string, c: Clinic) => string;
  body?: (c: Clinic) => object;
  roles: Role[];
  action: string;
  success: number;
  /** Runs once before the route's cases (records the route needs to exist). */
  setup?: (t: TestApp, c: Clinic) => Promise<void>;
  /** Runs before each allowed call (state the success needs). */
  beforeSuccess?: (t: TestApp, c: Clinic) => Promise<void>;
  /** The route names a patient's record, not the patient: an unknown one is audited without a patient. */
  viaRecord?: boolean;
}

// The program (or import) of each seeded patient, for the routes that name one.
const records = new Map<string, string>();
const createPrograms = async (t: TestApp, c: Clinic) => {
  for (const patientId of [c.patient.id, c.otherPatient.id]) {
    const res = await t.http
      .post(`/v1/patients/${patientId}/programs`)
      .set(bearer(c.adminKey))
      .send({ startDate: '2026-11-01', items: [{ exerciseCode: 'prone_press_up' }] })
      .expect(201);
    records.set(patientId, res.body.id);
  }
};
const createImports = async (t: TestApp, c: Clinic) => {
  for (const patientId of [c.patient.id, c.otherPatient.id]) {
    const res = await t.http
      .post(`/v1/patients/${patientId}/activity-imports?format=native`)
      .set(bearer(c.adminKey))
      .send(importBody())
      .expect(202);
    records.set(patientId, res.body.id);
  }
};
const createAlerts = async (t: TestApp, c: Clinic) => {
  for (const patientId of [c.patient.id, c.otherPatient.id]) {
    await t.http
      .post(`/v1/patients/${patientId}/pain-reports`)
      .set(bearer(c.adminKey))
      .send({ ...painBody(), redFlags: { fever: true } })
      .expect(201);
    const [alert] = await t.db.query('SELECT id FROM alerts WHERE patient_id = $1', [patientId]);
    records.set(patientId, alert.id);
  }
};
const reopenAlerts = async (t: TestApp, c: Clinic) => {
  await t.db.query(`UPDATE alerts SET status = 'open' WHERE id = $1`, [records.get(c.patient.id)]);
};
const pausePrograms = async (t: TestApp, c: Clinic) => {
  await t.db.query(`UPDATE programs SET status = 'paused' WHERE id = $1`, [
    records.get(c.patient.id),
  ]);
};
// Remote monitoring: a fresh care-time entry or open episode of each seeded patient (the
// void and end routes consume them), written directly as the routes' setup.
const freshCareTime = async (t: TestApp, c: Clinic) => {
  for (const patientId of [c.patient.id, c.otherPatient.id]) {
    const id = randomUUID();
    const [p] = await t.db.query(
      'SELECT organization_id, clinician_id FROM patients WHERE id = $1',
      [patientId],
    );
    await t.db.query(
      `INSERT INTO care_time_entries (id, organization_id, patient_id, clinician_id, started_at, local_date,
                                      minutes, interactive, kind)
       VALUES ($1, $2, $3, $4, now() - interval '1 hour', current_date, 5, false, 'data_review')`,
      [id, p.organization_id, patientId, p.clinician_id ?? c.clinician.id],
    );
    records.set(patientId, id);
  }
};
const freshEpisodes = async (t: TestApp, c: Clinic) => {
  for (const patientId of [c.patient.id, c.otherPatient.id]) {
    await t.db.query('DELETE FROM rtm_episodes WHERE patient_id = $1', [patientId]);
    const id = randomUUID();
    await t.db.query(
      `INSERT INTO rtm_episodes (id, organization_id, patient_id, start_date)
       SELECT $1, organization_id, id, current_date - 40 FROM patients WHERE id = $2`,
      [id, patientId],
    );
    records.set(patientId, id);
  }
};
const noEpisodes = async (t: TestApp, c: Clinic) => {
  await t.db.query('DELETE FROM rtm_episodes WHERE patient_id = ANY($1::uuid[])', [
    [c.patient.id, c.otherPatient.id],
  ]);
};
const thisMonth = () => new Date().toISOString().slice(0, 7);
const painBody = () => ({
  clientRef: randomUUID(),
  reportedAt: new Date(Date.now() - 60_000).toISOString(),
  intensity: 3,
  mostDistalSite: 'low_back',
  context: 'baseline',
});
const importBody = () => ({
  source: { name: 'matrix phone' },
  samples: [{ start: '2026-11-01T10:00:00Z', end: '2026-11-01T10:01:00Z', steps: 50 }],
});
const sessionBody = () => ({
  clientRef: randomUUID(),
  performedAt: new Date(Date.now() - 60_000).toISOString(),
  items: [{ exerciseCode: 'prone_press_up', reps: 10, holdSeconds: 5 }],
});

// Every route under /v1/patients/{id}, /v1/programs/{id}, /v1/activity-imports/{id} and
// /v1/alerts/{id}. A route added without a row here fails the first test.
const ROUTES: PatientRoute[] = [
  {
    method: 'get',
    template: '/v1/patients/{id}',
    path: (id) => `/v1/patients/${id}`,
    roles: ['admin', 'clinician', 'app'],
    action: 'patient.read',
    success: 200,
  },
  {
    method: 'delete',
    template: '/v1/patients/{id}',
    path: (id) => `/v1/patients/${id}`,
    roles: ['admin'],
    action: 'patient.erase',
    success: 204,
  },
  {
    method: 'get',
    template: '/v1/patients/{id}/export',
    path: (id) => `/v1/patients/${id}/export`,
    roles: ['admin'],
    action: 'patient.export',
    success: 200,
  },
  {
    method: 'patch',
    template: '/v1/patients/{id}',
    path: (id) => `/v1/patients/${id}`,
    body: () => ({ timezone: 'Europe/Paris' }),
    roles: ['admin'],
    action: 'patient.update',
    success: 200,
  },
  {
    method: 'post',
    template: '/v1/patients/{id}/enrollments',
    path: (id) => `/v1/patients/${id}/enrollments`,
    body: (c) => ({ clientAppId: c.clientApp.id }),
    roles: ['admin'],
    action: 'enrollment.create',
    success: 201,
  },
  {
    method: 'get',
    template: '/v1/patients/{id}/enrollments',
    path: (id) => `/v1/patients/${id}/enrollments`,
    roles: ['admin'],
    action: 'enrollment.list',
    success: 200,
  },
  {
    method: 'delete',
    template: '/v1/patients/{id}/enrollments/{clientAppId}',
    path: (id, c) => `/v1/patients/${id}/enrollments/${c.clientApp.id}`,
    roles: ['admin'],
    action: 'enrollment.revoke',
    success: 204,
  },
  {
    method: 'post',
    template: '/v1/patients/{id}/programs',
    path: (id) => `/v1/patients/${id}/programs`,
    body: () => ({ startDate: '2026-11-01', items: [{ exerciseCode: 'prone_press_up' }] }),
    roles: ['admin', 'clinician'],
    action: 'program.create',
    success: 201,
  },
  {
    method: 'get',
    template: '/v1/patients/{id}/programs',
    path: (id) => `/v1/patients/${id}/programs`,
    roles: ['admin', 'clinician'],
    action: 'program.list',
    success: 200,
  },
  {
    method: 'get',
    template: '/v1/patients/{id}/programs/active',
    path: (id) => `/v1/patients/${id}/programs/active`,
    roles: ['admin', 'clinician', 'app'],
    action: 'program.read',
    success: 200,
    setup: createPrograms,
  },
  {
    method: 'post',
    template: '/v1/programs/{id}/resume',
    path: (id) => `/v1/programs/${records.get(id) ?? randomUUID()}/resume`,
    roles: ['admin', 'clinician'],
    action: 'program.resume',
    success: 200,
    setup: createPrograms,
    beforeSuccess: pausePrograms,
    viaRecord: true,
  },
  {
    method: 'post',
    template: '/v1/patients/{id}/pain-reports',
    path: (id) => `/v1/patients/${id}/pain-reports`,
    body: painBody,
    roles: ['admin', 'app'],
    action: 'pain_report.create',
    success: 201,
  },
  {
    method: 'post',
    template: '/v1/patients/{id}/activity-imports',
    path: (id) => `/v1/patients/${id}/activity-imports?format=native`,
    body: importBody,
    roles: ['admin', 'app'],
    action: 'activity_import.create',
    success: 202,
  },
  {
    method: 'get',
    template: '/v1/activity-imports/{id}',
    path: (id) => `/v1/activity-imports/${records.get(id) ?? randomUUID()}`,
    roles: ['admin', 'clinician', 'app'],
    action: 'activity_import.read',
    success: 200,
    setup: createImports,
    viaRecord: true,
  },
  {
    method: 'get',
    template: '/v1/patients/{id}/activity/daily',
    path: (id) => `/v1/patients/${id}/activity/daily`,
    roles: ['admin', 'clinician', 'app'],
    action: 'activity.read',
    success: 200,
  },
  {
    method: 'post',
    template: '/v1/patients/{id}/connections',
    path: (id) => `/v1/patients/${id}/connections`,
    body: () => ({ provider: 'withings' }),
    roles: ['admin', 'app'],
    action: 'connection.create',
    success: 201,
  },
  {
    method: 'get',
    template: '/v1/patients/{id}/connections',
    path: (id) => `/v1/patients/${id}/connections`,
    roles: ['admin', 'clinician', 'app'],
    action: 'connection.list',
    success: 200,
  },
  {
    method: 'get',
    template: '/v1/patients/{id}/activity/sources',
    path: (id) => `/v1/patients/${id}/activity/sources`,
    roles: ['admin', 'clinician', 'app'],
    action: 'activity.sources',
    success: 200,
  },
  {
    method: 'get',
    template: '/v1/patients/{id}/adherence',
    path: (id) => `/v1/patients/${id}/adherence`,
    roles: ['admin', 'clinician', 'app'],
    action: 'adherence.read',
    success: 200,
    setup: createPrograms,
  },
  {
    method: 'get',
    template: '/v1/patients/{id}/flags',
    path: (id) => `/v1/patients/${id}/flags`,
    roles: ['admin', 'clinician', 'app'],
    action: 'progression_flags.read',
    success: 200,
  },
  {
    method: 'get',
    template: '/v1/alerts/{id}',
    path: (id) => `/v1/alerts/${records.get(id) ?? randomUUID()}`,
    roles: ['admin', 'clinician'],
    action: 'alert.read',
    success: 200,
    setup: createAlerts,
    viaRecord: true,
  },
  {
    method: 'post',
    template: '/v1/alerts/{id}/acknowledge',
    path: (id) => `/v1/alerts/${records.get(id) ?? randomUUID()}/acknowledge`,
    roles: ['admin', 'clinician'],
    action: 'alert.acknowledge',
    success: 200,
    setup: createAlerts,
    beforeSuccess: reopenAlerts,
    viaRecord: true,
  },
  {
    method: 'post',
    template: '/v1/alerts/{id}/resolve',
    path: (id) => `/v1/alerts/${records.get(id) ?? randomUUID()}/resolve`,
    roles: ['admin', 'clinician'],
    action: 'alert.resolve',
    success: 200,
    setup: createAlerts,
    beforeSuccess: reopenAlerts,
    viaRecord: true,
  },
  {
    method: 'post',
    template: '/v1/patients/{id}/sessions',
    path: (id) => `/v1/patients/${id}/sessions`,
    body: sessionBody,
    roles: ['admin', 'app'],
    action: 'session.create',
    success: 201,
  },
  {
    method: 'post',
    template: '/v1/patients/{id}/questionnaires',
    path: (id) => `/v1/patients/${id}/questionnaires`,
    body: () => ({
      instrument: 'odi',
      completedAt: new Date(Date.now() - 60_000).toISOString(),
      answers: { sections: [2, 2, 1, 3, 2, 1, null, 2, 1, 2] },
    }),
    // Clinicians record outcomes too (they hold outcomes:write, not records:write).
    roles: ['admin', 'clinician', 'app'],
    action: 'questionnaire.create',
    success: 201,
  },
  {
    method: 'get',
    template: '/v1/patients/{id}/questionnaires',
    path: (id) => `/v1/patients/${id}/questionnaires?instrument=odi`,
    roles: ['admin', 'clinician', 'app'],
    action: 'questionnaire.list',
    success: 200,
  },
  {
    method: 'post',
    template: '/v1/patients/{id}/care-time',
    path: (id) => `/v1/patients/${id}/care-time`,
    body: (c) => ({
      startedAt: new Date(Date.now() - 3_600_000).toISOString(),
      minutes: 12,
      interactive: true,
      kind: 'call',
      clinicianId: c.clinician.id,
    }),
    roles: ['admin', 'clinician'],
    action: 'care_time.create',
    success: 201,
  },
  {
    method: 'get',
    template: '/v1/patients/{id}/care-time',
    path: (id) => `/v1/patients/${id}/care-time?month=${thisMonth()}`,
    roles: ['admin', 'clinician'],
    action: 'care_time.list',
    success: 200,
  },
  {
    method: 'post',
    template: '/v1/care-time/{id}/void',
    path: (id) => `/v1/care-time/${records.get(id) ?? randomUUID()}/void`,
    body: () => ({ reason: 'logged twice' }),
    roles: ['admin', 'clinician'],
    action: 'care_time.void',
    success: 200,
    setup: freshCareTime,
    beforeSuccess: freshCareTime,
    viaRecord: true,
  },
  {
    method: 'post',
    template: '/v1/patients/{id}/rtm-episodes',
    path: (id) => `/v1/patients/${id}/rtm-episodes`,
    body: () => ({ startDate: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10) }),
    roles: ['admin', 'clinician'],
    action: 'rtm_episode.create',
    success: 201,
    setup: noEpisodes,
    beforeSuccess: noEpisodes,
  },
  {
    method: 'get',
    template: '/v1/patients/{id}/rtm-episodes',
    path: (id) => `/v1/patients/${id}/rtm-episodes`,
    roles: ['admin', 'clinician'],
    action: 'rtm_episode.list',
    success: 200,
  },
  {
    method: 'post',
    template: '/v1/rtm-episodes/{id}/end',
    path: (id) => `/v1/rtm-episodes/${records.get(id) ?? randomUUID()}/end`,
    body: () => ({}),
    roles: ['admin', 'clinician'],
    action: 'rtm_episode.end',
    success: 200,
    setup: freshEpisodes,
    beforeSuccess: freshEpisodes,
    viaRecord: true,
  },
  {
    method: 'get',
    template: '/v1/patients/{id}/rtm',
    path: (id) => `/v1/patients/${id}/rtm?month=${thisMonth()}`,
    roles: ['admin', 'clinician'],
    action: 'rtm_ledger.read',
    success: 200,
    setup: freshEpisodes,
  },
];

interface Case {
  label: string;
  key: (c: Clinic, other: Clinic, revoked: string) => string | null;
  patient: (c: Clinic) => string;
  expect: (route: PatientRoute) => { status: number; outcome: string; keyed: boolean };
}

const onlyFor = (role: Role, route: PatientRoute, status: number, outcome: string) =>
  route.roles.includes(role)
    ? { status, outcome, keyed: true }
    : { status: 403, outcome: 'forbidden', keyed: true };

const CASES: Case[] = [
  {
    label: 'missing key → 401',
    key: () => null,
    patient: (c) => c.patient.id,
    expect: () => ({ status: 401, outcome: 'unauthenticated', keyed: false }),
  },
  {
    label: 'revoked key → 401',
    key: (_c, _o, revoked) => revoked,
    patient: (c) => c.patient.id,
    expect: () => ({ status: 401, outcome: 'unauthenticated', keyed: true }),
  },
  {
    label: 'dashboard key → 403',
    key: (c) => c.dashboardKey,
    patient: (c) => c.patient.id,
    expect: () => ({ status: 403, outcome: 'forbidden', keyed: true }),
  },
  {
    label: 'other organization → 404',
    key: (_c, other) => other.adminKey,
    patient: (c) => c.patient.id,
    expect: () => ({ status: 404, outcome: 'denied', keyed: true }),
  },
  {
    label: 'clinician not assigned → 404',
    key: (c) => c.clinicianKey,
    patient: (c) => c.otherPatient.id,
    expect: (r) => onlyFor('clinician', r, 404, 'denied'),
  },
  {
    label: 'app not enrolled → 404',
    key: (c) => c.otherAppKey,
    patient: (c) => c.patient.id,
    expect: (r) => onlyFor('app', r, 404, 'denied'),
  },
  {
    label: 'unknown patient → 404',
    key: (c) => c.adminKey,
    patient: () => randomUUID(),
    expect: () => ({ status: 404, outcome: 'not_found', keyed: true }),
  },
];

describe('access matrix over every patient-scoped route', () => {
  let t: TestApp;
  let other: Clinic;

  beforeAll(async () => {
    // A provider configured (never called: beginning a connection only builds its address).
    t = await createTestApp({
      PUBLIC_BASE_URL: 'https://sciatrack.test',
      WITHINGS_CLIENT_ID: 'matrix-client',
      WITHINGS_CLIENT_SECRET: 'matrix-secret',
    });
    other = await seedClinic(t.http);
  });
  afterAll(() => t.close());

  it('covers every /v1/patients/{id} operation of the OpenAPI document', async () => {
    const doc = await t.http.get('/docs-json').expect(200);
    const documented = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>)
      .filter(([path]) =>
        /^\/v1\/(patients|programs|activity-imports|alerts|care-time|rtm-episodes)\/\{id\}/.test(
          path,
        ),
      )
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`))
      .sort();
    expect(ROUTES.map((r) => `${r.method} ${r.template}`).sort()).toEqual(documented);
  });

  describe.each(ROUTES)('$method $template', (route) => {
    let c: Clinic;
    let revokedKey: string;

    beforeAll(async () => {
      c = await seedClinic(t.http);
      const revoked = await factory(t.http).apiKey(c.adminKey, {
        role: 'admin',
        name: 'to revoke',
      });
      await t.http.delete(`/v1/api-keys/${revoked.id}`).set(bearer(c.adminKey)).expect(204);
      revokedKey = revoked.key;
      await route.setup?.(t, c);
    });

    const send = (path: string, key: string | null, requestId: string, body?: object) => {
      let req = t.http[route.method](path).set('x-request-id', requestId);
      if (key) req = req.set(bearer(key));
      return body ? req.send(body) : req;
    };

    it.each(CASES)('$label, with its audit row', async (kase) => {
      const patientId = kase.patient(c);
      const key = kase.key(c, other, revokedKey);
      const expected = kase.expect(route);
      const requestId = `matrix-${randomUUID()}`;
      const res = await send(route.path(patientId, c), key, requestId, route.body?.(c));
      expect(res.status).toBe(expected.status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      // Refusals never say whether the patient exists.
      expect(JSON.stringify(res.body)).not.toContain(c.org.id);

      const rows = await t.db.query(
        'SELECT action, outcome, status, patient_id, api_key_id FROM audit_log WHERE request_id = $1',
        [requestId],
      );
      expect(rows).toEqual([
        {
          action: route.action,
          outcome: expected.outcome,
          status: expected.status,
          patient_id: route.viaRecord && !records.has(patientId) ? null : patientId,
          api_key_id: expected.keyed ? expect.any(String) : null,
        },
      ]);
    });

    it.each(route.roles)('%s allowed → success, audited', async (role) => {
      const key = role === 'admin' ? c.adminKey : role === 'clinician' ? c.clinicianKey : c.appKey;
      await route.beforeSuccess?.(t, c);
      const requestId = `matrix-${randomUUID()}`;
      const res = await send(route.path(c.patient.id, c), key, requestId, route.body?.(c));
      expect(res.status).toBe(route.success);
      const rows = await t.db.query(
        'SELECT action, outcome, patient_id FROM audit_log WHERE request_id = $1',
        [requestId],
      );
      expect(rows).toEqual([
        { action: route.action, outcome: 'success', patient_id: c.patient.id },
      ]);
    });
  });

  it('ignores a spoofed organizationId in the body and the query', async () => {
    const c = await seedClinic(t.http);
    const created = await t.http
      .post('/v1/patients')
      .set(bearer(c.adminKey))
      .send({
        externalRef: 'SPOOF-1',
        timezone: 'UTC',
        clinicianId: c.clinician.id,
        organizationId: other.org.id,
      })
      .expect(201);
    const [row] = await t.db.query('SELECT organization_id FROM patients WHERE id = $1', [
      created.body.id,
    ]);
    expect(row.organization_id).toBe(c.org.id);
    await t.http.get(`/v1/patients/${created.body.id}`).set(bearer(other.adminKey)).expect(404);

    const listed = await t.http
      .get(`/v1/patients?organizationId=${other.org.id}`)
      .set(bearer(c.adminKey))
      .expect(200);
    const ids = listed.body.data.map((p: { id: string }) => p.id);
    expect(ids).toContain(created.body.id);
    expect(ids).not.toContain(other.patient.id);
  });

  it('lists only the patients each key may see, and audits the list', async () => {
    const c = await seedClinic(t.http);
    const ids = async (key: string) =>
      (await t.http.get('/v1/patients').set(bearer(key)).expect(200)).body.data
        .map((p: { id: string }) => p.id)
        .sort();
    expect(await ids(c.adminKey)).toEqual([c.patient.id, c.otherPatient.id].sort());
    expect(await ids(c.clinicianKey)).toEqual([c.patient.id]);
    expect(await ids(c.otherClinicianKey)).toEqual([c.otherPatient.id]);
    expect(await ids(c.appKey)).toEqual([c.patient.id]);
    expect(await ids(c.otherAppKey)).toEqual([]);
    await t.http.get('/v1/patients').set(bearer(c.dashboardKey)).expect(403);

    const requestId = `list-${randomUUID()}`;
    await t.http
      .get('/v1/patients')
      .set(bearer(c.clinicianKey))
      .set('x-request-id', requestId)
      .expect(200);
    const rows = await t.db.query(
      'SELECT action, outcome, patient_id FROM audit_log WHERE request_id = $1',
      [requestId],
    );
    expect(rows).toEqual([{ action: 'patient.list', outcome: 'success', patient_id: null }]);
  });

  it('keeps the audit log append-only in the database itself', async () => {
    const [{ count }] = await t.db.query('SELECT count(*)::int AS count FROM audit_log');
    expect(count).toBeGreaterThan(0);
    // The service's own role may not even try...
    await expect(t.db.query(`UPDATE audit_log SET outcome = 'success'`)).rejects.toThrow(
      /permission denied/,
    );
    await expect(t.db.query('DELETE FROM audit_log')).rejects.toThrow(/permission denied/);
    await expect(t.db.query('TRUNCATE audit_log')).rejects.toThrow(/permission denied/);
    // ...and the trigger refuses the owner too, unless it is disabled on purpose.
    const owner = new Client({ connectionString: t.config.DATABASE_OWNER_URL });
    await owner.connect();
    try {
      await expect(owner.query(`UPDATE audit_log SET outcome = 'success'`)).rejects.toThrow(
        /append-only/,
      );
      await expect(owner.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
      await expect(owner.query('TRUNCATE audit_log')).rejects.toThrow(/append-only/);
    } finally {
      await owner.end();
    }
    const [{ count: after }] = await t.db.query('SELECT count(*)::int AS count FROM audit_log');
    expect(after).toBeGreaterThanOrEqual(count);
  });
});
