import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { activeTraceparent, contextOfTraceparent, traceparentOf } from './trace-context';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('traceparent', () => {
  it.each([
    [`00-${TRACE}-${SPAN}-01`, 1],
    [`00-${TRACE}-${SPAN}-00`, 0],
  ])('reads %s back to the span context it names', (traceparent, flags) => {
    const sc = trace.getSpanContext(contextOfTraceparent(traceparent));
    expect(sc).toEqual({ traceId: TRACE, spanId: SPAN, traceFlags: flags, isRemote: true });
    expect(traceparentOf(trace.wrapSpanContext(sc!))).toBe(traceparent);
  });

  it.each([
    null,
    undefined,
    '',
    `01-${TRACE}-${SPAN}-01`,
    `00-${TRACE.toUpperCase()}-${SPAN}-01`,
    `00-${'0'.repeat(32)}-${SPAN}-01`,
    `00-${TRACE}-${'0'.repeat(16)}-01`,
    `00-${TRACE}-${SPAN}-01-extra`,
  ])('starts a trace of its own from %p', (traceparent) => {
    expect(contextOfTraceparent(traceparent)).toBe(ROOT_CONTEXT);
  });

  it('has none to give while tracing is off', () => {
    expect(activeTraceparent()).toBeNull();
    expect(traceparentOf(undefined)).toBeNull();
  });
});
