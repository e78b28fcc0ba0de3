import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { createTestApp, TestApp } from './support/app';
import { bearer, Clinic, factory, seedClinic } from './support/factories';

// What an attacker or a careless client sends: impossible dates, crafted cursors, bodies that
// are too deep or hold NUL, slow bodies, huge URLs. Each answer is a 4xx problem+json.
describe('hostile input', () => {
  let t: TestApp;
  let c: Clinic;

  beforeAll(async () => {
    t = await createTestApp({
      HTTP_BODY_TIMEOUT_MS: '1000',
      HTTP_HEADERS_TIMEOUT_MS: '2000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '1500',
    });
    await new Promise<void>((resolve) => t.server.listen(0, '127.0.0.1', resolve));
    c = await seedClinic(t.http);
  });
  afterAll(() => t.close());

  const problemOf = (res: { status: number; headers: Record<string, string>; body: unknown }) => {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    return res.body as {
      status: number;
      detail: string;
      errors?: { field: string; message: string }[];
    };
  };

  /** Writes raw bytes to the server and collects what it answers until it closes. */
  const raw = (chunks: (string | Buffer)[], gapMs = 0): Promise<string> =>
    new Promise((resolve, reject) => {
      const { port } = t.server.address() as AddressInfo;
      const socket = connect(port, '127.0.0.1');
      let answer = '';
      socket.on('data', (d) => (answer += d.toString('utf8')));
      socket.on('close', () => resolve(answer));
      socket.on('error', reject);
      socket.on('connect', () => {
        void (async () => {
          for (const chunk of chunks) {
            if (socket.destroyed) break;
            socket.write(chunk);
            if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
          }
        })();
      });
    });

  describe('2. dates are read strictly, never moved', () => {
    const report = (reportedAt: string) =>
      t.http
        .post(`/v1/patients/${c.patient.id}/pain-reports`)
        .set(bearer(c.appKey))
        .send({
          clientRef: `r-${reportedAt}`,
          reportedAt,
          intensity: 3,
          mostDistalSite: 'low_back',
          context: 'baseline',
        });

    it.each([
      ['2026-02-30T09:00:00+01:00', '2026-02-30 is not a day of the calendar'],
      ['2025-02-29T09:00:00Z', '2025-02-29 is not a day of the calendar'],
      ['2026-11-31T09:00:00Z', '2026-11-31 is not a day of the calendar'],
      ['2026-11-20T24:00:00Z', '24:00 is not a time of day (00:00 to 23:59)'],
      ['2026-11-20T09:00:00+15:00', 'offset +15:00 is beyond ±14:00'],
      ['2026-11-20T09:00:60Z', 'second 60 does not exist (leap seconds are not accepted)'],
      [
        '2026-11-20T09:00:00',
        expect.stringMatching(/^must be an RFC 3339 date-time with an offset/),
      ],
    ])('refuses reportedAt %s, naming the field and why', async (reportedAt, message) => {
      const res = await report(reportedAt).expect(422);
      expect(problemOf(res).errors).toEqual([{ field: 'reportedAt', message }]);
    });

    it('accepts a leap day and fractional seconds', async () => {
      await report('2024-02-29T09:00:00.123456+01:00').expect(201);
    });

    it('refuses a symptom onset in the future and dates before 1900', async () => {
      const f = factory(t.http);
      const tomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
      for (const [symptomOnsetDate, message] of [
        [tomorrow, 'must not be in the future'],
        ['1899-12-31', 'must not be before 1900-01-01'],
        ['2026-02-29', '2026-02-29 is not a day of the calendar'],
      ]) {
        const res = await t.http
          .post('/v1/patients')
          .set(bearer(c.adminKey))
          .send({
            externalRef: `onset-${symptomOnsetDate}`,
            timezone: 'UTC',
            clinicianId: c.clinician.id,
            symptomOnsetDate,
          })
          .expect(422);
        expect(problemOf(res).errors).toEqual([{ field: 'symptomOnsetDate', message }]);
      }
      await f.patient(c.adminKey, { clinicianId: c.clinician.id, symptomOnsetDate: '2026-10-01' });
    });

    it.each([
      `/v1/patients/PATIENT/activity/daily?to=0001-01-01`,
      `/v1/patients/PATIENT/adherence?from=0001-01-01&to=0001-01-05`,
      `/v1/dashboard/adherence?to=0001-01-01`,
      `/v1/patients/PATIENT/activity/daily?to=9999-12-31`,
    ])('bounds the date parameters of %s', async (path) => {
      const res = await t.http
        .get(path.replace('PATIENT', c.patient.id))
        .set(bearer(c.adminKey))
        .expect(422);
      expect(problemOf(res).errors?.[0]).toEqual({
        field: expect.stringMatching(/^(from|to)$/),
        message: expect.stringMatching(/^must not be (before 1900-01-01|after \d{4}-\d{2}-\d{2})$/),
      });
    });
  });

  describe('3. cursors', () => {
    const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

    it.each([
      ['a date without a time', cursor(['2026-01-01', '00000000-0000-4000-8000-000000000000'])],
      ['an id that is not a uuid', cursor(['2026-01-01T00:00:00.000000Z', 'x'])],
      ['a number for a time', cursor(['1', '00000000-0000-4000-8000-000000000000'])],
      ['year +275760', cursor(['+275760-09-13T00:00:00Z', '00000000-0000-4000-8000-000000000000'])],
      [
        'an impossible day',
        cursor(['2026-02-30T00:00:00.000000Z', '00000000-0000-4000-8000-000000000000']),
      ],
      ['not base64 JSON', '%%%'],
      ['an object', cursor({ createdAt: 'x' })],
    ])('refuses %s with 400 on every list', async (_, value) => {
      for (const path of [
        '/v1/patients',
        '/v1/clinicians',
        '/v1/client-apps',
        '/v1/api-keys',
        '/v1/alerts',
      ]) {
        const res = await t.http.get(`${path}?cursor=${value}`).set(bearer(c.adminKey)).expect(400);
        expect(problemOf(res).errors).toEqual([
          { field: 'cursor', message: 'is not a cursor this API returned' },
        ]);
      }
    });

    it('follows a cursor it returned', async () => {
      const first = await t.http.get('/v1/clinicians?limit=1').set(bearer(c.adminKey)).expect(200);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      await t.http
        .get(`/v1/clinicians?limit=1&cursor=${first.body.nextCursor}`)
        .set(bearer(c.adminKey))
        .expect(200);
    });
  });

  describe('4. bodies', () => {
    const clinician = (body: unknown) =>
      t.http
        .post('/v1/clinicians')
        .set(bearer(c.adminKey))
        .set('Content-Type', 'application/json')
        .send(body as object);

    it('refuses JSON nested deeper than 64 levels, before validation', async () => {
      const deep = `{"name":${'['.repeat(3000)}${']'.repeat(3000)},"email":"a@b.example"}`;
      const res = await clinician(deep).expect(422);
      expect(problemOf(res).errors).toEqual([
        {
          field: expect.stringMatching(/^name(\[0\])+$/),
          message: 'is nested more than 64 levels deep',
        },
      ]);
    });

    it.each([
      [
        'a NUL',
        { name: 'Dr.\u0000 Who', email: 'who@clinic.example' },
        'name',
        'contains a NUL character',
      ],
      [
        'a lone surrogate',
        { name: 'Dr. Who', email: 'who\ud800@clinic.example' },
        'email',
        'is not well-formed Unicode (a lone surrogate)',
      ],
      [
        'a NUL in a key',
        { name: 'Dr. Who', email: 'who@clinic.example', 'x\u0000': 1 },
        'body',
        'has a key that contains a NUL character',
      ],
    ])('refuses %s in a string, naming the field', async (_, body, field, message) => {
      const res = await clinician(JSON.stringify(body)).expect(422);
      expect(problemOf(res).errors).toEqual([{ field, message }]);
    });

    it('keeps right-to-left text and emoji', async () => {
      await clinician(
        JSON.stringify({ name: 'د. سارة 🩺', email: `rtl-${Date.now()}@clinic.example` }),
      ).expect(201);
    });
  });

  describe('5. server limits', () => {
    it('answers a body that arrives too slowly with 408 problem+json and closes', async () => {
      const started = Date.now();
      const answer = await raw(
        [
          `POST /v1/clinicians HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${c.adminKey}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na`,
          'm',
          'e',
        ],
        800,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer).toMatch(/application\/problem\+json/);
      expect(answer).toContain('"status":408');
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('answers a URL over 16 KiB with 431 problem+json', async () => {
      const answer = await raw([
        `GET /v1/patients?x=${'a'.repeat(17_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      ]);
      expect(answer).toMatch(/^HTTP\/1\.1 431 /);
      expect(answer).toContain('"status":431');
      expect(answer).toMatch(/application\/problem\+json/);
    });

    it('answers a request that is not HTTP with 400 problem+json', async () => {
      const answer = await raw(['NOT HTTP AT ALL\r\n\r\n']);
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer).toContain('"status":400');
    });

    it('applies its timeouts to the server', () => {
      expect(t.server.headersTimeout).toBe(2000);
      expect(t.server.keepAliveTimeout).toBe(1500);
    });
  });
});
