import { createSciatrackClient, importActivity, type SciatrackClient } from '@sciatrack/client';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildOpenApiDocument } from '../apps/api/src/openapi-document';
import { createTestApp, TestApp } from './support/app';
import { Clinic, seedClinic } from './support/factories';

const REPO_ROOT = join(__dirname, '..');

describe('the typed client (packages/client)', () => {
  it('is generated from the OpenAPI document of the current sources', async () => {
    // The document from the sources under test; the types from it by the generator itself, in
    // a process of its own (openapi-typescript is an ES module Jest cannot load).
    const dir = await mkdtemp(join(tmpdir(), 'sciatrack-openapi-'));
    try {
      const document = join(dir, 'openapi.json');
      await writeFile(document, JSON.stringify(await buildOpenApiDocument()));
      const script = join(REPO_ROOT, 'dist/scripts/generate-client.js');
      const run = promisify(execFile)(process.execPath, [
        script,
        '--check',
        '--document',
        document,
      ]);
      // Stale after a change of a route or a DTO: `npm run client:generate`, and commit.
      await expect(run).resolves.toMatchObject({ stdout: '' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe('against the running API', () => {
    let t: TestApp;
    let c: Clinic;
    let admin: SciatrackClient;

    beforeAll(async () => {
      t = await createTestApp();
      c = await seedClinic(t.http);
      await new Promise<void>((resolve) => t.server.listen(0, '127.0.0.1', resolve));
      const { port } = t.server.address() as AddressInfo;
      admin = createSciatrackClient(`http://127.0.0.1:${port}/`, c.adminKey);
    });
    afterAll(() => t.close());

    it('creates and reads a patient with typed bodies and answers', async () => {
      const created = await admin.POST('/v1/patients', {
        body: {
          externalRef: 'CLIENT-1',
          timezone: 'Europe/Paris',
          clinicianId: c.clinician.id,
          baselinePain: { intensity: 5, mostDistalSite: 'calf', side: 'left' },
        },
      });
      expect(created.response.status).toBe(201);
      const id = created.data!.id;
      const read = await admin.GET('/v1/patients/{id}', { params: { path: { id } } });
      expect(read.data).toMatchObject({
        id,
        externalRef: 'CLIENT-1',
        baselinePain: { intensity: 5, mostDistalSite: 'calf', side: 'left' },
        startBack: null,
      });
    });

    it('answers a refusal as problem details', async () => {
      const refused = await admin.POST('/v1/patients', {
        body: {
          externalRef: 'CLIENT-2',
          timezone: 'Mars/Olympus_Mons',
          clinicianId: c.clinician.id,
        },
      });
      expect(refused.response.status).toBe(422);
      expect(refused.data).toBeUndefined();
      expect(refused.error).toMatchObject({
        status: 422,
        type: '/problems/validation-error',
        errors: [{ field: 'timezone' }],
      });
    });

    it('sends an Idempotency-Key and reads a page with a query', async () => {
      const body = { name: 'Replayed app' };
      const params = { header: { 'Idempotency-Key': 'client-spec-1' } };
      const first = await admin.POST('/v1/client-apps', { params, body });
      const again = await admin.POST('/v1/client-apps', { params, body });
      expect(again.data?.id).toBe(first.data?.id);
      expect(again.response.headers.get('Idempotent-Replayed')).toBe('true');
      const page = await admin.GET('/v1/client-apps', { params: { query: { limit: 1 } } });
      expect(page.data?.data).toHaveLength(1);
      expect(page.data?.nextCursor).toEqual(expect.any(String));
    });

    it('imports activity in a JSON format and as the Apple Health XML export', async () => {
      const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
      const native = await importActivity(admin, c.patient.id, 'native', {
        source: { name: 'client-spec-watch' },
        samples: [{ start: `${yesterday}T09:00:00Z`, end: `${yesterday}T09:30:00Z`, steps: 1800 }],
      });
      expect(native.response.status).toBe(202);
      expect(native.data).toEqual({ id: expect.any(String), status: 'completed' });

      const xml = await importActivity(
        admin,
        c.patient.id,
        'apple-health-xml',
        '<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_GB">\n' +
          ' <Record type="HKQuantityTypeIdentifierStepCount" sourceName="iPhone" unit="count"' +
          ` startDate="${yesterday} 10:00:00 +0000" endDate="${yesterday} 10:10:00 +0000" value="812"/>\n` +
          '</HealthData>\n',
      );
      expect(xml.response.status).toBe(202);
      expect(xml.data).toEqual({ id: expect.any(String), status: 'queued' });

      const status = await admin.GET('/v1/activity-imports/{id}', {
        params: { path: { id: native.data!.id } },
      });
      expect(status.data).toMatchObject({ format: 'native', inserted: 1, rejected: 0 });
    });
  });
});
