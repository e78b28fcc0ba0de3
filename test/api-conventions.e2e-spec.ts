import type { Response } from 'supertest';
import { createTestApp, TestApp } from './support/app';
import { bearer, Clinic, seedClinic } from './support/factories';

describe('API conventions', () => {
  let t: TestApp;
  let c: Clinic;

  beforeAll(async () => {
    t = await createTestApp({ BODY_LIMIT_BYTES: String(64 * 1024) });
    c = await seedClinic(t.http);
  });
  afterAll(() => t.close());

  const postPatient = (body: unknown) =>
    t.http
      .post('/v1/patients')
      .set(bearer(c.adminKey))
      .send(body as object);

  const expectProblem = (
    res: { status: number; headers: Record<string, string>; body: Record<string, unknown> },
    status: number,
  ) => {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      type: expect.any(String),
      title: expect.any(String),
      status,
      detail: expect.any(String),
    });
    expect(JSON.stringify(res.body)).not.toMatch(/\bat .+\.(ts|js):\d+/);
  };

  describe('validation answers 422 problem+json naming each field', () => {
    it.each([
      ['a wrong type', { externalRef: 42, timezone: 'UTC' }, ['externalRef']],
      [
        'an unknown field',
        { externalRef: 'X-1', timezone: 'UTC', favouriteColour: 'teal' },
        ['favouriteColour'],
      ],
      ['an unknown time zone', { externalRef: 'X-2', timezone: 'Mars/Olympus_Mons' }, ['timezone']],
      [
        'a fixed offset instead of a zone',
        { externalRef: 'X-3', timezone: '+02:00' },
        ['timezone'],
      ],
      [
        'a nested field out of range',
        {
          externalRef: 'X-4',
          timezone: 'UTC',
          baselinePain: { intensity: 11, mostDistalSite: 'calf' },
        },
        ['baselinePain.intensity'],
      ],
      [
        'an unknown pain site',
        {
          externalRef: 'X-5',
          timezone: 'UTC',
          baselinePain: { intensity: 3, mostDistalSite: 'elbow' },
        },
        ['baselinePain.mostDistalSite'],
      ],
      [
        'an impossible date',
        { externalRef: 'X-6', timezone: 'UTC', symptomOnsetDate: '2026-02-30' },
        ['symptomOnsetDate'],
      ],
    ])('%s', async (_label, partial, fields) => {
      const body = { clinicianId: c.clinician.id, ...partial };
      const res = await postPatient(body);
      expectProblem(res, 422);
      expect(res.body.type).toBe('/problems/validation-error');
      expect([...new Set(res.body.errors.map((e: { field: string }) => e.field))]).toEqual(fields);
      const ref = (partial as { externalRef?: unknown }).externalRef;
      if (typeof ref === 'string') {
        const rows = await t.db.query('SELECT 1 FROM patients WHERE external_ref = $1', [ref]);
        expect(rows).toHaveLength(0);
      }
    });

    it('names a clinician of another organization as the bad field', async () => {
      const res = await postPatient({
        externalRef: 'X-7',
        timezone: 'UTC',
        clinicianId: '00000000-0000-4000-8000-000000000000',
      });
      expectProblem(res, 422);
      expect(res.body.errors).toEqual([{ field: 'clinicianId', message: expect.any(String) }]);
    });
  });

  it('answers 413 for a body over the cap', async () => {
    const res = await postPatient({
      externalRef: 'x'.repeat(100 * 1024),
      timezone: 'UTC',
      clinicianId: c.clinician.id,
    });
    expectProblem(res, 413);
  });

  it('answers 400 for malformed JSON', async () => {
    const res = await t.http
      .post('/v1/patients')
      .set(bearer(c.adminKey))
      .set('Content-Type', 'application/json')
      .send('{"externalRef": ');
    expectProblem(res, 400);
  });

  it('answers 415 for a body that is not JSON', async () => {
    const res = await t.http
      .post('/v1/patients')
      .set(bearer(c.adminKey))
      .set('Content-Type', 'text/plain')
      .send('externalRef=1');
    expectProblem(res, 415);
  });

  it('answers an unknown route with 404 problem+json', async () => {
    expectProblem(await t.http.get('/v1/no-such-thing').set(bearer(c.adminKey)), 404);
    expectProblem(await t.http.get('/nothing-here'), 404);
  });

  it('answers a malformed id with 404, not a database error', async () => {
    expectProblem(await t.http.get('/v1/patients/not-a-uuid').set(bearer(c.adminKey)), 404);
    expectProblem(await t.http.delete('/v1/api-keys/42').set(bearer(c.adminKey)), 404);
  });

  it('pages lists with a cursor, without repeating or skipping a row', async () => {
    const created: string[] = [c.patient.id, c.otherPatient.id];
    for (let i = 0; i < 5; i++) {
      const res = await postPatient({
        externalRef: `PAGE-${i}`,
        timezone: 'UTC',
        clinicianId: c.clinician.id,
      }).expect(201);
      created.push(res.body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: Response = await t.http
        .get('/v1/patients')
        .query(cursor ? { limit: 3, cursor } : { limit: 3 })
        .set(bearer(c.adminKey))
        .expect(200);
      expect(res.body.data.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.data.map((p: { id: string }) => p.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(created.sort());
  });

  it.each([
    [{ limit: 0 }, 'limit', 422],
    [{ limit: 101 }, 'limit', 422],
    [{ limit: 'ten' }, 'limit', 422],
    // A cursor is opaque: one the API did not return is a bad request, not a field to fix.
    [{ cursor: 'bm90LWEtY3Vyc29y' }, 'cursor', 400],
  ])('refuses page query %j naming %s', async (query, field, status) => {
    const res = await t.http.get('/v1/patients').query(query).set(bearer(c.adminKey));
    expectProblem(res, status);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('serves an OpenAPI 3 document describing every route with bearer auth and problem responses', async () => {
    const res = await t.http.get('/docs-json').expect(200);
    const doc = res.body;
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.schemas.ProblemDto).toBeDefined();
    const ops = Object.entries(
      doc.paths as Record<
        string,
        Record<string, { responses: Record<string, unknown>; security?: unknown[] }>
      >,
    ).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ path, method, op })),
    );
    for (const expected of [
      'post /v1/admin/organizations',
      'post /v1/clinicians',
      'post /v1/client-apps',
      'post /v1/api-keys',
      'delete /v1/api-keys/{id}',
      'post /v1/patients',
      'get /v1/patients',
      'get /v1/patients/{id}',
      'post /v1/patients/{id}/enrollments',
      'get /health',
      'get /health/ready',
      'get /metrics',
    ]) {
      expect(ops.map((o) => `${o.method} ${o.path}`)).toContain(expected);
    }
    // Any key may read the exercise catalog, and the operator's token has no roles: no 403.
    const anyCredential = [
      'get /v1/exercises',
      'post /v1/admin/organizations',
      'post /v1/admin/adherence/recompute',
    ];
    for (const { path, method, op } of ops) {
      expect(op.responses['500']).toBeDefined();
      if (op.security?.length) expect(op.responses['401']).toBeDefined();
      if (op.security?.length && !anyCredential.includes(`${method} ${path}`))
        expect(op.responses['403']).toBeDefined();
      if (path.includes('{')) expect(op.responses['404']).toBeDefined();
      if (method === 'post') expect(op.responses['422']).toBeDefined();
    }
    await t.http.get('/docs').redirects(1).expect(200).expect('Content-Type', /html/);
  });

  it('answers health, readiness and metrics without a key', async () => {
    await t.http.get('/health').expect(200, { status: 'ok' });
    await t.http
      .get('/health/ready')
      .expect(200, { status: 'ready', checks: { postgres: 'up', redis: 'up' } });
    const metrics = await t.http.get('/metrics').expect(200);
    expect(metrics.text).toContain('sciatrack_http_requests_total');
    expect(metrics.text).toMatch(/^sciatrack_outbox_waiting\{measure="count"\} \d+$/m);
    expect(metrics.text).toMatch(
      /^sciatrack_webhook_deliveries_due\{measure="oldest_seconds"\} [\d.e+-]+$/m,
    );
    // Metrics name routes by template, never by a concrete id.
    expect(metrics.text).toContain('route="/v1/patients/:id"');
    expect(metrics.text).not.toContain(c.patient.id);
  });

  it('echoes a request id, or makes one', async () => {
    const given = await t.http.get('/health').set('x-request-id', 'abc-123').expect(200);
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await t.http.get('/health').expect(200);
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const hostile = await t.http.get('/health').set('x-request-id', 'a b;/etc/passwd').expect(200);
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
