import { FhirExportProcessor, MAX_REQUEUES } from '../apps/worker/src/fhir/fhir-export.processor';
import { createTestApp, type TestApp } from './support/app';
import { bearer, factory, seedClinic, type Clinic } from './support/factories';
import { validateFhir } from './support/fhir-validator';
import { finished, start } from './support/processes';
import { deleteKeysOf } from './support/redis-keys';
import { withService } from './support/service';
import { specQueuePrefix, testRedisUrl } from './support/test-env';
import { eventually } from './support/worker';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const path = (url: string) => new URL(url).pathname + new URL(url).search;

/** Some data for each of `patients` new patients of the clinic's clinician. */
async function seedPatients(t: TestApp, c: Clinic, patients: number): Promise<string[]> {
  const f = factory(t.http);
  const ids: string[] = [];
  for (let i = 0; i < patients; i++) {
    const p = await f.patient(c.adminKey, { clinicianId: c.clinician.id });
    ids.push(p.id);
  }
  // Days of steps and a program each, written as the worker's rollup and the API would.
  await t.db.query(
    `INSERT INTO activity_daily (organization_id, patient_id, local_date, steps, active_minutes, manual_steps, sample_count, sources, updated_at)
     SELECT $1, p, d::date, 3000 + extract(day FROM d)::int, 0, 0, 1, '[]'::jsonb, now()
     FROM unnest($2::uuid[]) p, generate_series('2026-09-01'::date, '2026-09-10'::date, interval '1 day') d`,
    [c.org.id, ids],
  );
  for (const id of ids) {
    await t.http
      .post(`/v1/patients/${id}/programs`)
      .set(bearer(c.adminKey))
      .send({ startDate: '2026-09-01', items: [{ exerciseCode: 'prone_press_up' }] })
      .expect(201);
    await f.painReport(c.adminKey, id, { intensity: 2 });
  }
  return ids;
}

async function kickOff(
  t: TestApp,
  key: string,
  what = 'Patient/$export',
  prefer = 'respond-async',
) {
  return t.http
    .get(`/fhir/R4/${what}`)
    .set(bearer(key))
    .set('Accept', 'application/fhir+json')
    .set('Prefer', prefer);
}

/** Polls the status URL until the manifest comes (200); answers it. */
async function manifestOf(t: TestApp, key: string, statusUrl: string): Promise<Json> {
  const progress: string[] = [];
  const res = await eventually(
    async () => {
      const r = await t.http.get(path(statusUrl)).set(bearer(key));
      if (r.status === 202) {
        progress.push(r.headers['x-progress']);
        expect(r.headers['retry-after']).toBeDefined();
        return null;
      }
      return r;
    },
    60_000,
    'export complete',
  );
  expect(res.status).toBe(200);
  expect(res.headers.expires).toBeDefined();
  // The Bulk Data IG: the manifest is plain JSON, not a FHIR resource.
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return res.body;
}

async function download(t: TestApp, key: string, url: string): Promise<Json[]> {
  const res = await t.http
    .get(path(url))
    .set(bearer(key))
    .buffer(true)
    .parse((r, cb) => {
      let text = '';
      r.on('data', (d: Buffer) => (text += d.toString()));
      r.on('end', () => cb(null, text));
    })
    .expect(200);
  expect(res.headers['content-type']).toMatch(/^application\/fhir\+ndjson/);
  const text = res.body as string;
  expect(text.endsWith('\n')).toBe(true);
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Json);
}

