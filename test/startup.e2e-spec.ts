import { finished, start } from './support/processes';

// Port 1 on loopback: nothing listens there, so the connection is refused at once.
const DEAD_POSTGRES = 'postgres://postgres:s3cret-pw@127.0.0.1:1/sciatrack';
const DEAD_REDIS = 'redis://127.0.0.1:1';

const expectOneClearLine = (stderr: string, ...patterns: RegExp[]) => {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  for (const pattern of patterns) expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/^\s+at /m);
};

describe.each(['api', 'worker'] as const)('%s start-up', (entry) => {
  it('exits non-zero with one line naming PostgreSQL when nothing listens at DATABASE_URL', async () => {
    const result = await finished(start(entry, { DATABASE_URL: DEAD_POSTGRES, PORT: '0' }));
    expect(result.code).toBe(1);
    expectOneClearLine(
      result.stderr,
      /cannot reach PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/sciatrack/,
      /Start it/,
    );
    expect(result.stderr).not.toContain('s3cret-pw');
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

describe('api readiness', () => {
  it('answers GET /health/ready with 200 within 30 s of starting', async () => {
    const port = String(30000 + Math.floor(Math.random() * 20000));
    const child = start('api', { PORT: port });
    const startedAt = Date.now();
    try {
      let status = 0;
      while (Date.now() - startedAt < 30_000) {
        status = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
          (r) => r.status,
          () => 0,
        );
        if (status === 200) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      const result = await finished(child);
      expect(result.code).toBe(0);
    }
  });
});
