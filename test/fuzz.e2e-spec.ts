import fc from 'fast-check';
import { Client } from 'pg';
import { createTestApp, TestApp } from './support/app';
import { bearer, Clinic, factory, seedClinic } from './support/factories';
import { isolated } from './support/isolated';
import {
  finishJson,
  type FuzzRequest,
  type Operation,
  OpenApiFuzz,
  operationsOf,
  percentEncode,
  type Role,
} from './support/openapi-fuzz';
import { TEST_ADMIN_TOKEN } from './support/test-env';

// Every operation of the OpenAPI document the API serves, fuzzed with requests built from its
// own schemas (valid-shaped, hostile, and everything between) under every role. What must
// hold: no 5xx; every error is problem+json without a stack trace; a 4xx writes nothing.
// CI runs a fixed seed; FUZZ_SEED replays a run, FUZZ_RUNS sets the requests per operation.
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const SEED = process.env.FUZZ_SEED
  ? Number(process.env.FUZZ_SEED)
  : process.env.CI
    ? 20261202
    : Math.floor(Math.random() * 2 ** 31);

// A database of its own: every row any other spec wrote would count as a write of ours.
const space = isolated('fuzz');

/** Counts committed row writes to every table but the audit log (where a denied access is due). */
const WRITE_COUNTER = `
  CREATE TABLE fuzz_writes (n bigint NOT NULL);
  INSERT INTO fuzz_writes VALUES (0);
  CREATE FUNCTION fuzz_count() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    -- Using a key stamps its last use: bookkeeping of any request, not a write of its own.
    IF TG_TABLE_NAME = 'api_keys' AND TG_OP = 'UPDATE'
       AND to_jsonb(NEW) - 'last_used_at' = to_jsonb(OLD) - 'last_used_at' THEN
      RETURN NULL;
    END IF;
    UPDATE fuzz_writes SET n = n + 1;
    RETURN NULL;
  END $$;
  DO $$ DECLARE t text; BEGIN
    -- A partition gets its partitioned table's trigger: a trigger of its own would be a second.
    FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
             WHERE s.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
             AND c.relname NOT IN ('audit_log', 'fuzz_writes', 'migrations') LOOP
      EXECUTE format('CREATE TRIGGER fuzz_count AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION fuzz_count()', t);
    END LOOP;
  END $$;`;

interface Failure {
  request: FuzzRequest;
  status: number;
  why: string;
  answer: string;
}

