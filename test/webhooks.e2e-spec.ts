import type { INestApplicationContext } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { OutboxRelayService } from '../apps/worker/src/webhooks/outbox-relay.service';
import { WebhooksProcessor } from '../apps/worker/src/webhooks/webhooks.processor';
import { createTestApp, TestApp } from './support/app';
import { alertCreatedPayload, bearer, Clinic, factory, seedClinic } from './support/factories';
import { isolated } from './support/isolated';
import { Receiver, type Received } from './support/receiver';
import { createTestWorker, eventually } from './support/worker';

// Retries 0.3 s apart so that a whole schedule plays out within a test.
const space = isolated('webhooks', {
  WEBHOOK_RETRY_SCHEDULE: '0.3,0.3,0.3',
  OUTBOX_POLL_MS: '200',
  WEBHOOK_TIMEOUT_MS: '3000',
  WEBHOOK_ENDPOINT_CONCURRENCY: '2',
});

const FEVER = { redFlags: { fever: true } };
const WEIGHT_LOSS = { redFlags: { weightLoss: true } };

const headersOf = (r: Received) => ({
  'webhook-id': String(r.headers['webhook-id']),
  'webhook-timestamp': String(r.headers['webhook-timestamp']),
  'webhook-signature': String(r.headers['webhook-signature']),
});
const eventOf = (r: Received) =>
  JSON.parse(r.body) as {
    type: string;
    timestamp: string;
    data: { alertId: string; patientId: string; rule: string; severity: string };
  };

