import type { INestApplicationContext } from '@nestjs/common';
import { createTestApp, TestApp } from './support/app';
import { bearer, Clinic, seedClinic } from './support/factories';
import { isolated } from './support/isolated';
import { TEST_ADMIN_TOKEN } from './support/test-env';
import { createTestWorker, eventually } from './support/worker';

// A database and a queue prefix of its own: "everyone" is this spec's patients, and only its
// worker takes its jobs.
const space = isolated('recompute');
const env = space.env;
const ROUTE = '/v1/admin/adherence/recompute';

interface Queued {
  period: string;
  organizationId: string | null;
  jobId: string;
  previousRun: 'none' | 'completed' | 'running';
}

describe('the operator forces an adherence recompute', () => {
  let t: TestApp;
  let worker: INestApplicationContext | undefined;
  let a: Clinic;
  let b: Clinic;

  const periodRow = (period: string) =>
    t.db.query<{ patients: number; chunks_done: number; started_at: Date }[]>(
      `SELECT patients, chunks_done, started_at FROM adherence_periods
        WHERE period = $1 AND completed_at IS NOT NULL`,
      [period],
    );
  const completed = (period: string, after = new Date(0)) =>
    eventually(
      async () => {
        const [row] = await periodRow(period);
        return row && row.started_at > after ? row : null;
      },
      30_000,
      `period ${period} completed`,
    );
  const auditOf = (requestId: string) =>
    t.db.query<{ action: string; outcome: string; status: number; actor_role: string | null }[]>(
      `SELECT action, outcome, status, actor_role, organization_id FROM audit_log WHERE request_id = $1`,
      [requestId],
    );

  beforeAll(async () => {
    await space.setUp();
    t = await createTestApp(env);
    [a, b] = [await seedClinic(t.http), await seedClinic(t.http)];
    const startDate = new Date(Date.now() - 20 * 86_400_000).toISOString().slice(0, 10);
    for (const c of [a, b]) {
      await t.http
        .post(`/v1/patients/${c.patient.id}/programs`)
        .set(bearer(c.clinicianKey))
        .send({ startDate, items: [{ exerciseCode: 'prone_press_up', timesPerDay: 2 }] })
        .expect(201);
    }
    // Creating the programs marked the patients for the next update; what follows is about
    // the periods the operator queues, so nothing else computes them.
    await t.db.query('DELETE FROM adherence_dirty');
    worker = await createTestWorker(env);
  });

  afterAll(async () => {
    try {
      await worker?.close();
      await t?.close();
    } finally {
      await space.tearDown();
    }
  });

  it('is documented with its body, its answer and its errors', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    const op = doc.paths[ROUTE].post;
    expect(op.security).toEqual([{ operator: [] }]);
    expect(op.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/AdherenceRecomputeDto',
    });
    expect(doc.components.schemas.AdherenceRecomputeDto.properties.organizationId).toMatchObject({
      type: 'string',
      format: 'uuid',
    });
    expect(op.responses['202'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/AdherenceRecomputeQueuedDto',
    });
    for (const status of ['401', '404', '422', '503']) {
      expect(op.responses[status].content).toHaveProperty(['application/problem+json']);
    }
  });

  it('refuses a call without the operator token or with a wrong one, and audits it', async () => {
    await t.http.post(ROUTE).set('x-request-id', 'recompute-no-token').expect(401);
    await t.http
      .post(ROUTE)
      .set(bearer('not-the-operator-token-0123456789'))
      .set('x-request-id', 'recompute-wrong-token')
      .expect(401);
    // An organization's admin key is no operator token either.
    await t.http.post(ROUTE).set(bearer(a.adminKey)).expect(401);
    for (const id of ['recompute-no-token', 'recompute-wrong-token']) {
      expect(await auditOf(id)).toEqual([
        expect.objectContaining({
          action: 'adherence.recompute',
          outcome: 'unauthenticated',
          status: 401,
          actor_role: null,
        }),
      ]);
    }
  });

  it('answers 422 for an organization id that is no uuid, 404 for one of no organization', async () => {
    const invalid = await t.http
      .post(ROUTE)
      .set(bearer(TEST_ADMIN_TOKEN))
      .send({ organizationId: 'riverside' })
      .expect(422);
    expect(invalid.body.errors).toEqual([expect.objectContaining({ field: 'organizationId' })]);
    await t.http
      .post(ROUTE)
      .set(bearer(TEST_ADMIN_TOKEN))
      .send({ organizationId: a.org.id, extra: true })
      .expect(422);
    const unknown = await t.http
      .post(ROUTE)
      .set(bearer(TEST_ADMIN_TOKEN))
      .set('x-request-id', 'recompute-unknown-org')
      .send({ organizationId: '00000000-0000-4000-8000-000000000000' })
      .expect(404);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await auditOf('recompute-unknown-org')).toEqual([
      expect.objectContaining({ outcome: 'not_found', status: 404, actor_role: 'operator' }),
    ]);
    const [{ n }] = await t.db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM adherence_periods WHERE period LIKE 'full-%'`,
    );
    expect(n).toBe(0);
  });

  it("recomputes one organization's patients in a full period of the hour of its own", async () => {
    const res = await t.http
      .post(ROUTE)
      .set(bearer(TEST_ADMIN_TOKEN))
      .set('x-request-id', 'recompute-one-org')
      .send({ organizationId: a.org.id })
      .expect(202);
    const queued = res.body as Queued;
    expect(queued).toEqual({
      period: `full-${queued.period.slice(5, 18)}-org-${a.org.id}`,
      organizationId: a.org.id,
      jobId: `adherence-${queued.period}-requested-${queued.jobId.split('-requested-')[1]}`,
      previousRun: 'none',
    });
    expect(queued.period.slice(5, 18)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}$/);
    // Only the organization's patient with a program is in it, and the worker computed it.
    expect(await completed(queued.period)).toMatchObject({ patients: 1, chunks_done: 1 });
    const progress = await t.db.query<{ patient_id: string }[]>(
      'SELECT patient_id FROM patient_progress WHERE organization_id = $1',
      [a.org.id],
    );
    expect(progress.map((p) => p.patient_id)).toEqual([a.patient.id]);
    expect(await auditOf('recompute-one-org')).toEqual([
      {
        action: 'adherence.recompute',
        outcome: 'success',
        status: 202,
        actor_role: 'operator',
        organization_id: a.org.id,
      },
    ]);
  });

  it('recomputes everyone, and again when called again in the hour once the first run completed', async () => {
    const first = (await t.http.post(ROUTE).set(bearer(TEST_ADMIN_TOKEN)).expect(202))
      .body as Queued;
    expect(first).toMatchObject({ period: expect.stringMatching(/^full-[^o]+$/) });
    expect(first.organizationId).toBeNull();
    const run = await completed(first.period);
    expect(run).toMatchObject({ patients: 2 });
    const progress = await t.db.query<{ computed_at: Date }[]>(
      'SELECT computed_at FROM patient_progress WHERE patient_id = ANY($1)',
      [[a.patient.id, b.patient.id]],
    );
    expect(progress).toHaveLength(2);

    const again = (await t.http.post(ROUTE).set(bearer(TEST_ADMIN_TOKEN)).send({}).expect(202))
      .body as Queued;
    expect(again.jobId).not.toBe(first.jobId);
    // Across the top of an hour, the second call names the next hour's period.
    expect(again.previousRun).toBe(again.period === first.period ? 'completed' : 'none');
    expect(await completed(again.period, run.started_at)).toMatchObject({ patients: 2 });
  });
});