describe('FHIR Bulk Data export', () => {
  describe('with a worker', () => {
    const s = withService({ FHIR_EXPORT_BATCH_PATIENTS: '2' });
    let ids: string[];

    beforeAll(async () => {
      ids = await seedPatients(s.t, s.c, 5);
    });

    it('kicks off, reports progress, and serves a manifest of NDJSON files to the same key only', async () => {
      const { t, c } = s;
      const kick = await kickOff(
        t,
        c.adminKey,
        'Patient/$export?_type=Patient,Observation,CarePlan',
      );
      expect(kick.status).toBe(202);
      const statusUrl: string = kick.headers['content-location'];
      expect(statusUrl).toMatch(/\/fhir\/R4\/_export\/[0-9a-f-]{36}$/);
      const manifest = await manifestOf(t, c.adminKey, statusUrl);
      expect(manifest.requiresAccessToken).toBe(true);
      expect(manifest.request).toContain(
        '/fhir/R4/Patient/$export?_type=Patient,Observation,CarePlan',
      );
      expect(new Date(manifest.transactionTime).getTime()).toBeLessThanOrEqual(Date.now());
      expect(manifest.output.map((o: Json) => o.type).sort()).toEqual([
        'CarePlan',
        'Observation',
        'Patient',
      ]);
      const [{ n: patients }] = await t.db.query(
        'SELECT count(*)::int AS n FROM patients WHERE organization_id = $1',
        [c.org.id],
      );
      for (const file of manifest.output as Json[]) {
        const resources = await download(t, c.adminKey, file.url);
        expect(resources).toHaveLength(file.count);
        const keys = resources.map((r) => `${r.resourceType}/${r.id}`);
        expect(new Set(keys).size).toBe(keys.length);
        for (const r of resources) {
          expect(r.resourceType).toBe(file.type);
          validateFhir(r);
        }
        if (file.type === 'Patient') expect(resources).toHaveLength(patients);
        if (file.type === 'Observation') {
          const steps = resources.filter((r) => r.code.coding[0].code === '41950-7');
          expect(steps).toHaveLength(ids.length * 10);
        }
        // Another key of the organization, even an admin's, gets nothing.
        await t.http.get(path(file.url)).set(bearer(c.clinicianKey)).expect(404);
      }
      await t.http.get(path(statusUrl)).set(bearer(c.clinicianKey)).expect(404);
      // DELETE removes the export and its files.
      await t.http.delete(path(statusUrl)).set(bearer(c.adminKey)).expect(202);
      await t.http.get(path(statusUrl)).set(bearer(c.adminKey)).expect(404);
      await t.http.get(path(manifest.output[0].url)).set(bearer(c.adminKey)).expect(404);
      const [{ n: chunks }] = await t.db.query(
        `SELECT count(*)::int AS n FROM fhir_export_chunks WHERE export_id = $1`,
        [statusUrl.split('/').pop()],
      );
      expect(chunks).toBe(0);
    });

    it("exports a clinician's panel (a Group) and only what changed since _since", async () => {
      const { t, c } = s;
      const group = await kickOff(
        t,
        c.clinicianKey,
        `Group/${c.clinician.id}/$export?_type=Patient`,
      );
      expect(group.status).toBe(202);
      const manifest = await manifestOf(t, c.clinicianKey, group.headers['content-location']);
      const patients = await download(t, c.clinicianKey, manifest.output[0].url);
      const [{ n }] = await t.db.query(
        'SELECT count(*)::int AS n FROM patients WHERE clinician_id = $1',
        [c.clinician.id],
      );
      expect(patients).toHaveLength(n);
      // Another clinician's panel, or the organization, is no group this clinician can see.
      expect(
        (await kickOff(t, c.clinicianKey, `Group/${c.otherClinician.id}/$export`)).status,
      ).toBe(404);
      expect((await kickOff(t, c.clinicianKey, `Group/${c.org.id}/$export`)).status).toBe(404);
      expect((await kickOff(t, c.appKey, `Group/${c.clinician.id}/$export`)).status).toBe(404);
      const org = await kickOff(t, c.adminKey, `Group/${c.org.id}/$export?_type=Patient`);
      expect(org.status).toBe(202);
      await manifestOf(t, c.adminKey, org.headers['content-location']);

      const since = new Date().toISOString();
      await t.db.query(
        `UPDATE activity_daily SET steps = steps + 1, updated_at = now() WHERE patient_id = $1 AND local_date = '2026-09-05'`,
        [ids[0]],
      );
      const changed = await kickOff(
        t,
        c.adminKey,
        `Patient/$export?_type=Observation&_since=${since}`,
      );
      const m = await manifestOf(t, c.adminKey, changed.headers['content-location']);
      const obs = await download(t, c.adminKey, m.output[0].url);
      expect(obs.map((o) => o.id)).toEqual([`steps-${ids[0]}-2026-09-05`]);
    });

    it('refuses bad kick-offs', async () => {
      const { t, c } = s;
      const expectOutcome = (res: { status: number; body: Json }, status: number) => {
        expect(res.status).toBe(status);
        expect(res.body.resourceType).toBe('OperationOutcome');
      };
      expectOutcome(await kickOff(t, c.adminKey, 'Patient/$export', ''), 400);
      expectOutcome(
        await kickOff(t, c.adminKey, 'Patient/$export?_since=2999-01-01T00:00:00Z'),
        400,
      );
      expectOutcome(await kickOff(t, c.adminKey, 'Patient/$export?_type=Encounter'), 400);
      expectOutcome(await kickOff(t, c.adminKey, 'Patient/$export?_outputFormat=text/csv'), 400);
      expectOutcome(await kickOff(t, c.adminKey, 'Patient/$export?_typeFilter=x'), 400);
      expectOutcome(await kickOff(t, c.appKey, 'Patient/$export?_type=DetectedIssue'), 400);
      expectOutcome(await kickOff(t, c.dashboardKey, 'Patient/$export'), 403);
      expectOutcome(await kickOff(t, c.adminKey, 'Observation/$export'), 404);
      await t.http.get('/fhir/R4/_export/not-an-id').set(bearer(c.adminKey)).expect(404);
    });

    it('queues again an export whose job was lost, and fails one that keeps stalling', async () => {
      const { t, c } = s;
      const kick = await kickOff(t, c.adminKey, 'Patient/$export?_type=Patient');
      const statusUrl: string = kick.headers['content-location'];
      const id = statusUrl.split('/').pop();
      const done = await manifestOf(t, c.adminKey, statusUrl);
      // As if its job had been lost before it ran (Redis away at the kick-off): waiting, unmoved.
      await t.db.query(
        `UPDATE fhir_exports SET status = 'queued', patients_total = NULL, patients_done = 0,
           after_patient_id = NULL, completed_at = NULL, updated_at = now() - interval '1 hour'
         WHERE id = $1`,
        [id],
      );
      await t.db.query('DELETE FROM fhir_export_chunks WHERE export_id = $1', [id]);
      const sweeper = s.worker.get(FhirExportProcessor);
      expect(await sweeper.sweep()).toBe(1);
      const again = await manifestOf(t, c.adminKey, statusUrl);
      const files = (m: Json) => (m.output as Json[]).map((o) => [o.type, o.count]);
      expect(files(again)).toEqual(files(done));
      const [row] = await t.db.query('SELECT requeues FROM fhir_exports WHERE id = $1', [id]);
      expect(row.requeues).toBe(1);
      // Stalled as often as it may be: it fails, and says so.
      await t.db.query(
        `UPDATE fhir_exports SET status = 'running', requeues = $2, completed_at = NULL,
           updated_at = now() - interval '1 hour' WHERE id = $1`,
        [id, MAX_REQUEUES],
      );
      expect(await sweeper.sweep()).toBe(0);
      const failed = await t.http.get(path(statusUrl)).set(bearer(c.adminKey)).expect(500);
      expect(failed.body.resourceType).toBe('OperationOutcome');
      expect(failed.body.issue[0].diagnostics).toMatch(/stalled/);
      // The Bulk Data IG answers a failed export's status with a 5xx: expected here, so it is
      // taken off the spec's list of server errors (every other 5xx still fails it).
      const expected = `GET ${path(statusUrl)} → 500`;
      expect(t.serverErrors).toContain(expected);
      t.serverErrors.splice(t.serverErrors.indexOf(expected), 1);
      // Kick-offs and polls are audited with the status they answered.
      const audited = await t.db.query(
        `SELECT action, status FROM audit_log WHERE api_key_id = (SELECT api_key_id FROM fhir_exports WHERE id = $1)
           AND action IN ('fhir.operation', 'fhir.read') AND status = 202`,
        [id],
      );
      expect(audited.length).toBeGreaterThan(0);
    });

    it('forgets expired exports: their status and files answer 404, and the sweep deletes them', async () => {
      const { t, c } = s;
      const kick = await kickOff(t, c.adminKey, 'Patient/$export?_type=Patient');
      const statusUrl: string = kick.headers['content-location'];
      const manifest = await manifestOf(t, c.adminKey, statusUrl);
      const id = statusUrl.split('/').pop();
      await t.db.query(
        `UPDATE fhir_exports SET expires_at = now() - interval '1 second' WHERE id = $1`,
        [id],
      );
      await t.http.get(path(statusUrl)).set(bearer(c.adminKey)).expect(404);
      await t.http.get(path(manifest.output[0].url)).set(bearer(c.adminKey)).expect(404);
      expect(await s.worker.get(FhirExportProcessor).purgeExpired()).toBeGreaterThanOrEqual(1);
      const rows = await t.db.query('SELECT 1 FROM fhir_export_chunks WHERE export_id = $1', [id]);
      expect(rows).toHaveLength(0);
    });
  });

  describe('without a worker', () => {
    let t: TestApp;
    let c: Clinic;
    const env = {
      QUEUE_PREFIX: specQueuePrefix('fhir-export-idle'),
      FHIR_EXPORTS_PER_ORGANIZATION: '2',
    };

    beforeAll(async () => {
      t = await createTestApp(env);
      c = await seedClinic(t.http);
    });
    afterAll(async () => {
      await t?.close();
      await deleteKeysOf(testRedisUrl(), env.QUEUE_PREFIX);
    });

    it('allows so many exports per organization at once, then 429 with Retry-After; a cancel frees a place', async () => {
      const first = await kickOff(t, c.adminKey);
      const second = await kickOff(t, c.clinicianKey);
      expect([first.status, second.status]).toEqual([202, 202]);
      const poll = await t.http
        .get(path(first.headers['content-location']))
        .set(bearer(c.adminKey));
      expect(poll.status).toBe(202);
      expect(poll.headers['x-progress']).toBe('queued');
      const third = await kickOff(t, c.adminKey);
      expect(third.status).toBe(429);
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
      expect(third.body.issue[0].code).toBe('throttled');
      await t.http
        .delete(path(second.headers['content-location']))
        .set(bearer(c.adminKey))
        .expect(404);
      await t.http
        .delete(path(second.headers['content-location']))
        .set(bearer(c.clinicianKey))
        .expect(202);
      expect((await kickOff(t, c.adminKey)).status).toBe(202);
    });
  });

  describe('a worker killed mid-export', () => {
    const env = {
      QUEUE_PREFIX: specQueuePrefix('fhir-export-crash'),
      JOB_LOCK_MS: '2000',
      FHIR_EXPORT_BATCH_PATIENTS: '1',
      // A pause between batches, so that the kill lands midway.
      FHIR_EXPORT_BATCH_PAUSE_MS: '150',
    };
    let t: TestApp;
    let c: Clinic;
    const workers: ReturnType<typeof start>[] = [];

    beforeAll(async () => {
      t = await createTestApp(env);
      c = await seedClinic(t.http);
    });
    afterAll(async () => {
      for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
      try {
        await t?.close();
      } finally {
        await deleteKeysOf(testRedisUrl(), env.QUEUE_PREFIX);
      }
    });

    it('resumes after SIGKILL and writes every resource exactly once', async () => {
      const ids = await seedPatients(t, c, 40);
      const kick = await kickOff(t, c.adminKey, 'Patient/$export?_type=Patient,Observation');
      expect(kick.status).toBe(202);
      const exportId = kick.headers['content-location'].split('/').pop();
      const progress = async () =>
        (
          await t.db.query(
            'SELECT patients_done, patients_total, status FROM fhir_exports WHERE id = $1',
            [exportId],
          )
        )[0];
      const first = start('worker', env);
      workers.push(first);
      await eventually(
        async () => {
          const p = await progress();
          return p.patients_done >= 3 && p.patients_done < p.patients_total - 5;
        },
        60_000,
        'export midway',
      );
      // The status says how far it is.
      const midway = await t.http
        .get(path(kick.headers['content-location']))
        .set(bearer(c.adminKey));
      expect(midway.status).toBe(202);
      expect(midway.headers['x-progress']).toMatch(/^\d+ of \d+ patients \(\d+%\)$/);
      first.kill('SIGKILL');
      await finished(first);
      const atKill = await progress();
      expect(atKill.status).toBe('running');
      const second = start('worker', env);
      workers.push(second);
      const manifest = await manifestOf(t, c.adminKey, kick.headers['content-location']);
      second.kill('SIGTERM');
      await finished(second);
      const byType = new Map<string, Json[]>();
      for (const file of manifest.output as Json[]) {
        byType.set(file.type, await download(t, c.adminKey, file.url));
      }
      const patients = byType.get('Patient')!;
      expect(patients.map((p) => p.id).sort()).toEqual(
        [...ids, c.patient.id, c.otherPatient.id].sort(),
      );
      const observations = byType.get('Observation')!;
      const keys = observations.map((o) => o.id);
      expect(new Set(keys).size).toBe(keys.length);
      // 10 days of steps and one pain score for each seeded patient.
      expect(observations).toHaveLength(ids.length * 11);
    });

    it('stops a running export that is cancelled, leaving no files behind', async () => {
      const kick = await kickOff(t, c.adminKey, 'Patient/$export?_type=Patient,Observation');
      const statusUrl: string = kick.headers['content-location'];
      const exportId = statusUrl.split('/').pop();
      const worker = start('worker', env);
      workers.push(worker);
      await eventually(
        async () => {
          const [row] = await t.db.query('SELECT patients_done FROM fhir_exports WHERE id = $1', [
            exportId,
          ]);
          return row && row.patients_done >= 2;
        },
        60_000,
        'export running',
      );
      await t.http.delete(path(statusUrl)).set(bearer(c.adminKey)).expect(202);
      await t.http.get(path(statusUrl)).set(bearer(c.adminKey)).expect(404);
      // The batch under way commits nothing more: no chunk of the export is left, then or later.
      const chunks = async () =>
        (
          await t.db.query(
            'SELECT count(*)::int AS n FROM fhir_export_chunks WHERE export_id = $1',
            [exportId],
          )
        )[0].n;
      expect(await chunks()).toBe(0);
      await new Promise((r) => setTimeout(r, 1000));
      expect(await chunks()).toBe(0);
      // The worker is free for the next export.
      const next = await kickOff(t, c.adminKey, 'Patient/$export?_type=Patient');
      await manifestOf(t, c.adminKey, next.headers['content-location']);
      worker.kill('SIGTERM');
      await finished(worker);
    });
  });
});
