import type { INestApplicationContext } from '@nestjs/common';
import type { Job } from 'bullmq';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Client } from 'pg';
import { ActivityImportProcessor } from '../apps/worker/src/activity/activity-import.processor';
import { createTestApp, TestApp } from './support/app';
import { bearer, Clinic, seedClinic } from './support/factories';
import { createTestWorker } from './support/worker';

// How many statements (round trips to PostgreSQL) each write sends: a write that sends more
// than its budget fails here, so that a change that adds one does so on purpose. The counts
// include BEGIN and COMMIT where there is a transaction, and the audit row; the key was used
// before (its lookup is answered from the process's key cache, see
// test/api-key-cache.e2e-spec.ts). A write of records is its context, its write and the audit
// row: no transaction, the write checks the patient's records version instead of a lock. A
// session without pain runs no rule: one statement writes it, and the audit row.
const BUDGETS = {
  'GET /v1/patients/{id}': 2,
  'POST /v1/patients/{id}/pain-reports': 3,
  'POST /v1/patients/{id}/pain-reports, raising an alert': 3,
  'POST /v1/patients/{id}/sessions, with pain before and after': 3,
  'POST /v1/patients/{id}/sessions, without pain': 2,
  'POST /v1/patients/{id}/activity-imports (native)': 3,
  'worker: a native import of 1,000 samples, from claim to rollup': 8,
};

