import type { AppConfig } from '@app/config';
import { JobQueueService, QUEUES, type QueueName } from '@app/queue';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { secretsEqual } from '../auth/api-key-token';
import { ProblemException } from '../common/problem';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

const DESCRIPTIONS: Record<QueueName, string> = {
  system: 'Pings that prove a worker consumes jobs',
  activity: 'Activity imports and the rollups of their days',
  adherence: 'Adherence periods, their chunks, and the updates of changed records',
  webhooks: 'Outbox events fanned out to endpoints, and delivery attempts',
  exports: 'FHIR Bulk Data exports',
  sync: 'Pulls of wearable-cloud connections',
};

// Besides reading, an operator may retry failed jobs: every processor is idempotent (the state
// lives in PostgreSQL), so a retry redoes nothing that was done. Nothing that removes jobs or
// stops queues (clean, empty, obliterate, remove, pause, edits): a removed job is work lost
// until a sweep notices, and a paused queue holds every clinic's alerts. Both retries are PUTs,
// which a page of another site cannot send here without a CORS preflight this API never grants,
// so the browser's remembered Basic credentials cannot be used against them.
const RETRIES = [
  /^\/api\/queues\/[^/]+\/retry\/failed$/, // every failed job of a queue
  /^\/api\/queues\/[^/]+\/[^/]+\/retry$/, // one job (BullMQ retries failed and completed ones)
];

function operatorToken(req: Request): string | null {
  const header = req.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer) return bearer[1];
  // A browser cannot send a bearer token to a page: HTTP Basic, any user, the token as password.
  const basic = /^Basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(header);
  if (!basic) return null;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : null;
}

/** The operator's token (ADMIN_TOKEN) before anything of the dashboard, and only its writes. */
function operatorGate(config: AppConfig) {
  return (req: Request, res: Response, next: NextFunction): void => {
    // Logs and traces name the dashboard, never its URLs (queue names and job ids).
    req.routeTemplate = QUEUE_DASHBOARD_PATH;
    const token = operatorToken(req);
    if (!token || !secretsEqual(token, config.ADMIN_TOKEN)) {
      res.setHeader('WWW-Authenticate', [
        'Basic realm="sciatrack queues", charset="UTF-8"',
        'Bearer realm="sciatrack"',
      ]);
      next(new ProblemException(401, 'The operator token is missing or wrong'));
      return;
    }
    const reads = req.method === 'GET' || req.method === 'HEAD';
    if (!reads && !(req.method === 'PUT' && RETRIES.some((r) => r.test(req.path)))) {
      res.setHeader('Allow', 'GET, HEAD');
      next(new ProblemException(405, 'The queue dashboard only reads, and retries failed jobs'));
      return;
    }
    next();
  };
}

/**
 * bull-board over every queue of the registry, through the API's own BullMQ queues (their
 * prefixes and connection, a Redis Cluster's too), at /admin/queues behind the operator token.
 * Mounted only when QUEUE_DASHBOARD_ENABLED is true; otherwise the path is a plain 404.
 */
export function mountQueueDashboard(app: NestExpressApplication, config: AppConfig): void {
  const jobs = app.get(JobQueueService);
  const serverAdapter = new ExpressAdapter().setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: QUEUES.map(
      (name) =>
        new BullMQAdapter(jobs.queue(name), {
          description: DESCRIPTIONS[name],
          allowRetries: true,
        }),
    ),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Sciatrack queues' } },
  });
  app.use(QUEUE_DASHBOARD_PATH, operatorGate(config), serverAdapter.getRouter());
}