describe(`fuzz: every operation of /docs-json (seed ${SEED}, ${RUNS} requests each)`, () => {
  let t: TestApp;
  let c: Clinic;
  let other: Clinic;
  let counter: Client;
  let operations: Operation[];
  let fuzz: OpenApiFuzz;

  beforeAll(async () => {
    await space.setUp();
    // As the owner: the runtime role the API uses may not create tables or triggers.
    counter = new Client({ connectionString: space.env.DATABASE_OWNER_URL });
    await counter.connect();
    await counter.query(WRITE_COUNTER);
    t = await createTestApp(space.env);
    [c, other] = [await seedClinic(t.http), await seedClinic(t.http)];
    const ids = await seedRecords(t, c);
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    operations = operationsOf(doc);
    fuzz = new OpenApiFuzz(doc.components.schemas, [
      ...ids,
      other.patient.id,
      other.clinician.id,
      other.clientApp.id,
    ]);
  });
  afterAll(async () => {
    await t?.close();
    await counter?.end();
    await space.tearDown();
  });

  const authorization = (role: Role): string | null => {
    switch (role) {
      case 'admin':
        return c.adminKey;
      case 'clinician':
        return c.clinicianKey;
      case 'app':
        return c.appKey;
      case 'dashboard':
        return c.dashboardKey;
      case 'operator':
        return TEST_ADMIN_TOKEN;
      case 'other-admin':
        return other.adminKey;
      case 'garbage':
        return 'sct_garbage_0123456789';
      case 'none':
        return null;
    }
  };

  const writes = async () => Number((await counter.query('SELECT n FROM fuzz_writes')).rows[0].n);

  async function send(r: FuzzRequest) {
    const query = r.query.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');
    const url = query ? `${r.path}?${query}` : r.path;
    let req = t.http[r.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete'](url);
    const token = authorization(r.role);
    if (token) req = req.set(bearer(token));
    if (r.idempotencyKey !== null) req = req.set('Idempotency-Key', r.idempotencyKey);
    if (r.contentType) req = req.set('Content-Type', r.contentType);
    return r.body === null ? req : req.send(r.body);
  }

  function problemOf(status: number, headers: Record<string, string>, text: string): string | null {
    if (!/^application\/problem\+json/.test(headers['content-type'] ?? '')) {
      return `an error answered as ${headers['content-type'] ?? 'nothing'}`;
    }
    let body: { status?: unknown; stack?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return 'a problem that is not JSON';
    }
    if (body.status !== status) return `a problem whose status says ${String(body.status)}`;
    if ('stack' in body || /\n\s+at .+:\d+:\d+/.test(text)) return 'a stack trace in the answer';
    return null;
  }

  it('answers every request with no 5xx, problem+json errors, and no write on a 4xx', async () => {
    const failures: Failure[] = [];
    const lines: string[] = [];
    let total = 0;
    for (const [i, op] of operations.entries()) {
      const requests = fc.sample(fuzz.request(op), { numRuns: RUNS, seed: SEED + i });
      const statuses = new Map<number, number>();
      for (const request of requests) {
        const before = await writes();
        const res = await send(request);
        const wrote = (await writes()) !== before;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const why =
          res.status >= 500
            ? 'a server error'
            : res.status >= 400
              ? (problemOf(res.status, res.headers, res.text) ??
                (wrote ? 'a write on a 4xx' : null))
              : null;
        if (why)
          failures.push({ request, status: res.status, why, answer: res.text.slice(0, 300) });
      }
      total += requests.length;
      const counts = [...statuses.entries()]
        .sort(([a], [b]) => a - b)
        .map(([status, n]) => `${status}×${n}`)
        .join(' ');
      lines.push(
        `${`${op.method} ${op.path}`.padEnd(52)} ${String(requests.length).padStart(4)}  ${counts}`,
      );
    }
    process.stdout.write(
      `\nfuzz (seed ${SEED}): ${total} requests over ${operations.length} operations, ${failures.length} failures\n${lines.join('\n')}\n`,
    );
    expect(operations.length).toBeGreaterThanOrEqual(40);
    expect(failures.slice(0, 10)).toEqual([]);
    // Thousands of requests in sequence: minutes on a loaded 2-core machine.
  }, 600_000);

  it('builds JSON bodies with the placeholders replaced', () => {
    expect(finishJson(JSON.stringify({ a: '\u0001deep\u0001' }))).toMatch(
      /^\{"a":\[{5000}\]{5000}\}$/,
    );
    expect(JSON.parse(finishJson(JSON.stringify({ '\u0001proto\u0001': 1 })))).toEqual(
      JSON.parse('{"__proto__":1}'),
    );
  });
});

/** Records of every kind the routes take ids of, in the fuzzed clinic; answers their ids. */
async function seedRecords(t: TestApp, c: Clinic): Promise<string[]> {
  const f = factory(t.http);
  const spareKey = await f.apiKey(c.adminKey, { role: 'dashboard', name: 'spare' });
  const program = await t.http
    .post(`/v1/patients/${c.patient.id}/programs`)
    .set(bearer(c.clinicianKey))
    .send({
      startDate: '2026-11-20',
      items: [{ exerciseCode: 'prone_press_up', sets: 1, reps: 10, timesPerDay: 3 }],
    })
    .expect(201);
  const report = await f.painReport(c.appKey, c.patient.id, { redFlags: { fever: true } });
  const alerts = await t.http
    .get(`/v1/alerts?patientId=${c.patient.id}`)
    .set(bearer(c.adminKey))
    .expect(200);
  const endpoint = await f.webhookEndpoint(c.adminKey, { url: 'http://127.0.0.1:9/hooks' });
  const upload = await t.http
    .post(`/v1/patients/${c.patient.id}/activity-imports?format=native`)
    .set(bearer(c.appKey))
    .send({
      source: { name: 'Pixel 8' },
      samples: [{ start: '2026-11-20T09:00:00Z', end: '2026-11-20T09:01:00Z', steps: 80 }],
    })
    .expect(202);
  return [
    c.patient.id,
    c.otherPatient.id,
    c.clinician.id,
    c.otherClinician.id,
    c.clientApp.id,
    spareKey.id,
    program.body.id,
    report.id,
    ...alerts.body.data.map((a: { id: string }) => a.id),
    endpoint.id,
    upload.body.id,
  ];
}
