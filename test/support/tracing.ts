// Import first in a spec that captures spans (`testTracing` starts as this module loads): the
// instrumentations must hook `http` before the API's modules load it. The API and the worker
// then run in the spec's process, traced as main.ts traces them, their spans kept in memory
// after the same redaction as any export.
import 'reflect-metadata';
import * as http from 'node:http';
import * as pg from 'pg';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startTracing, type Tracing } from '@app/telemetry/sdk';
import type { InstrumentationBase } from '@opentelemetry/instrumentation';

export interface TestTracing extends Pick<Tracing, 'shutdown'> {
  /** Every span ended so far, as it would have been exported. */
  spans(): ReadableSpan[];
  reset(): void;
}

function startTestTracing(): TestTracing {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing({
    serviceName: 'sciatrack-test',
    exporter,
    exportEachSpan: true,
    incomingHttp: { routeOf: (request) => request.routeTemplate },
  });
  // Jest loads modules through a require of its own, which the instrumentations' hook on Node's
  // never sees: patch the modules the API and the worker use here, as the hook would have (the
  // instrumentations unpatch them at shutdown).
  const loaded: Record<string, object> = { http, pg };
  for (const instrumentation of tracing.instrumentations) {
    for (const definition of (instrumentation as InstrumentationBase).getModuleDefinitions()) {
      const exports = loaded[definition.name];
      if (exports && definition.patch) definition.moduleExports = definition.patch(exports);
    }
  }
  return {
    spans: () => exporter.getFinishedSpans(),
    reset: () => exporter.reset(),
    shutdown: () => tracing.shutdown(),
  };
}

export const testTracing = startTestTracing();
