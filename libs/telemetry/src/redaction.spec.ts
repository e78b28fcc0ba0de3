import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { redactedSpan } from './redaction';

const span = (over: Partial<ReadableSpan>): ReadableSpan =>
  ({
    name: 'POST /v1/patients/:id/pain-reports',
    kind: SpanKind.SERVER,
    spanContext: () => ({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 }),
    startTime: [0, 0],
    endTime: [0, 1],
    status: { code: SpanStatusCode.UNSET },
    attributes: {},
    links: [],
    events: [],
    duration: [0, 1],
    ended: true,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
    ...over,
  }) as ReadableSpan;

describe('redactedSpan', () => {
  it('keeps the allowed attributes and our ids, and drops what a request or driver said', () => {
    const out = redactedSpan(
      span({
        attributes: {
          'http.request.method': 'GET',
          'http.route': '/fhir/R4/:type',
          'http.response.status_code': 200,
          'url.path': '/v1/providers/withings/notify/3f1c/6a9b0c',
          'url.query': 'identifier=MRN-123',
          'client.address': '203.0.113.7',
          'user_agent.original': 'PatientApp/2.1 (iPhone 15; iOS 18)',
          'db.query.text': 'SELECT 1 FROM patients WHERE id = $1',
          'db.query.parameter.0': 'MRN-123',
          'sciatrack.outbox.event_id': 'e1',
        },
      }),
    );
    expect(out.attributes).toEqual({
      'http.request.method': 'GET',
      'http.route': '/fhir/R4/:type',
      'http.response.status_code': 200,
      'db.query.text': 'SELECT 1 FROM patients WHERE id = $1',
      'sciatrack.outbox.event_id': 'e1',
    });
    expect(out.spanContext().spanId).toBe('b'.repeat(16));
  });

  it('keeps of an error its class, not its message', () => {
    const out = redactedSpan(
      span({
        status: {
          code: SpanStatusCode.ERROR,
          message: 'invalid input syntax for type uuid: "MRN-123"',
        },
        events: [
          {
            name: 'exception',
            time: [0, 0],
            attributes: {
              'exception.type': 'QueryFailedError',
              'exception.message': 'invalid input syntax for type uuid: "MRN-123"',
              'exception.stacktrace': 'QueryFailedError: invalid input … "MRN-123"',
            },
          },
          { name: 'log', time: [0, 0], attributes: { note: 'MRN-123' } },
        ],
        links: [
          {
            context: { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceFlags: 1 },
            attributes: { note: 'MRN-123' },
          },
        ],
      }),
    );
    expect(out.status).toEqual({ code: SpanStatusCode.ERROR });
    expect(out.events).toEqual([
      { name: 'exception', time: [0, 0], attributes: { 'exception.type': 'QueryFailedError' } },
    ]);
    expect(JSON.stringify(out.links)).not.toContain('MRN-123');
  });
});
