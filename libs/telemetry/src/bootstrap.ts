import { loadConfig } from '@app/config';
import type { IncomingMessage } from 'node:http';
import type * as Sdk from './sdk';

export interface ProcessTracing {
  /** Exports the spans still buffered; a no-op when tracing is off. */
  shutdown(): Promise<void>;
}

const OFF: ProcessTracing = { shutdown: () => Promise.resolve() };

/**
 * Tracing for a process, from OTEL_EXPORTER_OTLP_ENDPOINT: unset, nothing is loaded or hooked
 * and the OpenTelemetry API stays a no-op. Runs before the application's modules are loaded
 * (each app's tracing.ts, imported first by its main.ts), so that `http` and `pg` are hooked
 * before anything requires them. A configuration that does not load is main.ts's to report.
 */
export function startProcessTracing(
  serviceName: string,
  incomingHttp?: { routeOf(request: IncomingMessage): string | undefined },
): ProcessTracing {
  let endpoint: string | undefined;
  try {
    endpoint = loadConfig().OTEL_EXPORTER_OTLP_ENDPOINT;
  } catch {
    return OFF;
  }
  if (!endpoint) return OFF;
  // Loaded only when tracing is on: the SDK and its exporter cost memory a worker has little of.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { startTracing } = require('./sdk') as typeof Sdk;
  const { OTLPTraceExporter } =
    require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return startTracing({
    serviceName,
    // The endpoint is the collector's base, as OTEL_EXPORTER_OTLP_ENDPOINT is by the
    // specification: traces go to its /v1/traces.
    exporter: new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` }),
    incomingHttp,
  });
}
