import {
  ERASED_TABLES,
  EXPORT_ERASED_ERROR,
  TABLES_KEPT_ON_ERASURE,
  TABLES_WITHOUT_PATIENT_DATA,
} from '@app/persistence';
import { queueKeyPrefix, rollupJob, syncJob } from '@app/queue';
import type { INestApplicationContext } from '@nestjs/common';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { ActivityImportProcessor } from '../apps/worker/src/activity/activity-import.processor';
import { FhirExportProcessor } from '../apps/worker/src/fhir/fhir-export.processor';
import { ProviderSyncProcessor } from '../apps/worker/src/sync/provider-sync.processor';
import { WebhooksProcessor } from '../apps/worker/src/webhooks/webhooks.processor';
import { createTestApp, type TestApp } from './support/app';
import { bearer, factory, seedClinic, type Clinic } from './support/factories';
import { CLIENT, FakeWithings } from './support/fake-providers';
import { isolated } from './support/isolated';
import { Receiver } from './support/receiver';
import { createTestWorker, eventually } from './support/worker';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PUBLIC_BASE = 'https://sciatrack.test';
const path = (url: string) => new URL(url).pathname + new URL(url).search;
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

// A database and a queue prefix of its own: the dump must hold only this spec's rows, and its
// worker must meet no other spec's jobs. A failed webhook attempt waits an hour, so that its
// retry is a delayed job when the patient is erased.
const space = isolated('erasure', {
  OUTBOX_POLL_MS: '200',
  WEBHOOK_RETRY_SCHEDULE: '3600',
  WEBHOOK_TIMEOUT_MS: '3000',
});

/** The lines of a data-only dump, by the table whose COPY block holds them. */
async function dumpByTable(url: string): Promise<Map<string, string[]>> {
  const { stdout } = await promisify(execFile)(
    'pg_dump',
    ['--data-only', '--no-owner', '--no-privileges', `--dbname=${url}`],
    { maxBuffer: 1024 * 1024 * 1024 },
  );
  const tables = new Map<string, string[]>();
  let table: string | null = null;
  for (const line of stdout.split('\n')) {
    if (table === null) {
      const copy = /^COPY (?:public\.)?"?([\w]+)"? /.exec(line);
      if (copy) {
        table = copy[1];
        tables.set(table, []);
      } else if (line.trim() && !/^(--|SET |SELECT |\\restrict |\\unrestrict )/.test(line)) {
        // Anything outside a COPY block that is not the dump's own settings is unexpected.
        tables.set('(outside COPY)', [...(tables.get('(outside COPY)') ?? []), line]);
      }
    } else if (line === '\\.') {
      table = null;
    } else {
      tables.get(table)!.push(line);
    }
  }
  return tables;
}

/** The tables whose dumped rows contain any of `needles` (case-insensitive). */
function tablesContaining(dump: Map<string, string[]>, needles: string[]): Map<string, number> {
  const lowered = needles.map((n) => n.toLowerCase());
  const found = new Map<string, number>();
  for (const [table, lines] of dump) {
    const n = lines.filter((l) => lowered.some((x) => l.toLowerCase().includes(x))).length;
    if (n > 0) found.set(table, n);
  }
  return found;
}

/** Every key of a queue prefix and what it holds, as text. */
async function redisContents(redisUrl: string, prefix: string): Promise<Map<string, string>> {
  const redis = new IORedis(redisUrl);
  const contents = new Map<string, string>();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `{${prefix}*`, 'COUNT', 1000);
      for (const key of keys) {
        const type = await redis.type(key);
        const value =
          type === 'hash'
            ? await redis.hgetall(key)
            : type === 'list'
              ? await redis.lrange(key, 0, -1)
              : type === 'zset'
                ? await redis.zrange(key, 0, -1)
                : type === 'set'
                  ? await redis.smembers(key)
                  : type === 'stream'
                    ? await redis.xrange(key, '-', '+')
                    : type === 'string'
                      ? await redis.get(key)
                      : type;
        contents.set(key, JSON.stringify(value));
      }
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return contents;
}

