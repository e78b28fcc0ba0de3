import type TestAgent from 'supertest/lib/agent';
import type { DataSource } from 'typeorm';
import { bearer, type Clinic, factory } from './factories';
import { eventually } from './worker';

export interface ImportResult {
  id: string;
  status: 'completed' | 'failed';
  received: number;
  inserted: number;
  updated: number;
  duplicates: number;
  rejected: number;
  errors: { index?: number; line?: number; reason: string }[];
  failureReason: string | null;
}

export interface DailyRow {
  date: string;
  steps: number;
  activeMinutes: number;
  manualSteps: number;
  sources: {
    name: string;
    device: string | null;
    account?: string;
    steps: number;
    manualSteps: number;
  }[];
}

/** Posting activity imports as an app does, and reading what the worker made of them. */
export function importsOf(http: TestAgent, c: Clinic, db: DataSource) {
  const post = (patientId: string, format: string, body: string | object, key = c.appKey) => {
    const req = http
      .post(`/v1/patients/${patientId}/activity-imports?format=${format}`)
      .set(bearer(key));
    if (typeof body !== 'string') return req.send(body);
    return req
      .set('Content-Type', format === 'apple-health-xml' ? 'application/xml' : 'application/json')
      .send(body);
  };

  const finished = (id: string, timeoutMs = 20_000) =>
    eventually(
      async () => {
        const res = await http
          .get(`/v1/activity-imports/${id}`)
          .set(bearer(c.adminKey))
          .expect(200);
        return ['completed', 'failed'].includes(res.body.status)
          ? (res.body as ImportResult)
          : null;
      },
      timeoutMs,
      `import ${id}`,
    );

  return {
    post,
    finished,

    /**
     * Posts a payload (202 expected) and waits until it is imported and every day it marked is
     * rolled up (a native batch is written in its request; its days a moment later).
     */
    async run(patientId: string, format: string, body: string | object): Promise<ImportResult> {
      const res = await post(patientId, format, body);
      if (res.status !== 202) {
        throw new Error(`import answered ${res.status}: ${JSON.stringify(res.body)}`);
      }
      const done = await finished(res.body.id);
      await eventually(
        async () =>
          (
            await db.query<{ n: number }[]>(
              'SELECT count(*)::int AS n FROM activity_dirty_days WHERE patient_id = $1',
              [patientId],
            )
          )[0].n === 0,
        20_000,
        `the days of ${patientId} rolled up`,
      );
      return done;
    },

    async daily(patientId: string, from: string, to: string): Promise<DailyRow[]> {
      const res = await http
        .get(`/v1/patients/${patientId}/activity/daily?from=${from}&to=${to}`)
        .set(bearer(c.clinicianKey))
        .expect(200);
      return res.body.data;
    },

    /** A new patient of the clinic's clinician, enrolled with its app. */
    async patient(timezone: string): Promise<{ id: string }> {
      const f = factory(http);
      const p = await f.patient(c.adminKey, { clinicianId: c.clinician.id, timezone });
      await f.enroll(c.adminKey, p.id, c.clientApp.id);
      return p;
    },
  };
}

/** How the tests name a day's source: `name / device (account)`. */
export function sourceLabel(s: DailyRow['sources'][number]): string {
  return `${s.name}${s.device ? ` / ${s.device}` : ''}${s.account ? ` (${s.account})` : ''}`;
}
