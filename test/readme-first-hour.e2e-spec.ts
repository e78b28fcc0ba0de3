import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isolated } from './support/isolated';
import { finished, freePort, start, waitForOutput } from './support/processes';
import { TEST_ADMIN_TOKEN } from './support/test-env';

/** The README's "First hour" commands: every bash block of the section, in order. */
export function firstHourScript(readme: string): string {
  const from = readme.indexOf('### First hour');
  const to = readme.indexOf('\n##', from + 1);
  if (from < 0 || to < 0) throw new Error('README has no "First hour" section');
  const blocks = [...readme.slice(from, to).matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]);
  if (blocks.length < 5) throw new Error(`only ${blocks.length} bash blocks in "First hour"`);
  return blocks.join('\n');
}

function runBash(
  script: string,
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// The walkthrough a newcomer pastes, run as written against the API and the worker as
// `npm run start:demo` starts them (webhooks allowed to a receiver on this machine).
describe('README "First hour"', () => {
  const space = isolated('first-hour', { WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
  const children: ReturnType<typeof start>[] = [];
  let base = '';
  let workdir = '';

  beforeAll(async () => {
    await space.setUp();
    const port = String(await freePort());
    const api = start('api', { ...space.env, PORT: port });
    children.push(api);
    await waitForOutput(api, /listening on port/, 60_000);
    const worker = start('worker', space.env);
    children.push(worker);
    await waitForOutput(worker, /sciatrack worker started/, 60_000);
    base = `http://127.0.0.1:${port}`;
    workdir = mkdtempSync(join(tmpdir(), 'sciatrack-first-hour-'));
  }, 120_000);
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(children.map((child) => finished(child, 30_000)));
    if (workdir) rmSync(workdir, { recursive: true, force: true });
    await space.tearDown();
  }, 60_000);

  it('runs from an empty database to a paused program, an import, flags and a webhook', async () => {
    const script = firstHourScript(readFileSync(join(__dirname, '..', 'README.md'), 'utf8'));
    const result = await runBash(script, workdir, {
      SCIATRACK: base,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      RECEIVER_PORT: String(await freePort()),
    });
    // On a failure, what the walkthrough printed says where it stopped.
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 0,
      stderr: '',
      ...(result.code === 0 ? {} : { stdout: result.stdout }),
    });
    const lines = result.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const having = (key: string) => lines.filter((l) => key in l);

    // The program starts active and the calf report pauses it.
    const programs = having('program').map((l) => l.program);
    expect(programs[0]).toMatchObject({ status: 'active' });
    expect(programs.at(-1)).toMatchObject({ status: 'paused', statusReason: 'PERIPHERALIZATION' });
    expect(having('findings').at(-1)?.findings).toEqual([
      { rule: 'PERIPHERALIZATION', severity: 'warning', action: 'pause_exercises' },
    ]);
    // The import's steps, whichever local days they fell on.
    const daily = lines.filter((l) => 'date' in l && 'steps' in l && !('onHold' in l));
    expect(daily.reduce((sum, d) => sum + Number(d.steps), 0)).toBe(4700);
    expect(lines.find((l) => 'onHold' in l && l.steps === 4700)).toMatchObject({ onHold: true });
    expect(having('flags').at(-1)).toMatchObject({ flags: expect.any(Array) });
    expect(having('rule').find((l) => 'status' in l)).toMatchObject({
      rule: 'PERIPHERALIZATION',
      status: 'open',
    });
    const [webhook] = having('webhookId');
    expect(webhook).toMatchObject({ type: 'alert.created', rule: 'PERIPHERALIZATION' });
    expect(result.stdout).toMatch(/admin key of the clinic: sct_/);
    // What the walkthrough's receiver wrote is what it printed.
    expect(readFileSync(join(workdir, 'webhooks.log'), 'utf8')).toMatch(/alert\.created/);
  }, 150_000);
});
