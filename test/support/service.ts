import type { INestApplicationContext } from '@nestjs/common';
import { createTestApp, type TestApp } from './app';
import { type Clinic, seedClinic } from './factories';
import { createTestWorker } from './worker';

export interface Service {
  t: TestApp;
  worker: INestApplicationContext;
  c: Clinic;
}

/**
 * The API and a worker as main.ts builds them, and a seeded clinic, for the specs of one
 * describe block: started before its tests, closed after them. Read the fields inside tests.
 */
export function withService(env: Record<string, string> = {}): Service {
  const service = {} as Service;
  beforeAll(async () => {
    service.t = await createTestApp(env);
    service.worker = await createTestWorker(env);
    service.c = await seedClinic(service.t.http);
  });
  afterAll(async () => {
    await service.worker?.close();
    await service.t?.close();
  });
  return service;
}
