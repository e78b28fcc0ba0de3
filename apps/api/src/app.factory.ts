import type { IncomingMessage } from 'node:http';
import type { AppConfig } from '@app/config';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { bodyDeadline, applyServerLimits, isImportUpload } from './common/http-limits';
import { checkJsonBody } from './common/json-limits';
import { setupOpenApi } from './common/openapi';
import { ProblemDetailsFilter } from './common/problem-details.filter';
import { ProblemException } from './common/problem';
import { createValidationPipe } from './common/validation';
import { MetricsService } from './metrics/metrics.service';
import { mountQueueDashboard } from './queue-dashboard/queue-dashboard';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const JSON_CONTENT = /^application\/([\w.+-]+\+)?json\b/i;

/** Provider notifications: Withings posts them form-encoded (docs/providers.md). */
const NOTIFY_PATH = /^\/v1\/providers\/[a-z-]+\/notify\//;
function isNotify(req: IncomingMessage): boolean {
  return NOTIFY_PATH.test(req.url ?? '');
}

/** A write with a body that is not JSON would otherwise reach validation as an empty object. */
function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const hasBody =
    Number(req.headers['content-length'] ?? 0) > 0 ||
    req.headers['transfer-encoding'] !== undefined;
  const json = JSON_CONTENT.test(req.headers['content-type'] ?? '');
  if (WRITE_METHODS.has(req.method) && hasBody && !json && !isImportUpload(req) && !isNotify(req)) {
    next(new ProblemException(415, 'Send the body as application/json'));
    return;
  }
  next();
}

/** Builds the API application exactly as it serves: used by main.ts and by the e2e tests. */
export async function createApiApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    bufferLogs: true,
    // Throw instead of exiting, so main.ts reports one line and tests see the error.
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  applyServerLimits(app.getHttpServer(), config);
  app.use(app.get(MetricsService).middleware);
  app.use(bodyDeadline(config));
  app.use(requireJsonBody);
  app.useBodyParser('json', {
    limit: config.BODY_LIMIT_BYTES,
    type: (req: IncomingMessage) =>
      !isImportUpload(req) && JSON_CONTENT.test(req.headers['content-type'] ?? ''),
  });
  app.useBodyParser('urlencoded', {
    extended: false,
    limit: 16 * 1024,
    type: (req: IncomingMessage) =>
      isNotify(req) &&
      /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? ''),
  });
  app.use(checkJsonBody);
  if (config.QUEUE_DASHBOARD_ENABLED) mountQueueDashboard(app, config);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());
  setupOpenApi(app);
  return app;
}
