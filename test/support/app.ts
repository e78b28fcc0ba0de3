import { AppConfig, loadConfig } from '@app/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Server } from 'node:http';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { DataSource } from 'typeorm';
import { createApiApp } from '../../apps/api/src/app.factory';

export interface TestApp {
  app: NestExpressApplication;
  http: TestAgent;
  server: Server;
  config: AppConfig;
  db: DataSource;
  /** Every 5xx answered during the spec: a server error is always a bug. */
  serverErrors: string[];
  close(): Promise<void>;
}

/** The API exactly as main.ts builds it, against this run's database. */
export async function createTestApp(
  overrides: Partial<Record<keyof AppConfig, string>> = {},
): Promise<TestApp> {
  const config = loadConfig({ ...process.env, ...overrides });
  const app = await createApiApp(config);
  const serverErrors: string[] = [];
  app.use(
    (
      req: { method: string; originalUrl: string },
      res: { statusCode: number; on: (e: string, f: () => void) => void },
      next: () => void,
    ) => {
      res.on('finish', () => {
        if (res.statusCode >= 500)
          serverErrors.push(`${req.method} ${req.originalUrl} → ${res.statusCode}`);
      });
      next();
    },
  );
  await app.init();
  const server: Server = app.getHttpServer();
  return {
    app,
    http: request(server),
    server,
    config,
    db: app.get(DataSource),
    serverErrors,
    close: async () => {
      await app.close();
      expect(serverErrors).toEqual([]);
    },
  };
}
