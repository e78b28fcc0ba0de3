import { context, propagation, trace } from '@opentelemetry/api';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-node';
import type { IncomingMessage } from 'node:http';
import { RedactingExporter } from './redaction';

export interface TracingOptions {
  serviceName: string;
  exporter: SpanExporter;
  /** Export each span as it ends (tests) instead of in batches. */
  exportEachSpan?: boolean;
  /** Trace incoming HTTP requests (the API), named by their route template. */
  incomingHttp?: { routeOf(request: IncomingMessage): string | undefined };
}

export interface Tracing {
  readonly instrumentations: readonly Instrumentation[];
  /** Exports what is left and unhooks everything. */
  shutdown(): Promise<void>;
}

// Probes and scrapes every few seconds: spans of nothing.
const UNTRACED_PATHS = /^\/(health|metrics)(\/|\?|$)/;

/**
 * Starts the OpenTelemetry SDK: a tracer provider whose spans are redacted before any exporter
 * sees them, and the instrumentations of PostgreSQL (statements under a traced request or job
 * only, without their parameters) and, for the API, of incoming HTTP requests. Outgoing HTTP is
 * not instrumented: the webhook attempt has a span of its own that sends no trace header to a
 * clinic's receiver, and the exporter's own requests stay out of the traces.
 *
 * No global propagator is registered, so a client's `traceparent` header is not followed: every
 * request starts a trace of its own (a third party picks neither our trace ids nor our sampling).
 */
export function startTracing(options: TracingOptions): Tracing {
  const exporter = new RedactingExporter(options.exporter);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [
      options.exportEachSpan ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter),
    ],
    spanLimits: { attributeValueLengthLimit: 4096 },
  });
  provider.register({ propagator: null });

  const instrumentations: Instrumentation[] = [
    new PgInstrumentation({
      requireParentSpan: true,
      enhancedDatabaseReporting: false,
      addSqlCommenterCommentToQueries: false,
    }),
  ];
  const routes = options.incomingHttp;
  if (routes) {
    instrumentations.push(
      new HttpInstrumentation({
        disableOutgoingRequestInstrumentation: true,
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.test(req.url ?? ''),
        applyCustomAttributesOnSpan: (span, request) => {
          const route = routes.routeOf(request as IncomingMessage);
          if (!route) return;
          span.setAttribute('http.route', route);
          span.updateName(`${(request as IncomingMessage).method ?? 'HTTP'} ${route}`);
        },
      }),
    );
  }
  const unhook = registerInstrumentations({ instrumentations, tracerProvider: provider });

  return {
    instrumentations,
    async shutdown() {
      unhook();
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