describe('erasure on request', () => {
  const withings = new FakeWithings();
  const receiver = new Receiver();
  let env: Record<string, string>;
  let t: TestApp;
  let worker: INestApplicationContext | undefined;
  let queues: Record<'activity' | 'webhooks' | 'sync', Queue>;

  beforeAll(async () => {
    await withings.start();
    await receiver.start();
    receiver.script('/down', [{ status: 500 }]);
    env = {
      ...space.env,
      PUBLIC_BASE_URL: PUBLIC_BASE,
      WITHINGS_CLIENT_ID: CLIENT.id,
      WITHINGS_CLIENT_SECRET: CLIENT.secret,
      WITHINGS_AUTH_URL: `${withings.url}/oauth2_user/authorize2`,
      WITHINGS_API_URL: withings.url,
    };
    await space.setUp();
    t = await createTestApp(env);
    const connection = { url: t.config.REDIS_URL };
    queues = {
      activity: new Queue('activity', {
        connection,
        prefix: queueKeyPrefix(env.QUEUE_PREFIX, 'activity'),
      }),
      webhooks: new Queue('webhooks', {
        connection,
        prefix: queueKeyPrefix(env.QUEUE_PREFIX, 'webhooks'),
      }),
      sync: new Queue('sync', { connection, prefix: queueKeyPrefix(env.QUEUE_PREFIX, 'sync') }),
    };
  });
  afterAll(async () => {
    try {
      await Promise.all(Object.values(queues ?? {}).map((q) => q.close()));
      await worker?.close();
      await t?.close();
      await receiver.stop();
      await withings.stop();
    } finally {
      await space.tearDown();
    }
  });

  const startWorker = async () => {
    worker = await createTestWorker(env);
  };
  const stopWorker = async () => {
    await worker?.close();
    worker = undefined;
  };

  it('names every table as erased, kept or holding no patient data, and erases every table that can hold a patient’s rows', async () => {
    const tables: { name: string; patient_id: boolean }[] = await t.db.query(
      `SELECT c.relname AS name,
              EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'patient_id'
                      AND NOT a.attisdropped) AS patient_id
       FROM pg_class c
       WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
       ORDER BY 1`,
    );
    const kept = Object.keys(TABLES_KEPT_ON_ERASURE);
    const without = Object.keys(TABLES_WITHOUT_PATIENT_DATA);
    const named = [...ERASED_TABLES, ...kept, ...without];
    // Each table in exactly one list, and no list naming a table that is not there.
    expect(named.length).toBe(new Set(named).size);
    expect([...named].sort()).toEqual(tables.map((r) => r.name));

    // A table with a patient_id column is erased (or the audit log).
    const withPatient = tables.filter((r) => r.patient_id).map((r) => r.name);
    expect(withPatient.filter((n) => !ERASED_TABLES.includes(n) && !kept.includes(n))).toEqual([]);

    // A table whose rows hang off an erased table's (a foreign key) is erased too.
    const references: { child: string; parent: string }[] = await t.db.query(
      `SELECT ch.relname AS child, pa.relname AS parent
       FROM pg_constraint k
       JOIN pg_class ch ON ch.oid = k.conrelid
       JOIN pg_class pa ON pa.oid = k.confrelid
       WHERE k.contype = 'f' AND k.conparentid = 0 AND NOT ch.relispartition`,
    );
    const hanging = references.filter(
      (r) => ERASED_TABLES.includes(r.parent) && !ERASED_TABLES.includes(r.child),
    );
    expect(hanging).toEqual([]);
  });

  describe('a patient with data in every table', () => {
    let a: Clinic;
    let b: Clinic;
    const marker = `erasure-marker-${randomUUID().slice(0, 8)}`;
    const externalRef = `ERASE-${randomUUID().slice(0, 8)}`;
    // What each patient's free text, devices and payloads carry: P's must be gone.
    const marks = { p: `${marker}-erased`, q: `${marker}-kept`, r: `${marker}-other` };
    let p: string;
    let q: string;
    let r: string;
    const records: Record<string, string[]> = {};
    let before: Record<string, Record<string, number>>;
    let exports: { all: string; panel: string; other: string };
    let otherDeliveries: string[];

    /** What the API writes for a patient, each free text and device name carrying `mark`. */
    async function recordsOf(
      c: Clinic,
      patientId: string,
      clinicianId: string,
      key: string,
      mark: string,
    ): Promise<void> {
      const appKey = c.appKey;
      const f = factory(t.http);
      const http = t.http;
      await http
        .post(`/v1/patients/${patientId}/programs`)
        .set(bearer(key))
        .send({
          startDate: '2026-11-01',
          items: [{ exerciseCode: 'prone_press_up', timesPerDay: 4 }],
          walkingGoal: { dailySteps: 4000 },
        })
        .expect(201);
      await http
        .post(`/v1/patients/${patientId}/sessions`)
        .set(bearer(appKey))
        .send({
          clientRef: `${mark}-session`,
          performedAt: minutesAgo(90),
          items: [{ exerciseCode: 'prone_press_up', reps: 10, holdSeconds: 5 }],
          painBefore: { intensity: 3, mostDistalSite: 'buttock' },
          painAfter: { intensity: 2, mostDistalSite: 'low_back' },
        })
        .expect(201);
      // A red flag: a finding, an urgent alert, its outbox event and webhook deliveries; sent
      // with an Idempotency-Key, whose stored answer names the patient.
      await http
        .post(`/v1/patients/${patientId}/pain-reports`)
        .set(bearer(appKey))
        .set('Idempotency-Key', `${mark}-${patientId}`)
        .send({
          clientRef: `${mark}-pain`,
          reportedAt: minutesAgo(60),
          intensity: 6,
          mostDistalSite: 'calf',
          side: 'left',
          context: 'baseline',
          redFlags: { fever: true },
        })
        .expect(201);
      await http
        .post(`/v1/patients/${patientId}/questionnaires`)
        .set(bearer(key))
        .send({
          instrument: 'odi',
          completedAt: minutesAgo(30),
          answers: { sections: [2, 2, 1, 3, 2, 1, null, 2, 1, 2] },
        })
        .expect(201);
      await http
        .post(`/v1/patients/${patientId}/rtm-episodes`)
        .set(bearer(key))
        .send({ startDate: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10) })
        .expect(201);
      await http
        .post(`/v1/patients/${patientId}/care-time`)
        .set(bearer(key))
        .send({
          startedAt: minutesAgo(20),
          minutes: 12,
          interactive: true,
          kind: 'call',
          note: `${mark} called about the leg`,
          clinicianId,
        })
        .expect(201);
      // Steps in the request (native) and through the worker (a stored payload).
      await http
        .post(`/v1/patients/${patientId}/activity-imports?format=native`)
        .set(bearer(appKey))
        .send({
          source: { name: 'phone', device: `${mark}-phone` },
          samples: [{ start: minutesAgo(50), end: minutesAgo(49), steps: 80 }],
        })
        .expect(202);
      await http
        .post(`/v1/patients/${patientId}/activity-imports?format=health-connect`)
        .set(bearer(appKey))
        .send(healthConnect(mark, `${mark}-watch-${randomUUID()}`, 40))
        .expect(202);
      await f.painReport(appKey, patientId, { intensity: 2 });
    }

    const healthConnect = (mark: string, recordId: string, minutes: number) => ({
      records: [
        {
          startTime: minutesAgo(minutes),
          startZoneOffset: '+00:00',
          endTime: minutesAgo(minutes - 5),
          endZoneOffset: '+00:00',
          count: 300,
          metadata: {
            id: recordId,
            dataOrigin: { packageName: 'com.example.fitness' },
            device: { type: 1, manufacturer: 'Marker', model: `${mark}-watch` },
          },
        },
      ],
    });

    /** Rows of each patient-keyed table per patient, and deliveries and events naming them. */
    async function countsOf(patientIds: string[]): Promise<Record<string, Record<string, number>>> {
      const counts: Record<string, Record<string, number>> = {};
      for (const id of patientIds) counts[id] = {};
      const tables: { name: string }[] = await t.db.query(
        // Partitions are counted with their table (activity_samples' months).
        `SELECT c.relname AS name FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
           AND NOT c.relispartition AND a.attname = 'patient_id' AND NOT a.attisdropped
           AND c.relname <> 'audit_log'`,
      );
      for (const { name } of tables) {
        const rows: { id: string; n: number }[] = await t.db.query(
          `SELECT patient_id AS id, count(*)::int AS n FROM ${name}
           WHERE patient_id = ANY($1::uuid[]) GROUP BY 1`,
          [patientIds],
        );
        for (const id of patientIds) counts[id][name] = rows.find((x) => x.id === id)?.n ?? 0;
      }
      for (const id of patientIds) {
        const [{ deliveries, events, keys }] = await t.db.query(
          `SELECT (SELECT count(*)::int FROM webhook_deliveries WHERE strpos(body, $1) > 0) AS deliveries,
                  (SELECT count(*)::int FROM outbox WHERE strpos(payload::text, $1) > 0) AS events,
                  (SELECT count(*)::int FROM idempotency_keys WHERE strpos(path, $1) > 0) AS keys`,
          [id],
        );
        Object.assign(counts[id], { deliveries, events, idempotency_keys: keys });
      }
      return counts;
    }

    async function exportOf(key: string, what = 'Patient/$export'): Promise<string> {
      const res = await t.http
        .get(`/fhir/R4/${what}`)
        .set(bearer(key))
        .set('Accept', 'application/fhir+json')
        .set('Prefer', 'respond-async')
        .expect(202);
      const status = path(res.headers['content-location']);
      await eventually(
        async () => (await t.http.get(status).set(bearer(key))).status === 200,
        30_000,
        'export complete',
      );
      return status.split('/').pop()!;
    }

    beforeAll(async () => {
      await startWorker();
      a = await seedClinic(t.http);
      b = await seedClinic(t.http);
      const f = factory(t.http);
      for (const c of [a, b]) {
        await f.webhookEndpoint(c.adminKey, { url: receiver.url('/ok') });
        await f.webhookEndpoint(c.adminKey, { url: receiver.url('/down') });
      }
      // P: the patient to erase; Q: another patient of the same clinic; R: another clinic's.
      const created = await t.http
        .post('/v1/patients')
        .set(bearer(a.adminKey))
        .set('Idempotency-Key', `${marker}-create`)
        .send({ externalRef, timezone: 'Europe/London', clinicianId: a.clinician.id })
        .expect(201);
      p = created.body.id;
      await f.enroll(a.adminKey, p, a.clientApp.id);
      q = a.otherPatient.id;
      await f.enroll(a.adminKey, q, a.clientApp.id);
      r = b.patient.id;
      await recordsOf(a, p, a.clinician.id, a.clinicianKey, marks.p);
      await recordsOf(a, q, a.otherClinician.id, a.adminKey, marks.q);
      await recordsOf(b, r, b.clinician.id, b.clinicianKey, marks.r);

      // P's Withings account, connected for real: tokens sealed, a backfill pulled.
      // Withings ids are numbers.
      withings.consentingUser = String(Math.floor(1e9 + Math.random() * 9e9));
      withings.setDays(withings.consentingUser, [
        {
          date: new Date().toISOString().slice(0, 10),
          steps: 4321,
          timezone: 'Europe/London',
          modified: Math.floor(Date.now() / 1000),
        },
      ]);
      const pending = await t.http
        .post(`/v1/patients/${p}/connections`)
        .set(bearer(a.appKey))
        .send({ provider: 'withings' })
        .expect(201);
      const consent = await fetch(pending.body.authorizeUrl, { redirect: 'manual' });
      await t.http.get(path(consent.headers.get('location')!)).expect(200);
      await eventually(
        async () =>
          (
            await t.db.query(
              `SELECT 1 FROM wearable_connections WHERE id = $1 AND last_sync_at IS NOT NULL`,
              [pending.body.id],
            )
          ).length > 0,
        20_000,
        'backfill',
      );

      // The worker's part: imports done, alerts delivered (one endpoint down), exports written.
      await eventually(
        async () =>
          (
            await t.db.query(
              `SELECT 1 FROM activity_imports WHERE status NOT IN ('completed', 'failed')`,
            )
          ).length === 0,
        20_000,
        'imports',
      );
      await eventually(
        async () =>
          (
            await t.db.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE attempts > 0`)
          )[0].n >= 6,
        20_000,
        'webhook attempts',
      );
      exports = {
        all: await exportOf(a.adminKey),
        panel: await exportOf(a.otherClinicianKey),
        other: await exportOf(b.adminKey),
      };
      await stopWorker();

      // What the worker's schedules compute, where it has not run yet.
      for (const [c, id] of [
        [a, p],
        [a, q],
        [b, r],
      ] as const) {
        await t.db.query(
          `INSERT INTO adherence_weeks (organization_id, patient_id, week_start, prescribed_sessions, completed_sessions,
                                        walking_goal_days, walking_days_met, active_days, data_days)
           VALUES ($1, $2, date_trunc('week', now())::date, 28, 1, 7, 1, 1, 1) ON CONFLICT DO NOTHING`,
          [c.org.id, id],
        );
        await t.db.query(
          `INSERT INTO patient_progress (organization_id, patient_id, as_of, flags, data_days_30)
           VALUES ($1, $2, current_date, '[]', 1) ON CONFLICT DO NOTHING`,
          [c.org.id, id],
        );
        await t.db.query(
          `INSERT INTO worklist_entries (organization_id, patient_id, clinician_id, band, score, oldest_urgent_at,
                                         reasons, computed_at)
           SELECT organization_id, id, clinician_id, 0, 100, now(), '[]', now() FROM patients WHERE id = $1
           ON CONFLICT DO NOTHING`,
          [id],
        );
        await t.db.query(
          `INSERT INTO adherence_dirty (organization_id, patient_id) VALUES ($1, $2)`,
          [c.org.id, id],
        );
        await t.db.query(
          `INSERT INTO activity_dirty_days (organization_id, patient_id, local_date) VALUES ($1, $2, current_date)`,
          [c.org.id, id],
        );
      }

      // Jobs waiting when the erasure comes: a stored import (its raw payload kept), a rollup,
      // a pull, and the delayed retries of the endpoint that is down.
      for (const [id, mark] of [
        [p, marks.p],
        [q, marks.q],
      ] as const) {
        await t.http
          .post(`/v1/patients/${id}/activity-imports?format=health-connect`)
          .set(bearer(a.appKey))
          .send(healthConnect(mark, `${mark}-pending-${randomUUID()}`, 30))
          .expect(202);
        await t.http
          .post(`/v1/patients/${id}/activity-imports?format=native`)
          .set(bearer(a.appKey))
          .send({
            source: { name: 'phone', device: `${mark}-phone` },
            samples: [{ start: minutesAgo(10), end: minutesAgo(9), steps: 30 }],
          })
          .expect(202);
      }
      const pull = syncJob(pending.body.id, 'scheduled', Date.now());
      await queues.sync.add('provider.sync', pull.payload, { jobId: pull.jobId, delay: 600_000 });

      const ids = async (sql: string, patientId = p) =>
        (await t.db.query<{ id: string }[]>(sql, [patientId])).map((x) => x.id);
      for (const table of [
        'programs',
        'sessions',
        'pain_reports',
        'findings',
        'questionnaires',
        'alerts',
        'activity_imports',
        'rtm_episodes',
        'care_time_entries',
        'wearable_connections',
      ]) {
        records[table] = await ids(`SELECT id FROM ${table} WHERE patient_id = $1`);
      }
      records.deliveries = await ids(
        `SELECT id FROM webhook_deliveries WHERE strpos(body, $1::text) > 0`,
      );
      records.events = await ids(`SELECT id FROM outbox WHERE strpos(payload::text, $1::text) > 0`);
      otherDeliveries = await ids(
        `SELECT id FROM webhook_deliveries WHERE strpos(body, $1::text) > 0`,
        q,
      );
      before = await countsOf([p, q, r]);
    }, 180_000);

    it('has built data in every table it can for the patient, and the jobs that name it', async () => {
      for (const [table, n] of Object.entries(before[p])) {
        expect([table, n > 0]).toEqual([table, true]);
      }
      expect(records.deliveries.length).toBeGreaterThanOrEqual(2);
      const [{ chunks, states }] = await t.db.query(
        `SELECT (SELECT count(*)::int FROM activity_import_chunks k JOIN activity_imports i ON i.id = k.import_id
                 WHERE i.patient_id = $1) AS chunks,
                (SELECT count(*)::int FROM oauth_states s JOIN wearable_connections c ON c.id = s.connection_id
                 WHERE c.patient_id = $1) AS states`,
        [p],
      );
      expect({ chunks, states }).toEqual({ chunks: 1, states: 1 });
      const fhirChunks: { n: number }[] = await t.db.query(
        `SELECT count(*)::int AS n FROM fhir_export_chunks WHERE export_id = $1 AND strpos(data, $2) > 0`,
        [exports.all, p],
      );
      expect(fhirChunks[0].n).toBeGreaterThan(0);
      const rollup = rollupJob(a.org.id, p);
      expect(await queues.activity.getJob(rollup.jobId)).toBeDefined();
      const delayed = await queues.webhooks.getJobs(['delayed']);
      expect(delayed.some((j) => records.deliveries.includes(j.data.deliveryId))).toBe(true);
    });

    it('refuses roles other than admin, another organization and an unknown patient', async () => {
      for (const key of [a.clinicianKey, a.appKey, a.dashboardKey]) {
        await t.http.delete(`/v1/patients/${p}`).set(bearer(key)).expect(403);
      }
      await t.http.delete(`/v1/patients/${p}`).set(bearer(b.adminKey)).expect(404);
      await t.http.delete(`/v1/patients/${randomUUID()}`).set(bearer(a.adminKey)).expect(404);
      await t.http.delete(`/v1/patients/not-a-uuid`).set(bearer(a.adminKey)).expect(404);
      await t.http.get(`/v1/patients/${p}`).set(bearer(a.adminKey)).expect(200);
    });

    describe('once erased', () => {
      let requestId: string;
      beforeAll(async () => {
        requestId = `erase-${randomUUID()}`;
        await t.http
          .delete(`/v1/patients/${p.toUpperCase()}`)
          .set(bearer(a.adminKey))
          .set('x-request-id', requestId)
          .expect(204);
      }, 60_000);

      it('records the erasure in one audit row: who, when, which patient', async () => {
        const rows = await t.db.query(
          `SELECT organization_id, api_key_id, actor_role, action, patient_id, resource_id, outcome, status,
                  occurred_at > now() - interval '1 minute' AS recent
           FROM audit_log WHERE request_id = $1`,
          [requestId],
        );
        expect(rows).toEqual([
          {
            organization_id: a.org.id,
            api_key_id: a.org.adminKeyId,
            actor_role: 'admin',
            action: 'patient.erase',
            patient_id: p,
            resource_id: null,
            outcome: 'success',
            status: 204,
            recent: true,
          },
        ]);
      });

      it('leaves the patient’s id, externalRef and records only in audit rows (pg_dump)', async () => {
        const dump = await dumpByTable(space.env.DATABASE_OWNER_URL);
        expect(dump.get('(outside COPY)')).toBeUndefined();
        expect(dump.get('audit_log')!.length).toBeGreaterThan(0);
        // The patient's id: the audit log only.
        expect([...tablesContaining(dump, [p]).keys()]).toEqual(['audit_log']);
        // What only the patient's records held: nowhere, in text or as bytes (raw payloads).
        const hex = (s: string) => Buffer.from(s).toString('hex');
        expect(Object.fromEntries(tablesContaining(dump, [externalRef, hex(externalRef)]))).toEqual(
          {},
        );
        expect(Object.fromEntries(tablesContaining(dump, [marks.p, hex(marks.p)]))).toEqual({});
        // The same marks of the patient kept are all there.
        expect([...tablesContaining(dump, [marks.q, hex(marks.q)]).keys()]).toEqual(
          expect.arrayContaining([
            'sessions',
            'pain_reports',
            'care_time_entries',
            'activity_sources',
            'activity_import_chunks',
            'idempotency_keys',
          ]),
        );
        const ids = Object.values(records).flat();
        expect(ids.length).toBeGreaterThan(15);
        expect(Object.fromEntries(tablesContaining(dump, ids))).toEqual({});
        // The audit rows about the patient hold ids, no content.
        const audited = dump.get('audit_log')!.filter((l) => l.includes(p));
        expect(audited.length).toBeGreaterThan(5);
        expect(audited.filter((l) => l.includes(marks.p) || l.includes(externalRef))).toEqual([]);
      });

      it('keeps the other patients’ data, in this clinic and the other', async () => {
        const after = await countsOf([p, q, r]);
        expect(after[q]).toEqual(before[q]);
        expect(after[r]).toEqual(before[r]);
        expect(Object.values(after[p]).every((n) => n === 0)).toBe(true);
        await t.http.get(`/v1/patients/${q}`).set(bearer(a.adminKey)).expect(200);
        await t.http.get(`/v1/patients/${r}`).set(bearer(b.adminKey)).expect(200);
        await t.http.get(`/v1/patients/${p}`).set(bearer(a.adminKey)).expect(404);
        const alerts = await t.http.get('/v1/alerts').set(bearer(a.adminKey)).expect(200);
        expect([
          ...new Set(alerts.body.data.map((x: { patientId: string }) => x.patientId)),
        ]).toEqual([q]);
      });

      it('fails the exports whose files held the patient, and leaves the others', async () => {
        const rows: { id: string; status: string; error: string | null; chunks: number }[] =
          await t.db.query(
            `SELECT e.id, e.status, e.error,
                    (SELECT count(*)::int FROM fhir_export_chunks c WHERE c.export_id = e.id) AS chunks
             FROM fhir_exports e WHERE e.id = ANY($1::uuid[])`,
            [[exports.all, exports.panel, exports.other]],
          );
        const byId = new Map(rows.map((x) => [x.id, x]));
        expect(byId.get(exports.all)).toMatchObject({
          status: 'failed',
          error: EXPORT_ERASED_ERROR,
          chunks: 0,
        });
        // Another clinician's panel (Q only) and another clinic's export are untouched.
        expect(byId.get(exports.panel)).toMatchObject({ status: 'completed', error: null });
        expect(byId.get(exports.panel)!.chunks).toBeGreaterThan(0);
        expect(byId.get(exports.other)).toMatchObject({ status: 'completed', error: null });
        expect(byId.get(exports.other)!.chunks).toBeGreaterThan(0);
      });

      it('removes the queue jobs that name the patient’s records, and only those', async () => {
        const contents = await redisContents(t.config.REDIS_URL, env.QUEUE_PREFIX);
        const ids = [p, ...records.activity_imports, ...records.deliveries, ...records.events];
        ids.push(...records.wearable_connections);
        const naming = [...contents].filter(([key, value]) =>
          ids.some((id) => key.includes(id) || value.includes(id)),
        );
        expect(naming.map(([key]) => key)).toEqual([]);
        // Q's are still there.
        expect(await queues.activity.getJob(rollupJob(a.org.id, q).jobId)).toBeDefined();
        const delayed = await queues.webhooks.getJobs(['delayed']);
        expect(delayed.some((j) => otherDeliveries.includes(j.data.deliveryId))).toBe(true);
      });

      it('revokes the patient’s grant at the wearable cloud', () => {
        const grants = withings.grants.filter((g) => g.user === withings.consentingUser);
        expect(grants.length).toBeGreaterThan(0);
        expect(grants.every((g) => g.revoked)).toBe(true);
      });

      it('lets the externalRef name a new patient', async () => {
        const again = await t.http
          .post('/v1/patients')
          .set(bearer(a.adminKey))
          .send({ externalRef, timezone: 'UTC', clinicianId: a.clinician.id })
          .expect(201);
        expect(again.body.id).not.toBe(p);
      });

      it('answers 204 again to the same organization, and 404 to another', async () => {
        const again = `erase-${randomUUID()}`;
        await t.http
          .delete(`/v1/patients/${p}`)
          .set(bearer(a.adminKey))
          .set('x-request-id', again)
          .expect(204);
        expect(
          await t.db.query(
            `SELECT action, outcome, patient_id FROM audit_log WHERE request_id = $1`,
            [again],
          ),
        ).toEqual([{ action: 'patient.erase', outcome: 'success', patient_id: p }]);
        await t.http.delete(`/v1/patients/${p}`).set(bearer(b.adminKey)).expect(404);
      });

      it('leaves the worker’s processors nothing to do for the erased records', async () => {
        await startWorker();
        const job = { attemptsMade: 0, opts: { attempts: 1 }, id: 'erased' } as never;
        const imports = worker!.get(ActivityImportProcessor);
        for (const importId of records.activity_imports) {
          await expect(imports.importActivity({ importId }, job)).resolves.toEqual({
            status: 'skipped',
          });
        }
        await expect(imports.rollUp({ organizationId: a.org.id, patientId: p })).resolves.toBe(
          undefined,
        );
        const webhooks = worker!.get(WebhooksProcessor);
        for (const deliveryId of records.deliveries) {
          await expect(webhooks.deliver({ deliveryId })).resolves.toEqual({
            outcome: 'not due or taken',
          });
        }
        for (const eventId of records.events) {
          await expect(webhooks.fanOut({ eventId })).resolves.toEqual({ deliveries: 0 });
        }
        const sync = worker!.get(ProviderSyncProcessor);
        for (const connectionId of records.wearable_connections) {
          await expect(sync.sync({ connectionId }, job)).resolves.toEqual({
            status: 'not-connected',
          });
        }
        await expect(
          worker!.get(FhirExportProcessor).run({ exportId: exports.all }, job),
        ).resolves.toEqual({ status: 'skipped' });
        // Q's pending import, left in the queue, is imported.
        await eventually(
          async () =>
            (
              await t.db.query(
                `SELECT 1 FROM activity_imports WHERE status NOT IN ('completed', 'failed')`,
              )
            ).length === 0,
          20_000,
          'Q’s import',
        );
        await stopWorker();
      });
    });
  });

  describe('export', () => {
    let c: Clinic;
    const marker = `export-marker-${randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      c = await seedClinic(t.http);
    });

    it('holds every record posted, the audit rows, the FHIR record, and no secret', async () => {
      const id = c.patient.id;
      const f = factory(t.http);
      await t.http
        .post(`/v1/patients/${id}/programs`)
        .set(bearer(c.clinicianKey))
        .send({ startDate: '2026-11-01', items: [{ exerciseCode: 'bird_dog', daysPerWeek: 3 }] })
        .expect(201);
      await t.http
        .post(`/v1/patients/${id}/sessions`)
        .set(bearer(c.appKey))
        .send({
          clientRef: `${marker}-session`,
          performedAt: minutesAgo(30),
          items: [{ exerciseCode: 'bird_dog', reps: 10 }],
        })
        .expect(201);
      await f.painReport(c.appKey, id, { clientRef: `${marker}-pain`, redFlags: { fever: true } });
      await t.http
        .post(`/v1/patients/${id}/questionnaires`)
        .set(bearer(c.clinicianKey))
        .send({
          instrument: 'odi',
          completedAt: minutesAgo(20),
          answers: { sections: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1] },
        })
        .expect(201);
      await t.http
        .post(`/v1/patients/${id}/activity-imports?format=native`)
        .set(bearer(c.appKey))
        .send({
          source: { name: 'phone' },
          samples: [{ start: minutesAgo(15), end: minutesAgo(14), steps: 70 }],
        })
        .expect(202);
      // More samples than a page holds (5,000), written as the worker would.
      await t.db.query(
        `INSERT INTO activity_samples (organization_id, patient_id, source_key, start_at, end_at, steps, granularity)
         SELECT $1, $2, 'bulk', s, s + interval '1 minute', 1, 'interval'
         FROM generate_series(now() - interval '6000 minutes', now() - interval '500 minutes', interval '1 minute') s`,
        [c.org.id, id],
      );
      const connection = await t.http
        .post(`/v1/patients/${id}/connections`)
        .set(bearer(c.appKey))
        .send({ provider: 'withings' })
        .expect(201);
      const secret = `${marker}-token`;
      await t.db.query(
        `UPDATE wearable_connections SET access_token = $2, refresh_token = $2, cursor = $3 WHERE id = $1`,
        [connection.body.id, Buffer.from(secret), JSON.stringify({ marker: `${marker}-cursor` })],
      );
      await t.http.get(`/v1/patients/${id}`).set(bearer(c.clinicianKey)).expect(200);

      const requestId = `export-${randomUUID()}`;
      const res = await t.http
        .get(`/v1/patients/${id}/export`)
        .set(bearer(c.adminKey))
        .set('x-request-id', requestId)
        .buffer(true)
        .parse((response, done) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => done(null, text));
        })
        .expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const text = res.body as string;
      const doc = JSON.parse(text) as Json;

      expect(doc.patient).toMatchObject({ id, clinicianId: c.clinician.id });
      expect(doc.enrollments).toEqual([
        expect.objectContaining({ clientAppId: c.clientApp.id, revokedAt: null }),
      ]);
      expect(doc.programs).toEqual([
        expect.objectContaining({
          version: 1,
          items: [expect.objectContaining({ exerciseCode: 'bird_dog', daysPerWeek: 3 })],
          holds: [],
        }),
      ]);
      expect(doc.sessions).toEqual([expect.objectContaining({ clientRef: `${marker}-session` })]);
      expect(doc.painReports).toEqual([
        expect.objectContaining({ clientRef: `${marker}-pain`, redFlags: { fever: true } }),
      ]);
      expect(doc.questionnaires).toEqual([expect.objectContaining({ instrument: 'odi' })]);
      expect(doc.findings.map((x: Json) => x.rule)).toContain('RED_FLAG_SYSTEMIC');
      expect(doc.alerts).toEqual([
        expect.objectContaining({ rule: 'RED_FLAG_SYSTEMIC', status: 'open' }),
      ]);
      expect(doc.activity.imports).toHaveLength(1);
      expect(doc.activity.sources.map((s: Json) => s.name).sort()).toEqual(['phone']);
      const samples = doc.activity.samples as Json[];
      expect(samples).toHaveLength(5502);
      const starts = samples.map((s) => Date.parse(s.start));
      expect(starts).toEqual([...starts].sort((x, y) => x - y));
      expect(doc.adherence).toEqual({ weeks: [], progress: null });
      expect(doc.remoteMonitoring).toEqual({ episodes: [], careTime: [] });
      expect(doc.connections).toEqual([
        expect.objectContaining({
          id: connection.body.id,
          provider: 'withings',
          status: 'pending',
        }),
      ]);
      // The organization's audit rows about the patient: the clinician's read among them.
      expect(doc.audit.map((x: Json) => x.action)).toEqual(
        expect.arrayContaining(['patient.read', 'session.create', 'pain_report.create']),
      );
      // The FHIR record: the Patient and its resources, every entry with its full URL.
      const types = new Set((doc.fhir.entry as Json[]).map((e) => e.resource.resourceType));
      expect(doc.fhir).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
      expect([...types]).toEqual(
        expect.arrayContaining(['Patient', 'CarePlan', 'Observation', 'Procedure', 'Flag']),
      );
      // No secret: tokens, the cursor, the OAuth state, request hashes.
      for (const secretText of [
        secret,
        Buffer.from(secret).toString('hex'),
        Buffer.from(secret).toString('base64'),
        `${marker}-cursor`,
      ]) {
        expect(text).not.toContain(secretText);
      }
      expect(text).not.toMatch(/accessToken|refreshToken|access_token|codeVerifier|requestHash/);

      const audited = await t.db.query(
        `SELECT action, outcome, patient_id FROM audit_log WHERE request_id = $1`,
        [requestId],
      );
      expect(audited).toEqual([{ action: 'patient.export', outcome: 'success', patient_id: id }]);
    });

    it('is refused to other roles, other clinics, and a key without every reading scope', async () => {
      for (const key of [c.clinicianKey, c.appKey, c.dashboardKey]) {
        await t.http.get(`/v1/patients/${c.patient.id}/export`).set(bearer(key)).expect(403);
      }
      const other = await seedClinic(t.http);
      await t.http
        .get(`/v1/patients/${c.patient.id}/export`)
        .set(bearer(other.adminKey))
        .expect(404);
      const narrow = await factory(t.http).apiKey(c.adminKey, {
        role: 'admin',
        scopes: ['patients:read', 'records:read'],
      });
      const res = await t.http
        .get(`/v1/patients/${c.patient.id}/export`)
        .set(bearer(narrow.key))
        .expect(403);
      expect(res.body.detail).toMatch(/alerts:read/);
    });
  });
});
