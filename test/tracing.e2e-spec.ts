import { testTracing } from './support/tracing';
import type { INestApplicationContext } from '@nestjs/common';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { randomUUID } from 'node:crypto';
import { createTestApp, type TestApp } from './support/app';
import { bearer, type Clinic, factory, seedClinic } from './support/factories';
import { isolated } from './support/isolated';
import { Receiver } from './support/receiver';
import { createTestWorker, eventually } from './support/worker';

// The API and a worker in this process, traced as main.ts traces them; a database and a queue
// prefix of their own, so that no other spec's worker relays or delivers these events.
const space = isolated('tracing', { OUTBOX_POLL_MS: '200' });

const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const traceOf = (span: ReadableSpan) => span.spanContext().traceId;
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('one trace from a pain report to the webhook it sets off', () => {
  let t: TestApp;
  let worker: INestApplicationContext;
  let c: Clinic;
  const receiver = new Receiver();

  beforeAll(async () => {
    await space.setUp();
    await receiver.start();
    t = await createTestApp(space.env);
    worker = await createTestWorker(space.env);
    c = await seedClinic(t.http);
  });
  afterAll(async () => {
    try {
      await worker?.close();
      await t?.close();
      await receiver.stop();
      await testTracing.shutdown();
    } finally {
      await space.tearDown();
    }
  });

  it('spans the request, the relay, the fan-out and the delivery, with ids and no patient data', async () => {
    const f = factory(t.http);
    await f.webhookEndpoint(c.adminKey, { url: receiver.url('/traced') });
    const externalRef = `MRN-TRACE-${randomUUID().slice(0, 8)}`;
    const patient = await f.patient(c.adminKey, {
      clinicianId: c.clinician.id,
      externalRef,
      timezone: 'America/Argentina/Ushuaia',
    });
    testTracing.reset();

    await f.painReport(c.adminKey, patient.id, {
      intensity: 9,
      mostDistalSite: 'calf',
      side: 'left',
      context: 'next_day',
      redFlags: { fever: true, weightLoss: true },
    });
    // A search that names the patient by its externalRef, in the URL's query.
    await t.http
      .get(`/fhir/R4/Patient?identifier=${encodeURIComponent(externalRef)}`)
      .set(bearer(c.adminKey))
      .expect(200);

    const [delivered] = await eventually(() => {
      const got = receiver.at('/traced');
      return Promise.resolve(got.length > 0 ? got : null);
    });
    const spans = await eventually(() => {
      const ended = testTracing.spans();
      return Promise.resolve(ended.some((s) => s.name === 'webhook.deliver process') && ended);
    });
    const one = (name: string) => {
      const found = spans.filter((s) => s.name === name);
      expect(found.map((s) => s.name)).toEqual([name]);
      return found[0];
    };

    const request = one('POST /v1/patients/:id/pain-reports');
    const relay = one('outbox relay');
    const fanOut = one('webhook.event process');
    const delivery = one('webhook.deliver process');
    const call = one('webhook POST');

    expect(request.kind).toBe(SpanKind.SERVER);
    expect(request.attributes).toMatchObject({
      'http.route': '/v1/patients/:id/pain-reports',
      'http.response.status_code': 201,
    });
    // One trace, each step the child of the one before.
    for (const span of [relay, fanOut, delivery, call])
      expect(traceOf(span)).toBe(traceOf(request));
    expect(parentOf(relay)).toBe(idOf(request));
    expect(parentOf(fanOut)).toBe(idOf(relay));
    expect(parentOf(delivery)).toBe(idOf(fanOut));
    expect(parentOf(call)).toBe(idOf(delivery));
    expect(call.kind).toBe(SpanKind.CLIENT);
    expect(call.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
    });

    // The outbox row kept the request's context; the receiver got none of it.
    const [row] = await t.db.query<{ trace_context: string }[]>(
      `SELECT trace_context FROM outbox WHERE payload->'data'->>'patientId' = $1`,
      [patient.id],
    );
    expect(row.trace_context).toBe(`00-${traceOf(request)}-${idOf(request)}-01`);
    expect(delivered.headers.traceparent).toBeUndefined();
    expect(relay.attributes).toMatchObject({ 'sciatrack.outbox.event_id': expect.any(String) });

    // Ids only: nothing a span carries names the patient or says what was reported.
    const search = one('GET /fhir/R4/:type');
    expect(search.attributes['http.response.status_code']).toBe(200);
    const carried = JSON.stringify(
      spans.map((s) => ({
        name: s.name,
        attributes: s.attributes,
        events: s.events,
        status: s.status,
        links: s.links,
      })),
    );
    for (const data of [
      externalRef,
      'Ushuaia',
      'calf',
      'next_day',
      'fever',
      'weightLoss',
      'RED_FLAG',
      'Dr. Test',
    ]) {
      expect(carried).not.toContain(data);
    }
    // Nor where a request came from, what it asked in its URL, or who sent it.
    const keys = new Set(spans.flatMap((span) => Object.keys(span.attributes)));
    expect(
      [...keys].filter((k) =>
        /^(url\.(path|query|full)|client\.|user_agent\.|network\.peer\.)/.test(k),
      ),
    ).toEqual([]);
  });
});
