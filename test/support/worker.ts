import { loadConfig } from '@app/config';
import type { INestApplicationContext } from '@nestjs/common';
import { createWorkerApp } from '../../apps/worker/src/worker.factory';

/** The worker exactly as main.ts builds it (no HTTP server), against this run's database and Redis. */
export async function createTestWorker(
  overrides: Record<string, string> = {},
): Promise<INestApplicationContext> {
  return createWorkerApp(loadConfig({ ...process.env, ...overrides }));
}

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
  label = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${label} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