describe('alerts delivered as signed webhooks', () => {
  let t: TestApp;
  let worker: INestApplicationContext;
  const receiver = new Receiver();

  beforeAll(async () => {
    await space.setUp();
    t = await createTestApp(space.env);
    worker = await createTestWorker(space.env);
    await receiver.start();
  });
  afterAll(async () => {
    try {
      await worker?.close();
      await t?.close();
      await receiver.stop();
    } finally {
      await space.tearDown();
    }
  });

  /** A clinic with one endpoint at `path`. */
  async function clinicWithEndpoint(path: string, extra: { clinicianId?: string } = {}) {
    const c = await seedClinic(t.http);
    const endpoint = await factory(t.http).webhookEndpoint(c.adminKey, {
      url: receiver.url(path),
      ...extra,
    });
    return { c, endpoint };
  }

  const arrivals = (path: string, count: number, timeoutMs = 15_000) =>
    eventually(
      () => Promise.resolve(receiver.at(path).length >= count && receiver.at(path)),
      timeoutMs,
      `${count} webhook(s) at ${path}`,
    );

  const deliveries = async (c: Clinic, status?: string) =>
    (
      await t.http
        .get(`/v1/webhook-deliveries${status ? `?status=${status}` : ''}`)
        .set(bearer(c.adminKey))
        .expect(200)
    ).body.data as { id: string; status: string; attempts: number; eventId: string }[];

  it('signs every delivery so that the standardwebhooks verifier accepts it, and only it', async () => {
    const { c, endpoint } = await clinicWithEndpoint('/signed');
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(endpoint.secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);

    const report = await factory(t.http).painReport(c.appKey, c.patient.id, FEVER);
    expect(report.findings).toContainEqual(
      expect.objectContaining({ rule: 'RED_FLAG_SYSTEMIC', severity: 'urgent' }),
    );
    const [got] = await arrivals('/signed', 1);

    const verified = new Webhook(endpoint.secret).verify(got.body, headersOf(got));
    const alerts = await t.http.get('/v1/alerts').set(bearer(c.clinicianKey)).expect(200);
    expect(alerts.body.data).toHaveLength(1);
    expect(verified).toEqual({
      type: 'alert.created',
      timestamp: expect.any(String),
      data: {
        alertId: alerts.body.data[0].id,
        patientId: c.patient.id,
        rule: 'RED_FLAG_SYSTEMIC',
        severity: 'urgent',
      },
    });
    // Ids only: nothing the patient said travels in the webhook.
    expect(got.body).not.toMatch(/fever|intensity|low_back/);

    const oneByteOff = got.body.replace('"urgent"', '"urgenT"');
    expect(() => new Webhook(endpoint.secret).verify(oneByteOff, headersOf(got))).toThrow();
    const later = {
      ...headersOf(got),
      'webhook-timestamp': String(Number(got.headers['webhook-timestamp']) + 1),
    };
    expect(() => new Webhook(endpoint.secret).verify(got.body, later)).toThrow();
  });

  it('escalates the open alert on a worse finding, and opens a new one once acknowledged', async () => {
    const { c } = await clinicWithEndpoint('/escalation');
    const f = factory(t.http);
    await f.painReport(c.appKey, c.patient.id, WEIGHT_LOSS);
    const [created] = await arrivals('/escalation', 1);
    await f.painReport(c.appKey, c.patient.id, FEVER);
    const [, escalated] = await arrivals('/escalation', 2);
    // A finding no worse than the open alert is recorded on it, and no one is told again.
    await f.painReport(c.appKey, c.patient.id, WEIGHT_LOSS);

    expect(eventOf(created)).toMatchObject({
      type: 'alert.created',
      data: { rule: 'RED_FLAG_SYSTEMIC', severity: 'warning' },
    });
    expect(eventOf(escalated)).toMatchObject({
      type: 'alert.escalated',
      data: { alertId: eventOf(created).data.alertId, severity: 'urgent' },
    });
    expect(escalated.headers['webhook-id']).not.toBe(created.headers['webhook-id']);

    const open = await t.http.get('/v1/alerts?status=open').set(bearer(c.adminKey)).expect(200);
    expect(open.body.data).toEqual([
      expect.objectContaining({
        id: eventOf(created).data.alertId,
        severity: 'urgent',
        status: 'open',
        escalationCount: 1,
        findingCount: 3,
      }),
    ]);
    await t.http
      .post(`/v1/alerts/${eventOf(created).data.alertId}/acknowledge`)
      .set(bearer(c.clinicianKey))
      .expect(200);
    await f.painReport(c.appKey, c.patient.id, WEIGHT_LOSS);
    const [, , reopened] = await arrivals('/escalation', 3);
    expect(eventOf(reopened)).toMatchObject({
      type: 'alert.created',
      data: { severity: 'warning' },
    });
    expect(eventOf(reopened).data.alertId).not.toBe(eventOf(created).data.alertId);
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.at('/escalation')).toHaveLength(3);
  });

  it('retries a receiver that fails, with the same webhook-id, until it answers 2xx', async () => {
    receiver.script('/flaky', [{ status: 500 }, { status: 500 }, { status: 500 }, { status: 200 }]);
    const { c } = await clinicWithEndpoint('/flaky');
    await factory(t.http).painReport(c.appKey, c.patient.id, FEVER);
    const got = await arrivals('/flaky', 4);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);
    const [delivery] = await eventually(async () => {
      const rows = await deliveries(c, 'delivered');
      return rows.length > 0 && rows;
    });
    expect(delivery).toMatchObject({ attempts: 4, eventId: got[0].headers['webhook-id'] });
    await new Promise((r) => setTimeout(r, 1000));
    expect(receiver.at('/flaky')).toHaveLength(4);
  });

  it('disables an endpoint that answers 410 Gone', async () => {
    receiver.script('/gone', [{ status: 410 }]);
    const { c, endpoint } = await clinicWithEndpoint('/gone');
    await factory(t.http).painReport(c.appKey, c.patient.id, FEVER);
    await arrivals('/gone', 1);
    const after = await eventually(async () => {
      const res = await t.http
        .get(`/v1/webhook-endpoints/${endpoint.id}`)
        .set(bearer(c.adminKey))
        .expect(200);
      return res.body.enabled === false && res.body;
    });
    expect(after.disabledReason).toMatch(/410/);
    expect(await deliveries(c, 'dead')).toHaveLength(1);
    // Nothing more is sent to it.
    await factory(t.http).painReport(c.adminKey, c.otherPatient.id, FEVER);
    await new Promise((r) => setTimeout(r, 1500));
    expect(receiver.at('/gone')).toHaveLength(1);

    // Back on: its dead letter can be replayed (not before).
    const [dead] = await deliveries(c, 'dead');
    await t.http
      .post(`/v1/webhook-deliveries/${dead.id}/replay`)
      .set(bearer(c.adminKey))
      .expect(409);
    receiver.script('/gone', [{ status: 200 }]);
    const enabled = await t.http
      .post(`/v1/webhook-endpoints/${endpoint.id}/enable`)
      .set(bearer(c.adminKey))
      .expect(200);
    expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null });
    await t.http
      .post(`/v1/webhook-deliveries/${dead.id}/replay`)
      .set(bearer(c.adminKey))
      .expect(202);
    const [, again] = await arrivals('/gone', 2);
    expect(again.headers['webhook-id']).toBe(dead.eventId);
  });

  it('waits as long as a 429 Retry-After asks', async () => {
    receiver.script('/busy', [{ status: 429, headers: { 'Retry-After': '2' } }, { status: 200 }]);
    const { c } = await clinicWithEndpoint('/busy');
    await factory(t.http).painReport(c.appKey, c.patient.id, FEVER);
    const [first, second] = await arrivals('/busy', 2);
    // The schedule alone would have retried after 0.3 s.
    expect(second.at - first.at).toBeGreaterThanOrEqual(2000);
  });

  it('puts an exhausted delivery in the dead letter, and a replay delivers it', async () => {
    receiver.script('/down', [{ status: 503 }]);
    const { c } = await clinicWithEndpoint('/down');
    await factory(t.http).painReport(c.appKey, c.patient.id, FEVER);
    // The first attempt and three retries.
    await arrivals('/down', 4);
    const [dead] = await eventually(async () => {
      const rows = await deliveries(c, 'dead');
      return rows.length > 0 && rows;
    });
    expect(dead).toMatchObject({ attempts: 4, deadReason: expect.stringMatching(/503/) });

    receiver.script('/down', [{ status: 204 }]);
    const replayed = await t.http
      .post(`/v1/webhook-deliveries/${dead.id}/replay`)
      .set(bearer(c.adminKey))
      .expect(202);
    expect(replayed.body).toMatchObject({ status: 'pending', replayCount: 1 });
    const got = await arrivals('/down', 5);
    expect(got[4].headers['webhook-id']).toBe(dead.eventId);
    await eventually(async () => (await deliveries(c, 'delivered')).length === 1);
    await t.http
      .post(`/v1/webhook-deliveries/${dead.id}/replay`)
      .set(bearer(c.adminKey))
      .expect(409);
  });

  it('signs with both secrets during a rotation, then with the new one only', async () => {
    const { c, endpoint } = await clinicWithEndpoint('/rotation');
    const rotated = await t.http
      .post(`/v1/webhook-endpoints/${endpoint.id}/rotate-secret`)
      .set(bearer(c.adminKey))
      .send({})
      .expect(200);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    expect(rotated.body.previousSecretExpiresAt).not.toBeNull();
    await factory(t.http).painReport(c.appKey, c.patient.id, FEVER);
    const [during] = await arrivals('/rotation', 1);
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(() => new Webhook(endpoint.secret).verify(during.body, headersOf(during))).not.toThrow();
    expect(() =>
      new Webhook(rotated.body.secret).verify(during.body, headersOf(during)),
    ).not.toThrow();

    // While the first secret still signs, a second rotation may not silently drop it...
    await t.http
      .post(`/v1/webhook-endpoints/${endpoint.id}/rotate-secret`)
      .set(bearer(c.adminKey))
      .send({})
      .expect(409);
    // ...but dropping both old secrets at once (a leak) is always possible.
    const again = await t.http
      .post(`/v1/webhook-endpoints/${endpoint.id}/rotate-secret`)
      .set(bearer(c.adminKey))
      .send({ previousSecretValidSeconds: 0 })
      .expect(200);
    await factory(t.http).painReport(c.adminKey, c.otherPatient.id, FEVER);
    const [, after] = await arrivals('/rotation', 2);
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(() => new Webhook(again.body.secret).verify(after.body, headersOf(after))).not.toThrow();
    expect(() => new Webhook(rotated.body.secret).verify(after.body, headersOf(after))).toThrow();
  });

  it('sends once when the same event and the same attempt are processed twice at once', async () => {
    const { c } = await clinicWithEndpoint('/twice');
    // An event the relay has already stamped: only the calls below process it.
    const [{ id: eventId }] = await t.db.query(
      `INSERT INTO outbox (organization_id, event_type, payload, relayed_at)
       VALUES ($1, 'alert.created', $2, now()) RETURNING id`,
      [c.org.id, alertCreatedPayload(c.patient.id)],
    );
    const processor = worker.get(WebhooksProcessor);
    const fanned = await Promise.all([
      processor.fanOut({ eventId }),
      processor.fanOut({ eventId }),
    ]);
    expect(fanned.map((f) => f.deliveries).sort()).toEqual([0, 1]);
    const [{ id: deliveryId }] = await t.db.query(
      'SELECT id FROM webhook_deliveries WHERE event_id = $1',
      [eventId],
    );
    await Promise.all([processor.deliver({ deliveryId }), processor.deliver({ deliveryId })]);
    await arrivals('/twice', 1);
    await new Promise((r) => setTimeout(r, 1000));
    expect(receiver.at('/twice')).toHaveLength(1);
  });

  it('fans out an event whose job was lost after the relay stamped it', async () => {
    const { c } = await clinicWithEndpoint('/lost');
    // Relayed a minute ago, its job gone with a Redis restart (Redis keeps nothing on disk).
    await t.db.query(
      `INSERT INTO outbox (organization_id, event_type, payload, relayed_at)
       VALUES ($1, 'alert.created', $2, now() - interval '1 minute')`,
      [c.org.id, alertCreatedPayload(c.patient.id, 'NEW_LEG_PAIN', 'warning')],
    );
    expect((await worker.get(OutboxRelayService).sweep()).events).toBeGreaterThanOrEqual(1);
    const [got] = await arrivals('/lost', 1);
    expect(eventOf(got).data.rule).toBe('NEW_LEG_PAIN');
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.at('/lost')).toHaveLength(1);
  });

  it('keeps a slow receiver to its share of attempts in flight, and still delivers everything', async () => {
    receiver.script('/slow', [{ status: 200, delayMs: 400 }]);
    const { c } = await clinicWithEndpoint('/slow');
    const f = factory(t.http);
    const patients = await Promise.all(
      Array.from({ length: 8 }, () => f.patient(c.adminKey, { clinicianId: c.clinician.id })),
    );
    await Promise.all(patients.map((p) => f.painReport(c.adminKey, p.id, FEVER)));
    const got = await arrivals('/slow', 8);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(8);
    expect(receiver.mostAtOnce.get('/slow')).toBeLessThanOrEqual(2);
  });

  it('sends worklist.escalated, signed, when the worker moves a patient into the urgent band', async () => {
    const c = await seedClinic(t.http);
    const endpoint = await factory(t.http).webhookEndpoint(c.adminKey, {
      url: receiver.url('/worklist'),
      events: ['worklist.escalated'],
    });
    await factory(t.http).painReport(c.appKey, c.patient.id, FEVER);
    // The worker's next adherence tick (every 10 s) updates the entry and writes the event.
    const [got] = await arrivals('/worklist', 1, 30_000);
    expect(new Webhook(endpoint.secret).verify(got.body, headersOf(got))).toEqual({
      type: 'worklist.escalated',
      timestamp: expect.any(String),
      data: {
        patientId: c.patient.id,
        band: 'urgent',
        score: expect.any(Number),
        reasons: expect.arrayContaining(['urgent_alert']),
      },
    });
    // The endpoint did not subscribe to the alert's own event.
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.at('/worklist')).toHaveLength(1);
  });

  it("sends a clinician's endpoint that clinician's patients only", async () => {
    const c = await seedClinic(t.http);
    await factory(t.http).webhookEndpoint(c.adminKey, {
      url: receiver.url('/own'),
      clinicianId: c.clinician.id,
    });
    await factory(t.http).painReport(c.adminKey, c.otherPatient.id, FEVER);
    await factory(t.http).painReport(c.appKey, c.patient.id, FEVER);
    const [got] = await arrivals('/own', 1);
    await new Promise((r) => setTimeout(r, 1000));
    expect(receiver.at('/own')).toHaveLength(1);
    expect(eventOf(got).data.patientId).toBe(c.patient.id);
  });

  it('manages endpoints: validation, listing, deletion, other organizations', async () => {
    const c = await seedClinic(t.http);
    const other = await seedClinic(t.http);
    const bad = await t.http
      .post('/v1/webhook-endpoints')
      .set(bearer(c.adminKey))
      .send({ url: 'ftp://example.com/x', events: ['alert.deleted'] })
      .expect(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(
      expect.arrayContaining(['events']),
    );
    await t.http
      .post('/v1/webhook-endpoints')
      .set(bearer(c.adminKey))
      .send({ url: receiver.url('/x'), events: ['alert.created'], clinicianId: other.clinician.id })
      .expect(422);
    await t.http
      .post('/v1/webhook-endpoints')
      .set(bearer(c.clinicianKey))
      .send({ url: receiver.url('/x'), events: ['alert.created'] })
      .expect(403);
    const e = await factory(t.http).webhookEndpoint(c.adminKey, { url: receiver.url('/x') });
    const listed = await t.http.get('/v1/webhook-endpoints').set(bearer(c.adminKey)).expect(200);
    expect(listed.body.data.map((x: { id: string }) => x.id)).toEqual([e.id]);
    // The secret is shown once: never in a read.
    expect(JSON.stringify(listed.body)).not.toContain(e.secret.slice(6));
    await t.http.get(`/v1/webhook-endpoints/${e.id}`).set(bearer(other.adminKey)).expect(404);
    await t.http.delete(`/v1/webhook-endpoints/${e.id}`).set(bearer(other.adminKey)).expect(404);
    // A cap per organization: every alert is one POST per endpoint.
    for (let i = 1; i < 20; i++) {
      await factory(t.http).webhookEndpoint(c.adminKey, { url: receiver.url(`/x${i}`) });
    }
    await t.http
      .post('/v1/webhook-endpoints')
      .set(bearer(c.adminKey))
      .send({ url: receiver.url('/x21'), events: ['alert.created'] })
      .expect(409);
    await t.http.delete(`/v1/webhook-endpoints/${e.id}`).set(bearer(c.adminKey)).expect(204);
    await t.http.get(`/v1/webhook-endpoints/${e.id}`).set(bearer(c.adminKey)).expect(404);
    const [stored] = await t.db.query(
      `SELECT count(*)::int AS n FROM webhook_endpoints WHERE secret_encrypted::text LIKE '%whsec%'`,
    );
    expect(stored.n).toBe(0);
  });
});

describe('webhook endpoints on private addresses', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ WEBHOOK_ALLOW_PRIVATE_URLS: 'false' });
  });
  afterAll(() => t.close());

  it.each([
    'http://127.0.0.1:8080/hook',
    'http://localhost/hook',
    'https://10.1.2.3/hook',
    'https://192.168.0.10/hook',
    'http://169.254.169.254/latest/meta-data',
    'http://[::1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
  ])('refuses %s unless WEBHOOK_ALLOW_PRIVATE_URLS is on', async (url) => {
    const c = await seedClinic(t.http);
    const res = await t.http
      .post('/v1/webhook-endpoints')
      .set(bearer(c.adminKey))
      .send({ url, events: ['alert.created'] })
      .expect(422);
    expect(res.body.errors).toEqual([
      { field: 'url', message: expect.stringMatching(/private|loopback/) },
    ]);
  });

  it('accepts a public address', async () => {
    const c = await seedClinic(t.http);
    await t.http
      .post('/v1/webhook-endpoints')
      .set(bearer(c.adminKey))
      .send({ url: 'https://93.184.215.14/hook', events: ['alert.created'] })
      .expect(201);
  });
});
