import { type Backlog, OperationsRepository, ReadReplica } from '@app/persistence';
import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of one API process. Labels are route templates (`/v1/patients/:id`),
 * never concrete paths, so no identifier reaches the metrics store.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'sciatrack_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'sciatrack_http_request_duration_seconds',
    help: 'HTTP request duration, by method and route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  /** Time spent checking an import payload while its client waits (the rest is storage). */
  readonly importValidation = new Histogram({
    name: 'sciatrack_import_validation_seconds',
    help: 'Time spent parsing and checking an activity import body in the request, by format',
    labelNames: ['format'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    registers: [this.registry],
  });

  constructor(operations: OperationsRepository, replica: ReadReplica) {
    collectDefaultMetrics({ register: this.registry, prefix: 'sciatrack_' });
    // The read replica's lag and who served its reads (none without DATABASE_REPLICA_URL).
    for (const metric of replica.metrics) this.registry.registerMetric(metric);
    // What the alert path has not delivered yet, read from PostgreSQL at each scrape: an outbox
    // that grows, or deliveries long overdue, mean Redis or the worker is away.
    const backlog = (name: string, help: string, read: () => Promise<Backlog>) =>
      new Gauge({
        name,
        help,
        labelNames: ['measure'] as const,
        registers: [this.registry],
        collect: async function (this: Gauge<'measure'>) {
          const { count, oldestSeconds } = await read();
          this.set({ measure: 'count' }, count);
          this.set({ measure: 'oldest_seconds' }, oldestSeconds);
        },
      });
    backlog(
      'sciatrack_outbox_waiting',
      'Outbox events not yet turned into webhook deliveries: how many, and the age of the oldest',
      () => operations.outboxWaiting(),
    );
    backlog(
      'sciatrack_webhook_deliveries_due',
      'Webhook deliveries whose next attempt is due: how many, and how long the oldest has waited',
      () => operations.deliveriesDue(),
    );
  }

  /** Express middleware that times every request, routed or not. */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    const stop = this.duration.startTimer();
    res.on('finish', () => {
      const route = routeTemplate(req);
      this.requests.inc({ method: req.method, route, status: String(res.statusCode) });
      stop({ method: req.method, route });
    });
    next();
  };
}

export function routeTemplate(req: Request): string {
  return req.routeTemplate ?? 'unmatched';
}
