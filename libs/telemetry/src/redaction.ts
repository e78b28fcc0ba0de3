import type { Attributes } from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-node';
import { EXPORTED_ATTRIBUTES, OWN_ATTRIBUTE_PREFIX } from './attributes';

function allowed(attributes: Attributes | undefined): Attributes {
  const kept: Attributes = {};
  for (const [key, value] of Object.entries(attributes ?? {})) {
    if (EXPORTED_ATTRIBUTES.has(key) || key.startsWith(OWN_ATTRIBUTE_PREFIX)) kept[key] = value;
  }
  return kept;
}

/**
 * The span as it may leave the process: allowed attributes only (attributes.ts); of events, only
 * exceptions and only their type; no status message (an error's text). Links keep their
 * context, not their attributes.
 */
export function redactedSpan(span: ReadableSpan): ReadableSpan {
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: { code: span.status.code },
    attributes: allowed(span.attributes),
    links: span.links.map((link) => ({ context: link.context })),
    events: span.events
      .filter((event) => event.name === 'exception')
      .map((event) => ({
        name: event.name,
        time: event.time,
        attributes: { 'exception.type': event.attributes?.['exception.type'] ?? 'Error' },
      })),
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/** Hands the exporter only redacted spans: whatever an instrumentation records, this is what leaves. */
export class RedactingExporter implements SpanExporter {
  constructor(private readonly exporter: SpanExporter) {}

  export(spans: ReadableSpan[], done: Parameters<SpanExporter['export']>[1]): void {
    this.exporter.export(spans.map(redactedSpan), done);
  }

  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.exporter.forceFlush?.() ?? Promise.resolve();
  }
}