describe('statement budgets', () => {
  let t: TestApp;
  let c: Clinic;
  const counting = new AsyncLocalStorage<{ statements: string[] }>();
  const query = Client.prototype.query;
  let all: string[] | null = null;

  beforeAll(async () => {
    t = await createTestApp();
    c = await seedClinic(t.http);
    await t.http
      .post(`/v1/patients/${c.patient.id}/programs`)
      .set(bearer(c.clinicianKey))
      .send({
        startDate: '2026-11-20',
        items: [{ exerciseCode: 'prone_press_up', sets: 1, reps: 10, timesPerDay: 3 }],
      })
      .expect(201);
    // Each key once, so that the measured requests find it in the key cache.
    for (const key of [c.adminKey, c.appKey]) {
      await t.http.get(`/v1/patients/${c.patient.id}`).set(bearer(key)).expect(200);
    }
    // Every statement of the process while `all` is set, or of one async call chain.
    (Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (
      this: Client,
      ...args: unknown[]
    ) {
      const text =
        typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string })?.text);
      (counting.getStore()?.statements ?? all)?.push(text.replace(/\s+/g, ' ').trim().slice(0, 80));
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    };
  });
  afterAll(async () => {
    Client.prototype.query = query;
    await t.close();
  });

  /** The statements the API sends while answering (nothing else runs in this process then). */
  async function statementsOf(send: () => Promise<unknown>): Promise<string[]> {
    all = [];
    try {
      await send();
      return all;
    } finally {
      all = null;
    }
  }

  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

  it.each([
    [
      'GET /v1/patients/{id}',
      () => t.http.get(`/v1/patients/${c.patient.id}`).set(bearer(c.adminKey)).expect(200),
    ],
    [
      'POST /v1/patients/{id}/pain-reports',
      () =>
        t.http
          .post(`/v1/patients/${c.patient.id}/pain-reports`)
          .set(bearer(c.appKey))
          .send({
            clientRef: 'budget-1',
            reportedAt: minutesAgo(3),
            intensity: 3,
            mostDistalSite: 'low_back',
            context: 'baseline',
          })
          .expect(201),
    ],
    [
      'POST /v1/patients/{id}/pain-reports, raising an alert',
      async () => {
        const res = await t.http
          .post(`/v1/patients/${c.patient.id}/pain-reports`)
          .set(bearer(c.appKey))
          .send({
            clientRef: 'budget-2',
            reportedAt: minutesAgo(2),
            intensity: 6,
            mostDistalSite: 'calf',
            side: 'left',
            context: 'baseline',
            redFlags: { fever: true },
          })
          .expect(201);
        expect(res.body.findings.map((f: { rule: string }) => f.rule)).toContain(
          'RED_FLAG_SYSTEMIC',
        );
      },
    ],
    [
      'POST /v1/patients/{id}/sessions, with pain before and after',
      () =>
        t.http
          .post(`/v1/patients/${c.patient.id}/sessions`)
          .set(bearer(c.appKey))
          .send({
            clientRef: 'budget-3',
            performedAt: minutesAgo(30),
            durationMinutes: 10,
            items: [{ exerciseCode: 'prone_press_up', sets: 1, reps: 10 }],
            painBefore: { intensity: 3, mostDistalSite: 'low_back' },
            painAfter: { intensity: 2, mostDistalSite: 'low_back' },
          })
          .expect(201),
    ],
    [
      'POST /v1/patients/{id}/sessions, without pain',
      () =>
        t.http
          .post(`/v1/patients/${c.patient.id}/sessions`)
          .set(bearer(c.appKey))
          .send({
            clientRef: 'budget-4',
            performedAt: minutesAgo(20),
            durationMinutes: 10,
            items: [{ exerciseCode: 'prone_press_up', sets: 1, reps: 10 }],
          })
          .expect(201),
    ],
    [
      'POST /v1/patients/{id}/activity-imports (native)',
      () =>
        t.http
          .post(`/v1/patients/${c.patient.id}/activity-imports?format=native`)
          .set(bearer(c.appKey))
          .send({
            source: { name: 'Pixel 8' },
            samples: [{ start: minutesAgo(10), end: minutesAgo(9), steps: 80 }],
          })
          .expect(202),
    ],
  ] as const)('%s stays within its budget', async (name, send) => {
    const statements = await statementsOf(send);
    expect({ name, count: statements.length, statements }).toEqual({
      name,
      count: Math.min(statements.length, BUDGETS[name]),
      statements,
    });
  });

  describe('worker', () => {
    let worker: INestApplicationContext;
    beforeAll(async () => {
      // A queue of its own is not needed: the import is run directly, and only the statements
      // of its own call chain are counted (the worker's timers run beside it).
      worker = await createTestWorker();
    });
    afterAll(() => worker.close());

    it('worker: a native import of 1,000 samples, from claim to rollup, stays within its budget', async () => {
      const name = 'worker: a native import of 1,000 samples, from claim to rollup';
      const start = Date.parse('2026-11-18T08:00:00Z');
      const samples = Array.from({ length: 1000 }, (_, i) => ({
        start: new Date(start + i * 60_000).toISOString(),
        end: new Date(start + (i + 1) * 60_000).toISOString(),
        steps: 50,
      }));
      // Stored by the API with no worker listening on the queue it lands in: run here instead.
      const [{ id }] = await t.db.query<{ id: string }[]>(
        `WITH created AS (
           INSERT INTO activity_imports (organization_id, patient_id, format, byte_size, chunk_count)
           SELECT organization_id, id, 'native', $2, 1 FROM patients WHERE id = $1 RETURNING organization_id, id)
         INSERT INTO activity_import_chunks (organization_id, import_id, seq, data)
         SELECT organization_id, id, 0, $3 FROM created RETURNING import_id AS id`,
        [
          c.patient.id,
          1,
          Buffer.from(JSON.stringify({ source: { name: 'Budget band' }, samples })),
        ],
      );
      const job = { attemptsMade: 0, opts: { attempts: 1 } } as unknown as Job;
      const store = { statements: [] as string[] };
      await counting.run(store, () =>
        worker.get(ActivityImportProcessor).importActivity({ importId: id }, job),
      );
      const [row] = await t.db.query<{ status: string; inserted: number }[]>(
        'SELECT status, inserted FROM activity_imports WHERE id = $1',
        [id],
      );
      expect(row).toEqual({ status: 'completed', inserted: 1000 });
      expect({ name, count: store.statements.length, statements: store.statements }).toEqual({
        name,
        count: Math.min(store.statements.length, BUDGETS[name]),
        statements: store.statements,
      });
    });
  });
});
