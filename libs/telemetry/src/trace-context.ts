import {
  context,
  type Context,
  isSpanContextValid,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  trace,
  TraceFlags,
} from '@opentelemetry/api';

/**
 * The service's own spans, and the W3C traceparent that carries a trace from the API request
 * through the outbox row and the jobs to the webhook delivery. With tracing off (no SDK
 * registered) every call here is the OpenTelemetry API's no-op: no span, no traceparent.
 */
export const tracer = trace.getTracer('sciatrack');

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A span's context as a W3C traceparent (`00-<trace id>-<span id>-<flags>`); null if none. */
export function traceparentOf(span: Span | undefined): string | null {
  const sc = span?.spanContext();
  if (!sc || !isSpanContextValid(sc)) return null;
  const flags = (sc.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  return `00-${sc.traceId}-${sc.spanId}-${flags}`;
}

/** The traceparent of the span running now (a request's, a job's), or null. */
export function activeTraceparent(): string | null {
  return traceparentOf(trace.getActiveSpan());
}

/**
 * The context a stored traceparent names, for spans that continue its trace in another process
 * or later; the root context for null or for anything that is not a version-00 traceparent.
 */
export function contextOfTraceparent(traceparent: string | null | undefined): Context {
  const match = traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (!match) return ROOT_CONTEXT;
  const sc = {
    traceId: match[1],
    spanId: match[2],
    traceFlags: parseInt(match[3], 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  return isSpanContextValid(sc) ? trace.setSpanContext(ROOT_CONTEXT, sc) : ROOT_CONTEXT;
}

/**
 * Marks a span failed with the error's class only: messages may quote values (a driver's
 * "invalid input syntax for type uuid: …"), and spans carry ids, never data.
 */
export function recordFailure(span: Span, err: unknown): void {
  const type = err instanceof Error ? err.constructor.name : typeof err;
  span.recordException({ name: type });
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/**
 * Runs `work` in a new active span, a child of `parent` (a stored traceparent) when given, else
 * of the active span; ends it, and records a failure by its class.
 */
export function inSpan<T>(
  name: string,
  options: SpanOptions,
  work: (span: Span) => Promise<T>,
  parent?: string | null,
): Promise<T> {
  const ctx = parent === undefined ? context.active() : contextOfTraceparent(parent);
  return tracer.startActiveSpan(name, options, ctx, async (span) => {
    try {
      return await work(span);
    } catch (err) {
      recordFailure(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

export { SpanKind, SpanStatusCode, type Span };
