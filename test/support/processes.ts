import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
export const ENTRY = {
  api: join(ROOT, 'dist/apps/api/src/main.js'),
  worker: join(ROOT, 'dist/apps/worker/src/main.js'),
  healthcheck: join(ROOT, 'dist/apps/worker/src/healthcheck.js'),
} as const;

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts a built entry point (npm test builds first) with this run's environment plus overrides. */
export function start(
  entry: keyof typeof ENTRY,
  env: Record<string, string> = {},
): ChildProcess & { output: { stdout: string; stderr: string } } {
  if (!existsSync(ENTRY[entry]))
    throw new Error(`${ENTRY[entry]} is missing: run npm run build (npm test does)`);
  const child = spawn(process.execPath, [ENTRY[entry]], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcess & { output: { stdout: string; stderr: string } };
  child.output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (d: Buffer) => (child.output.stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (child.output.stderr += d.toString()));
  return child;
}

export function finished(
  child: ChildProcess & { output: { stdout: string; stderr: string } },
  timeoutMs = 20_000,
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    // Exited already (several processes stopped together, awaited in turn): 'exit' has fired.
    if (child.exitCode !== null || child.signalCode !== null) {
      setImmediate(() =>
        resolve({ code: child.exitCode, signal: child.signalCode, ...child.output }),
      );
      return;
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `process did not exit within ${timeoutMs} ms; stderr: ${child.output.stderr}; ` +
            `last output: ${child.output.stdout.slice(-3000)}`,
        ),
      );
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // Let the pipes drain.
      setImmediate(() => resolve({ code, signal, ...child.output }));
    });
  });
}

export async function waitForOutput(
  child: ChildProcess & { output: { stdout: string; stderr: string } },
  pattern: RegExp,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(child.output.stdout)) {
    if (child.exitCode !== null) throw new Error(`process exited early: ${child.output.stderr}`);
    if (Date.now() > deadline)
      throw new Error(`no ${pattern} within ${timeoutMs} ms: ${child.output.stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A port no one listens on right now (a random pick collided with another spec's server). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
