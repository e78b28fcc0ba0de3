import { finished, freePort, start } from './support/processes';
import { TEST_ADMIN_TOKEN } from './support/test-env';

// Port 1 on loopback: nothing listens there, so the connection is refused at once.
const DEAD_POSTGRES = {
  DATABASE_URL: 'postgres://sciatrack_app:s3cret-pw@127.0.0.1:1/sciatrack',
  DATABASE_OWNER_URL: 'postgres://postgres:0wner-pw@127.0.0.1:1/sciatrack',
};
const DEAD_REDIS = 'redis://127.0.0.1:1';

const expectOneClearLine = (stderr: string, ...patterns: RegExp[]) => {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  for (const pattern of patterns) expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/^\s+at /m);
};

describe.each(['api', 'worker'] as const)('%s start-up', (entry) => {
  it('exits non-zero with one line naming PostgreSQL when nothing listens at DATABASE_URL', async () => {
    const result = await finished(start(entry, { ...DEAD_POSTGRES, PORT: '0' }));
    expect(result.code).toBe(1);
    // The API first connects as the owner to migrate; the worker only as the runtime role.
    const role = entry === 'api' ? 'postgres' : 'sciatrack_app';
    expectOneClearLine(
      result.stderr,
      new RegExp(
        `cannot reach PostgreSQL at postgres://${role}:\\*\\*\\*@127\\.0\\.0\\.1:1/sciatrack`,
      ),
      /Start it/,
    );
    expect(result.stderr).not.toContain('s3cret-pw');
    expect(result.stderr).not.toContain('0wner-pw');
  });

  it('exits non-zero with one line naming Redis when nothing listens at REDIS_URL', async () => {
    const result = await finished(start(entry, { REDIS_URL: DEAD_REDIS, PORT: '0' }));
    expect(result.code).toBe(1);
    expectOneClearLine(
      result.stderr,
      /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/,
      /redis-server/,
    );
  });

  it('exits non-zero with one line for an invalid setting', async () => {
    const result = await finished(start(entry, { PORT: 'eighty' }));
    expect(result.code).toBe(1);
    expectOneClearLine(result.stderr, /invalid configuration/, /PORT/);
  });
});

describe('api process', () => {
  it('exits with one line when it should migrate but has no owner URL (production)', async () => {
    const result = await finished(
      start('api', {
        NODE_ENV: 'production',
        ADMIN_TOKEN: 'a-long-operator-token-for-prod',
        WEBHOOK_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
        DATABASE_OWNER_URL: '',
        PORT: '0',
      }),
    );
    expect(result.code).toBe(1);
    expectOneClearLine(result.stderr, /set DATABASE_OWNER_URL, or MIGRATIONS_RUN=false/);
  });

  it('is ready within 30 s and logs JSON lines with request ids and no patient data', async () => {
    const port = String(await freePort());
    const child = start('api', { PORT: port });
    const base = `http://127.0.0.1:${port}`;
    const startedAt = Date.now();
    try {
      let status = 0;
      while (Date.now() - startedAt < 30_000) {
        status = await fetch(`${base}/health/ready`).then(
          (r) => r.status,
          () => 0,
        );
        if (status === 200) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(status).toBe(200);

      // Some patient data goes through the API...
      const json = (key: string) => ({
        Authorization: `Bearer ${key}`,
        'Content-Type': 'application/json',
      });
      const org = (await (
        await fetch(`${base}/v1/admin/organizations`, {
          method: 'POST',
          headers: json(TEST_ADMIN_TOKEN),
          body: JSON.stringify({ name: 'Log Check Clinic' }),
        })
      ).json()) as { adminKey: string };
      const clinician = (await (
        await fetch(`${base}/v1/clinicians`, {
          method: 'POST',
          headers: json(org.adminKey),
          body: JSON.stringify({ name: 'Dr. Loggable', email: 'loggable@clinic.example' }),
        })
      ).json()) as { id: string };
      const externalRef = 'MRN-LOG-7731';
      const patient = await fetch(`${base}/v1/patients`, {
        method: 'POST',
        headers: json(org.adminKey),
        body: JSON.stringify({
          externalRef,
          timezone: 'America/Chicago',
          clinicianId: clinician.id,
        }),
      });
      expect(patient.status).toBe(201);
      const { id } = (await patient.json()) as { id: string };
      const read = await fetch(`${base}/v1/patients/${id}`, {
        headers: { ...json(org.adminKey), 'x-request-id': 'log-check-1' },
      });
      expect(read.status).toBe(200);
      await fetch(`${base}/v1/patients/${id}`, {
        method: 'PATCH',
        headers: json(org.adminKey),
        body: '{"timezone": 12',
      });

      // ...and none of it reaches the logs.
      await new Promise((r) => setTimeout(r, 300));
      const lines = child.output.stdout.trim().split('\n');
      const entries = lines.map(
        (line) =>
          JSON.parse(line) as {
            req?: { id: string };
            route?: string;
            res?: { statusCode: number };
          },
      );
      expect(entries.find((e) => e.req?.id === 'log-check-1')).toMatchObject({
        req: { id: 'log-check-1', method: 'GET' },
        route: '/v1/patients/:id',
        res: { statusCode: 200 },
      });
      for (const secret of [
        externalRef,
        id,
        org.adminKey,
        'America/Chicago',
        'loggable@clinic.example',
        'Loggable',
      ]) {
        expect(child.output.stdout).not.toContain(secret);
        expect(child.output.stderr).not.toContain(secret);
      }
    } finally {
      child.kill('SIGTERM');
      const result = await finished(child);
      expect(result.code).toBe(0);
    }
  });
});
