import { createHash, randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { canonicalJson } from '../apps/api/src/idempotency/canonical-json';
import { IN_FLIGHT_WAIT_MS } from '../apps/api/src/idempotency/idempotency.service';
import {
  Db,
  PLATFORM_ORGANIZATION_ID,
  RecordsRepository,
  StaleRecordsContextError,
} from '@app/persistence';
import { ClinicalRecordsService } from '@app/records';
import { createTestApp, TestApp } from './support/app';
import { MaintenanceService } from '../apps/worker/src/maintenance/maintenance.service';
import { bearer, Clinic, factory, seedClinic } from './support/factories';
import { TEST_ADMIN_TOKEN } from './support/test-env';
import { createTestWorker } from './support/worker';

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

describe('records: idempotency, validation and rule settings', () => {
  let t: TestApp;
  let c: Clinic;

  beforeAll(async () => {
    t = await createTestApp();
    c = await seedClinic(t.http);
  });
  afterAll(() => t.close());

  const count = async (table: 'pain_reports' | 'sessions' | 'programs', patientId = c.patient.id) =>
    (
      await t.db.query(`SELECT count(*)::int AS n FROM ${table} WHERE patient_id = $1`, [patientId])
    )[0].n as number;

  describe('Idempotency-Key', () => {
    it('turns 50 concurrent identical POSTs into one record; the rest replay it or answer 409', async () => {
      const key = `idem-${randomUUID()}`;
      const body = {
        clientRef: `concurrent-${randomUUID()}`,
        reportedAt: minutesAgo(5),
        intensity: 4,
        mostDistalSite: 'thigh',
        side: 'left',
        context: 'before_session',
      };
      const before = await count('pain_reports');
      const answers = await Promise.all(
        Array.from({ length: 50 }, () =>
          t.http
            .post(`/v1/patients/${c.patient.id}/pain-reports`)
            .set(bearer(c.appKey))
            .set('Idempotency-Key', key)
            .send(body),
        ),
      );
      expect(await count('pain_reports')).toBe(before + 1);

      const created = answers.filter(
        (a) => a.status === 201 && a.headers['idempotent-replayed'] === undefined,
      );
      expect(created).toHaveLength(1);
      const replayed = answers.filter((a) => a.headers['idempotent-replayed'] === 'true');
      const inFlight = answers.filter((a) => a.status === 409);
      expect(created.length + replayed.length + inFlight.length).toBe(50);
      for (const r of replayed) {
        expect(r.status).toBe(201);
        expect(r.text).toBe(created[0].text);
      }
      for (const r of inFlight) expect(r.headers['content-type']).toMatch(/problem\+json/);

      // After the first has committed, the same key and body replay it, byte for byte.
      const later = await t.http
        .post(`/v1/patients/${c.patient.id}/pain-reports`)
        .set(bearer(c.appKey))
        .set('Idempotency-Key', key)
        .send(body)
        .expect(201);
      expect(later.headers['idempotent-replayed']).toBe('true');
      expect(later.text).toBe(created[0].text);

      // The same key with another body is refused and writes nothing.
      const changed = await t.http
        .post(`/v1/patients/${c.patient.id}/pain-reports`)
        .set(bearer(c.appKey))
        .set('Idempotency-Key', key)
        .send({ ...body, intensity: 7 })
        .expect(422);
      expect(changed.body.errors).toEqual([
        { field: 'Idempotency-Key', message: expect.any(String) },
      ]);
      expect(await count('pain_reports')).toBe(before + 1);
    });

    describe('a duplicate sent while the first is still running', () => {
      // The first request is played by a transaction of the test's own that holds the key's row,
      // as the API's transaction does while it writes: the duplicate must wait on it.
      const organization = { name: 'Idempotent Clinic' };
      const path = '/v1/admin/organizations';
      const hash = createHash('sha256')
        .update(`POST ${path}\n${canonicalJson(organization)}`)
        .digest();

      async function holdKey(key: string): Promise<PoolClient> {
        const first = await (t.db.driver as unknown as { master: Pool }).master.connect();
        await first.query('BEGIN');
        await first.query(
          `INSERT INTO idempotency_keys (organization_id, scope, key, method, path, request_hash)
           VALUES ($4, 'operator', $1, 'POST', $2, $3)`,
          [key, path, hash, PLATFORM_ORGANIZATION_ID],
        );
        return first;
      }
      const duplicate = (key: string) =>
        t.http
          .post(path)
          .set(bearer(TEST_ADMIN_TOKEN))
          .set('Idempotency-Key', key)
          .send(organization);
      const organizations = async () =>
        (
          await t.db.query(`SELECT count(*)::int AS n FROM organizations WHERE name = $1`, [
            organization.name,
          ])
        )[0].n as number;

      it('waits for it and replays its answer', async () => {
        const key = `wait-${randomUUID()}`;
        const first = await holdKey(key);
        const answered = duplicate(key).then((res) => res);
        await new Promise((r) => setTimeout(r, 300));
        const stored = { id: randomUUID(), name: organization.name, adminKey: 'shown once' };
        await first.query(
          `UPDATE idempotency_keys SET response_status = 201, response_body = $2 WHERE scope = 'operator' AND key = $1`,
          [key, JSON.stringify(stored)],
        );
        await first.query('COMMIT');
        first.release();
        const res = await answered;
        expect(res.status).toBe(201);
        expect(res.headers['idempotent-replayed']).toBe('true');
        expect(res.body).toEqual(stored);
      });

      it('runs itself when the first failed', async () => {
        const key = `failed-${randomUUID()}`;
        const before = await organizations();
        const first = await holdKey(key);
        const answered = duplicate(key).then((res) => res);
        await new Promise((r) => setTimeout(r, 300));
        await first.query('ROLLBACK');
        first.release();
        const res = await answered;
        expect(res.status).toBe(201);
        expect(res.headers['idempotent-replayed']).toBeUndefined();
        expect(await organizations()).toBe(before + 1);
      });

      it('answers 409 with Retry-After when the first runs longer than the wait, writing nothing', async () => {
        const key = `slow-${randomUUID()}`;
        const before = await organizations();
        const first = await holdKey(key);
        try {
          const started = Date.now();
          const res = await duplicate(key);
          expect(res.status).toBe(409);
          expect(res.headers['retry-after']).toBe('1');
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(Date.now() - started).toBeGreaterThanOrEqual(IN_FLIGHT_WAIT_MS - 100);
        } finally {
          await first.query('ROLLBACK');
          first.release();
        }
        expect(await organizations()).toBe(before);
      });
    });

    it('keeps keys apart per API key', async () => {
      const key = `shared-${randomUUID()}`;
      const body = () => ({
        clientRef: randomUUID(),
        reportedAt: minutesAgo(3),
        intensity: 2,
        mostDistalSite: 'low_back',
        context: 'baseline',
      });
      await t.http
        .post(`/v1/patients/${c.patient.id}/pain-reports`)
        .set(bearer(c.appKey))
        .set('Idempotency-Key', key)
        .send(body())
        .expect(201);
      const other = await t.http
        .post(`/v1/patients/${c.patient.id}/pain-reports`)
        .set(bearer(c.adminKey))
        .set('Idempotency-Key', key)
        .send(body());
      expect(other.status).toBe(201);
      expect(other.headers['idempotent-replayed']).toBeUndefined();
    });

    it('forgets answers after 24 hours, so an old key can be used afresh', async () => {
      const worker = await createTestWorker();
      try {
        const key = `old-${randomUUID()}`;
        const body = () => ({
          clientRef: randomUUID(),
          reportedAt: minutesAgo(3),
          intensity: 2,
          mostDistalSite: 'low_back',
          context: 'baseline',
        });
        await t.http
          .post(`/v1/patients/${c.patient.id}/pain-reports`)
          .set(bearer(c.appKey))
          .set('Idempotency-Key', key)
          .send(body())
          .expect(201);
        await t.db.query(
          `UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1`,
          [key],
        );
        expect(await worker.get(MaintenanceService).purgeIdempotencyKeys()).toBeGreaterThanOrEqual(
          1,
        );
        const fresh = await t.http
          .post(`/v1/patients/${c.patient.id}/pain-reports`)
          .set(bearer(c.appKey))
          .set('Idempotency-Key', key)
          .send(body());
        expect(fresh.status).toBe(201);
        expect(fresh.headers['idempotent-replayed']).toBeUndefined();
      } finally {
        await worker.close();
      }
    });

    it('refuses a malformed key', async () => {
      const res = await t.http
        .post(`/v1/patients/${c.patient.id}/pain-reports`)
        .set(bearer(c.appKey))
        .set('Idempotency-Key', 'x'.repeat(256))
        .send({
          clientRef: randomUUID(),
          reportedAt: minutesAgo(1),
          intensity: 2,
          mostDistalSite: 'low_back',
          context: 'baseline',
        })
        .expect(422);
      expect(res.body.errors[0].field).toBe('Idempotency-Key');
    });

    it('stores nothing for a request that failed, so the key can be used again', async () => {
      const key = `retry-${randomUUID()}`;
      const clientRef = randomUUID();
      await t.http
        .post(`/v1/patients/${c.patient.id}/sessions`)
        .set(bearer(c.appKey))
        .set('Idempotency-Key', key)
        .send({ clientRef, performedAt: minutesAgo(10), items: [{ exerciseCode: 'moonwalk' }] })
        .expect(422);
      const ok = await t.http
        .post(`/v1/patients/${c.patient.id}/sessions`)
        .set(bearer(c.appKey))
        .set('Idempotency-Key', key)
        .send({
          clientRef,
          performedAt: minutesAgo(10),
          items: [{ exerciseCode: 'bird_dog', reps: 10 }],
        });
      expect(ok.status).toBe(201);
    });
  });

  describe('clientRef', () => {
    it('makes a replay without the header create nothing, and refuses the same ref with other content', async () => {
      const body = {
        clientRef: `ref-${randomUUID()}`,
        performedAt: minutesAgo(30),
        durationMinutes: 12,
        items: [{ exerciseCode: 'prone_press_up', reps: 10, holdSeconds: 5 }],
        painBefore: { intensity: 4, mostDistalSite: 'thigh' },
        painAfter: { intensity: 3, mostDistalSite: 'buttock' },
      };
      const sessionsBefore = await count('sessions');
      const reportsBefore = await count('pain_reports');
      const first = await t.http
        .post(`/v1/patients/${c.patient.id}/sessions`)
        .set(bearer(c.appKey))
        .send(body)
        .expect(201);
      const again = await t.http
        .post(`/v1/patients/${c.patient.id}/sessions`)
        .set(bearer(c.appKey))
        .send(body)
        .expect(200);
      expect(again.body.id).toBe(first.body.id);
      expect(again.body.findings.map((f: { id: string }) => f.id)).toEqual(
        first.body.findings.map((f: { id: string }) => f.id),
      );
      await t.http
        .post(`/v1/patients/${c.patient.id}/sessions`)
        .set(bearer(c.appKey))
        .send({ ...body, durationMinutes: 20 })
        .expect(409);
      expect(await count('sessions')).toBe(sessionsBefore + 1);
      expect(await count('pain_reports')).toBe(reportsBefore + 2);
    });
  });

  describe('a session without pain (one statement, no rules)', () => {
    const painless = () => ({
      clientRef: `painless-${randomUUID()}`,
      performedAt: minutesAgo(40),
      durationMinutes: 8,
      items: [{ exerciseCode: 'prone_press_up', sets: 2, reps: 10 }],
    });

    it('is stored once under its program and marks adherence; a replay answers it, other content is 409', async () => {
      const body = painless();
      const before = await count('sessions');
      await t.db.query('DELETE FROM adherence_dirty WHERE patient_id = $1', [c.patient.id]);
      const first = await t.http
        .post(`/v1/patients/${c.patient.id}/sessions`)
        .set(bearer(c.appKey))
        .send(body)
        .expect(201);
      const [program] = await t.db.query(
        'SELECT id FROM programs WHERE patient_id = $1 AND superseded_at IS NULL',
        [c.patient.id],
      );
      expect(first.body).toMatchObject({
        clientRef: body.clientRef,
        performedAt: body.performedAt,
        durationMinutes: 8,
        items: body.items,
        programId: program?.id ?? null,
        painBefore: null,
        painAfter: null,
        findings: [],
      });
      const [stored] = await t.db.query(
        'SELECT local_date::text AS "localDate", program_id AS "programId", exercise_codes AS codes FROM sessions WHERE id = $1',
        [first.body.id],
      );
      expect(stored).toEqual({
        localDate: first.body.localDate,
        programId: first.body.programId,
        codes: ['prone_press_up'],
      });
      const marks = await t.db.query('SELECT 1 FROM adherence_dirty WHERE patient_id = $1', [
        c.patient.id,
      ]);
      expect(marks.length).toBeGreaterThan(0);

      const again = await t.http
        .post(`/v1/patients/${c.patient.id}/sessions`)
        .set(bearer(c.appKey))
        .send(body)
        .expect(200);
      expect(again.body).toEqual(first.body);
      await t.http
        .post(`/v1/patients/${c.patient.id}/sessions`)
        .set(bearer(c.appKey))
        .send({ ...body, durationMinutes: 9 })
        .expect(409);
      expect(await count('sessions')).toBe(before + 1);
    });

    it('turns 20 concurrent identical posts into one session, each answered 201 or 200 with it', async () => {
      const body = painless();
      const before = await count('sessions');
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          t.http.post(`/v1/patients/${c.patient.id}/sessions`).set(bearer(c.appKey)).send(body),
        ),
      );
      expect(await count('sessions')).toBe(before + 1);
      expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
      const ids = new Set(answers.map((a) => a.body.id));
      expect({
        statuses: [...new Set(answers.map((a) => a.status))].sort(),
        ids: ids.size,
      }).toEqual({ statuses: [200, 201], ids: 1 });
    });

    it('is 404 for a patient the key does not see, and 422 for an unknown exercise, writing nothing', async () => {
      const before = await count('sessions');
      await t.http
        .post(`/v1/patients/${randomUUID()}/sessions`)
        .set(bearer(c.appKey))
        .send(painless())
        .expect(404);
      const unknown = await t.http
        .post(`/v1/patients/${c.patient.id}/sessions`)
        .set(bearer(c.appKey))
        .send({ ...painless(), items: [{ exerciseCode: 'no_such_exercise', reps: 3 }] })
        .expect(422);
      expect(unknown.body.errors).toEqual([
        { field: 'items[0].exerciseCode', message: expect.any(String) },
      ]);
      expect(await count('sessions')).toBe(before);
    });
  });

  describe('invalid pain reports are 422 naming the field, and store nothing', () => {
    const valid = () => ({
      clientRef: randomUUID(),
      reportedAt: minutesAgo(2),
      intensity: 5,
      mostDistalSite: 'calf',
      context: 'baseline',
    });
    it.each([
      ['intensity 11', { intensity: 11 }, 'intensity'],
      ['a negative intensity', { intensity: -1 }, 'intensity'],
      ['a fractional intensity', { intensity: 4.5 }, 'intensity'],
      ['an unknown site', { mostDistalSite: 'knee' }, 'mostDistalSite'],
      ['an unknown side', { side: 'middle' }, 'side'],
      ['an unknown context', { context: 'after_lunch' }, 'context'],
      ['a time without an offset', { reportedAt: '2026-11-20T08:00:00' }, 'reportedAt'],
      ['a date without a time', { reportedAt: '2026-11-20' }, 'reportedAt'],
      [
        'a time in the future beyond the skew allowance',
        { reportedAt: new Date(Date.now() + 10 * 60_000).toISOString() },
        'reportedAt',
      ],
      ['an ODI over 100', { odi: 101 }, 'odi'],
      ['a red flag that is not yes/no', { redFlags: { fever: 'maybe' } }, 'redFlags.fever'],
      ['an unknown red flag', { redFlags: { headache: true } }, 'redFlags.headache'],
      ['no clientRef', { clientRef: undefined }, 'clientRef'],
    ])('%s', async (_label, change, field) => {
      const before = await count('pain_reports');
      const res = await t.http
        .post(`/v1/patients/${c.patient.id}/pain-reports`)
        .set(bearer(c.appKey))
        .send({ ...valid(), ...change });
      expect(res.status).toBe(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await count('pain_reports')).toBe(before);
    });

    it('accepts a time a little ahead of the server clock (device skew)', async () => {
      await t.http
        .post(`/v1/patients/${c.patient.id}/pain-reports`)
        .set(bearer(c.appKey))
        .send({ ...valid(), reportedAt: new Date(Date.now() + 60_000).toISOString() })
        .expect(201);
    });
  });

  describe('programs', () => {
    it.each([
      [{ items: [{ exerciseCode: 'handstand' }] }, 'items[0].exerciseCode'],
      [
        { items: [{ exerciseCode: 'bird_dog' }, { exerciseCode: 'walking', holdSeconds: 5 }] },
        'items[1].holdSeconds',
      ],
      [
        { items: [{ exerciseCode: 'prone_press_up', holdSeconds: 20, holdGoalSeconds: 10 }] },
        'items[0].holdGoalSeconds',
      ],
      [
        { items: [{ exerciseCode: 'prone_press_up', timesPerDay: 8, daysPerWeek: 3 }] },
        'items[0].daysPerWeek',
      ],
      [{ items: [{ exerciseCode: 'prone_press_up', reps: 0 }] }, 'items[0].reps'],
      [{ items: [] }, 'items'],
      [{ items: [{ exerciseCode: 'bird_dog' }], restGapDays: 0 }, 'restGapDays'],
      [
        { items: [{ exerciseCode: 'bird_dog' }], walkingGoal: { dailySteps: -5 } },
        'walkingGoal.dailySteps',
      ],
    ])('refuses %j naming %s', async (change, field) => {
      const before = await count('programs');
      const res = await t.http
        .post(`/v1/patients/${c.patient.id}/programs`)
        .set(bearer(c.clinicianKey))
        .send({ startDate: '2026-11-01', ...change })
        .expect(422);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await count('programs')).toBe(before);
    });

    it('serves the catalog to any key, with every code of the clinical rules', async () => {
      const res = await t.http.get('/v1/exercises').set(bearer(c.dashboardKey)).expect(200);
      expect(res.body.data.map((e: { code: string }) => e.code).sort()).toEqual(
        [
          'prone_lying',
          'prone_press_up',
          'full_press_up',
          'standing_extension',
          'upper_back_extension',
          'prone_arm_leg_lift',
          'curl_up',
          'single_leg_raise',
          'bird_dog',
          'knee_to_chest',
          'standing_hamstring_stretch',
          'pelvic_tilt',
          'glute_bridge',
          'deep_gluteal_stretch',
          'lumbar_stabilization',
          'walking',
          'water_walking',
          'swimming',
        ].sort(),
      );
      const pressUp = res.body.data.find((e: { code: string }) => e.code === 'prone_press_up');
      expect(pressUp).toMatchObject({
        family: 'extension',
        doseKind: 'hold',
        defaultDose: { holdSeconds: 5, holdGoalSeconds: 30 },
      });
      await t.http.get('/v1/exercises').expect(401);
    });
  });

  describe('writes about one patient at once', () => {
    /** A report that raises an urgent finding whatever came before it. */
    const feverReport = (patientId: string) =>
      t.http
        .post(`/v1/patients/${patientId}/pain-reports`)
        .set(bearer(c.adminKey))
        .send({
          clientRef: randomUUID(),
          reportedAt: minutesAgo(1),
          intensity: 5,
          mostDistalSite: 'low_back',
          context: 'baseline',
          redFlags: { fever: true },
        });

    it('records every one of 24 concurrent reports, under one alert that counts them all', async () => {
      const f = factory(t.http);
      const patient = await f.patient(c.adminKey, { clinicianId: c.clinician.id });
      // One alert, opened by the first, whatever the order.
      const answers = await Promise.all(Array.from({ length: 24 }, () => feverReport(patient.id)));
      expect(answers.map((a) => a.status)).toEqual(Array(24).fill(201));
      expect(await count('pain_reports', patient.id)).toBe(24);
      const alerts = await t.db.query(
        `SELECT a.finding_count, (SELECT count(*)::int FROM findings f
                                   WHERE f.patient_id = a.patient_id AND f.rule = a.rule) AS findings
         FROM alerts a WHERE a.patient_id = $1`,
        [patient.id],
      );
      expect(alerts).toEqual([{ finding_count: 24, findings: 24 }]);
    });

    it('acknowledges alerts while reports about their patient arrive, losing no finding', async () => {
      const f = factory(t.http);
      const patient = await f.patient(c.adminKey, { clinicianId: c.clinician.id });
      const report = () => feverReport(patient.id);
      const acknowledgeOpen = async () => {
        const open = await t.db.query(
          `SELECT id FROM alerts WHERE patient_id = $1 AND status = 'open'`,
          [patient.id],
        );
        return Promise.all(
          open.map(({ id }: { id: string }) =>
            t.http.post(`/v1/alerts/${id}/acknowledge`).set(bearer(c.clinicianKey)),
          ),
        );
      };
      expect((await report()).status).toBe(201);
      const statuses: number[] = [];
      for (let round = 0; round < 4; round++) {
        const answers = await Promise.all([
          ...Array.from({ length: 6 }, report),
          acknowledgeOpen().then((acks) => acks),
        ]);
        for (const a of answers.flat()) statuses.push(a.status);
      }
      // 201 for the reports; 200 for an acknowledgement, or 409 for an alert a report of the
      // same round escalated or another acknowledgement closed first: never a 500.
      expect(statuses.filter((s) => ![200, 201, 409].includes(s))).toEqual([]);
      const [{ findings, counted }] = await t.db.query(
        `SELECT (SELECT count(*)::int FROM findings WHERE patient_id = $1) AS findings,
                (SELECT sum(finding_count)::int FROM alerts WHERE patient_id = $1) AS counted`,
        [patient.id],
      );
      expect({ findings, counted }).toEqual({ findings: 25, counted: 25 });
    });

    it('reads, once it holds the patient, what the writer it waited for committed', async () => {
      const clinical = t.app.get(ClinicalRecordsService);
      const f = factory(t.http);
      const patient = await f.patient(c.adminKey, { clinicianId: c.clinician.id });
      // Another writer holds the patient (as a write of records does) and adds a report.
      const other = await (t.db.driver as unknown as { master: Pool }).master.connect();
      const added = randomUUID();
      try {
        await other.query('BEGIN');
        await other.query(
          'UPDATE patients SET records_version = records_version + 1 WHERE id = $1',
          [patient.id],
        );
        await other.query(
          `INSERT INTO pain_reports (id, organization_id, patient_id, client_ref, reported_at, local_date,
                                     intensity, most_distal_site, context)
           VALUES ($1, $2, $3, $4, now() - interval '1 hour', current_date, 7, 'thigh', 'baseline')`,
          [added, c.org.id, patient.id, `other-${added}`],
        );
        const now = new Date();
        const waiting = t.app
          .get(Db)
          .transaction((tx) =>
            clinical.loadContext(
              { on: tx, lock: true },
              null,
              patient.id,
              { table: 'pain_reports', clientRefs: [] },
              [now],
              now,
            ),
          );
        await new Promise((resolve) => setTimeout(resolve, 300));
        await other.query('COMMIT');
        const ctx = await waiting;
        expect(ctx!.history.map((h) => h.id)).toContain(added);
      } finally {
        other.release();
      }
    });

    it('writes nothing from a context that a change to what the rules read made stale', async () => {
      const clinical = t.app.get(ClinicalRecordsService);
      // A read and a write as a first attempt makes them: no transaction, no lock.
      const scope = { on: t.app.get(Db).pool, lock: false };
      const f = factory(t.http);
      const patient = await f.patient(c.adminKey, { clinicianId: c.clinician.id });
      const urgent = await f.painReport(c.adminKey, patient.id, { redFlags: { fever: true } });
      const [alert] = await t.db.query('SELECT id FROM alerts WHERE patient_id = $1', [patient.id]);
      expect(urgent.findings.length).toBeGreaterThan(0);
      const changes: [string, () => Promise<unknown>][] = [
        ['another report', () => f.painReport(c.adminKey, patient.id)],
        [
          'the alert acknowledged',
          () =>
            t.http
              .post(`/v1/alerts/${alert.id}/acknowledge`)
              .set(bearer(c.clinicianKey))
              .expect(200),
        ],
        [
          'a program',
          () =>
            t.http
              .post(`/v1/patients/${patient.id}/programs`)
              .set(bearer(c.clinicianKey))
              .send({ startDate: '2026-11-20', items: [{ exerciseCode: 'prone_press_up' }] })
              .expect(201),
        ],
        [
          'the baseline pain',
          () =>
            t.http
              .patch(`/v1/patients/${patient.id}`)
              .set(bearer(c.adminKey))
              .send({ baselinePain: { intensity: 6, mostDistalSite: 'thigh' } })
              .expect(200),
        ],
      ];
      for (const [change, make] of changes) {
        const clientRef = `stale-${randomUUID()}`;
        const now = new Date();
        const load = () =>
          clinical.loadContext(
            scope,
            null,
            patient.id,
            { table: 'pain_reports', clientRefs: [clientRef] },
            [now],
            now,
          );
        const input = {
          session: null,
          reports: [
            {
              clientRef,
              requestHash: null,
              reportedAt: now,
              intensity: 3,
              mostDistalSite: 'low_back' as const,
              side: null,
              context: 'baseline' as const,
              redFlags: null,
              odi: null,
            },
          ],
          createdByKeyId: null,
          now,
        };
        const stale = (await load())!;
        await make();
        await expect(clinical.write(scope, stale, input)).rejects.toBeInstanceOf(
          StaleRecordsContextError,
        );
        const stored = async () =>
          (
            await t.db.query('SELECT count(*)::int AS n FROM pain_reports WHERE client_ref = $1', [
              clientRef,
            ])
          )[0].n;
        expect({ change, stored: await stored() }).toEqual({ change, stored: 0 });
        // Decided again from a fresh context, it is written.
        await clinical.write(scope, (await load())!, input);
        expect({ change, stored: await stored() }).toEqual({ change, stored: 1 });
      }
    });
  });

  describe('the history the rules read', () => {
    it('reads the recent weeks and, beyond them, the first at-rest report as the baseline', async () => {
      const f = factory(t.http);
      // No baseline recorded at enrolment: the first at-rest report stands for it.
      const patient = await f.patient(c.adminKey, { clinicianId: c.clinician.id });
      const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();
      const first = await f.painReport(c.adminKey, patient.id, {
        reportedAt: daysAgo(60),
        intensity: 2,
        mostDistalSite: 'buttock',
      });
      // Outside the window too, and not the first: never the baseline.
      await f.painReport(c.adminKey, patient.id, {
        reportedAt: daysAgo(50),
        intensity: 6,
        mostDistalSite: 'buttock',
      });
      // A trend needs reports on two days of the week.
      await f.painReport(c.adminKey, patient.id, {
        reportedAt: daysAgo(2),
        intensity: 5,
        mostDistalSite: 'buttock',
        context: 'next_day',
      });
      const today = await f.painReport(c.adminKey, patient.id, {
        reportedAt: minutesAgo(1),
        intensity: 5,
        mostDistalSite: 'buttock',
      });
      const trend = await t.db.query(
        `SELECT evidence FROM findings WHERE pain_report_id = $1 AND rule = 'PAIN_TREND_WORSE'`,
        [today.id],
      );
      // 5 against the first report's 2 is a worsening; against the 50-day-old 6 it would not be.
      expect(trend).toHaveLength(1);
      expect(trend[0].evidence.baseline).toMatchObject({
        kind: 'baseline_report',
        reportId: first.id,
      });
    });
  });

  it('sends the rules every report of the window as stored: times to the millisecond, sides, sessions, nulls', async () => {
    const f = factory(t.http);
    const patient = await f.patient(c.adminKey, { clinicianId: c.clinician.id });
    await f.painReport(c.adminKey, patient.id, {
      reportedAt: '2026-11-30T23:59:59.999+14:00',
      intensity: 0,
      mostDistalSite: 'none',
      side: undefined,
    });
    await f.painReport(c.adminKey, patient.id, {
      reportedAt: new Date(Date.now() - 3_600_000).toISOString(),
      intensity: 10,
      mostDistalSite: 'foot',
      side: 'both',
      context: 'next_day',
    });
    await t.http
      .post(`/v1/patients/${patient.id}/sessions`)
      .set(bearer(c.adminKey))
      .send({
        clientRef: `history-${randomUUID()}`,
        performedAt: new Date(Date.now() - 1_800_000).toISOString(),
        items: [{ exerciseCode: 'prone_press_up', sets: 1, reps: 10 }],
        painBefore: { intensity: 4, mostDistalSite: 'thigh', side: 'left' },
        painAfter: { intensity: 3, mostDistalSite: 'buttock' },
      })
      .expect(201);
    const stored = await t.db.query(
      `SELECT id, reported_at, intensity, most_distal_site, side, context, session_id
         FROM pain_reports WHERE patient_id = $1 ORDER BY reported_at, id`,
      [patient.id],
    );
    expect(stored).toHaveLength(4);
    const ctx = await t.app
      .get(RecordsRepository)
      .loadContext(
        t.app.get(Db).pool,
        null,
        patient.id,
        { table: 'pain_reports', clientRefs: [] },
        new Date('2026-11-01T00:00:00Z'),
        false,
      );
    expect(ctx!.history).toEqual(
      stored.map((r: Record<string, unknown>) => ({
        id: r.id,
        reportedAt: r.reported_at,
        intensity: r.intensity,
        mostDistalSite: r.most_distal_site,
        side: r.side,
        context: r.context,
        sessionId: r.session_id,
        redFlags: null,
      })),
    );
  });

  describe('the enrolment baseline and the previous report', () => {
    const program = (patientId: string) =>
      t.http
        .post(`/v1/patients/${patientId}/programs`)
        .set(bearer(c.clinicianKey))
        .send({ startDate: '2026-11-20', items: [{ exerciseCode: 'prone_press_up' }] })
        .expect(201);
    const thighAtEnrolment = { intensity: 5, mostDistalSite: 'thigh', side: 'left' };

    it('compares the first report with the pain recorded at enrolment, and pauses the program', async () => {
      const f = factory(t.http);
      const patient = await f.patient(c.adminKey, {
        clinicianId: c.clinician.id,
        baselinePain: thighAtEnrolment,
      });
      await program(patient.id);
      const first = await f.painReport(c.adminKey, patient.id, {
        intensity: 5,
        mostDistalSite: 'foot',
        side: 'left',
      });
      expect(first.findings.map((x) => x.rule)).toContain('PERIPHERALIZATION');
      const programs = await t.db.query(
        `SELECT status FROM programs WHERE patient_id = $1 AND superseded_at IS NULL`,
        [patient.id],
      );
      expect(programs).toEqual([{ status: 'paused' }]);
    });

    it('compares a later report with the previous one, even when that is months old', async () => {
      const f = factory(t.http);
      const patient = await f.patient(c.adminKey, {
        clinicianId: c.clinician.id,
        baselinePain: thighAtEnrolment,
      });
      const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();
      await f.painReport(c.adminKey, patient.id, {
        reportedAt: daysAgo(90),
        mostDistalSite: 'foot',
        side: 'left',
        context: 'next_day',
      });
      // Foot again: against the 90-day-old foot report, no movement; against the thigh at
      // enrolment, it would read as spreading.
      const today = await f.painReport(c.adminKey, patient.id, {
        mostDistalSite: 'foot',
        side: 'left',
      });
      expect(today.findings.map((x) => x.rule)).not.toContain('PERIPHERALIZATION');
    });
  });

  describe('organization overrides of the thresholds', () => {
    it('applies a clinic’s own LEG_PAIN_WORSE threshold', async () => {
      const clinic = await seedClinic(t.http);
      const rise2 = (ref: string) => ({
        clientRef: ref,
        performedAt: minutesAgo(60),
        items: [{ exerciseCode: 'prone_press_up' }],
        painBefore: { intensity: 3, mostDistalSite: 'calf' },
        painAfter: { intensity: 5, mostDistalSite: 'calf' },
      });
      const send = (ref: string) =>
        t.http
          .post(`/v1/patients/${clinic.patient.id}/sessions`)
          .set(bearer(clinic.appKey))
          .send(rise2(ref))
          .expect(201);
      const rules = (res: { body: { findings: { rule: string }[] } }) =>
        res.body.findings.map((f) => f.rule);

      expect(rules(await send('default'))).toContain('LEG_PAIN_WORSE');

      const updated = await t.http
        .put('/v1/organization/settings')
        .set(bearer(clinic.adminKey))
        .send({ rules: { legPainWorseDelta: 3 } })
        .expect(200);
      expect(updated.body).toMatchObject({
        overrides: { legPainWorseDelta: 3 },
        rules: { legPainWorseDelta: 3, flareDelta: 2 },
      });
      expect(rules(await send('override'))).not.toContain('LEG_PAIN_WORSE');

      // Another clinic keeps the default.
      const other = await t.http
        .post(`/v1/patients/${c.patient.id}/sessions`)
        .set(bearer(c.appKey))
        .send(rise2(`other-${randomUUID()}`))
        .expect(201);
      expect(rules(other)).toContain('LEG_PAIN_WORSE');

      await t.http
        .put('/v1/organization/settings')
        .set(bearer(clinic.adminKey))
        .send({ rules: { flareNextDayMinHours: 40, flareNextDayMaxHours: 30 } })
        .expect(422);
      await t.http
        .put('/v1/organization/settings')
        .set(bearer(clinic.clinicianKey))
        .send({ rules: {} })
        .expect(403);
    });
  });
});
