import type { AppConfig } from '@app/config';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { WorkerModule } from './worker.module';

/** The worker: an application context with no HTTP server. Used by main.ts and tests. */
export async function createWorkerApp(config: AppConfig): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    bufferLogs: true,
    // Throw instead of exiting, so main.ts reports one line and tests see the error.
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  return app;
}
