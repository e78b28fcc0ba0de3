import { Webhook } from 'standardwebhooks';
import { isPrivateAddress } from './addresses';
import { webhookBody } from './events';
import { nextDeliveryStep, parseRetryAfter } from './retry-policy';
import { generateWebhookSecret, signatureHeader, signWebhook } from './signature';

const SCHEDULE = [5, 300, 1800];

describe('nextDeliveryStep', () => {
  it.each([
    ['200 on the first attempt', { kind: 'response', status: 200 }, 1, 0, { kind: 'delivered' }],
    ['204', { kind: 'response', status: 204 }, 2, 0, { kind: 'delivered' }],
    ['500 first: 5 s', { kind: 'response', status: 500 }, 1, 0, { kind: 'retry', delayMs: 5000 }],
    [
      '500 with full jitter: +20 %',
      { kind: 'response', status: 500 },
      1,
      0.999,
      { kind: 'retry', delayMs: 5999 },
    ],
    [
      '500 second: 5 min',
      { kind: 'response', status: 500 },
      2,
      0,
      { kind: 'retry', delayMs: 300_000 },
    ],
    [
      'a redirect is no success',
      { kind: 'response', status: 301 },
      1,
      0,
      { kind: 'retry', delayMs: 5000 },
    ],
    [
      'a timeout',
      { kind: 'error', error: 'no answer within 15000 ms' },
      3,
      0,
      { kind: 'retry', delayMs: 1_800_000 },
    ],
    [
      '429 asking for longer than the schedule',
      { kind: 'response', status: 429, retryAfterMs: 60_000 },
      1,
      0,
      { kind: 'retry', delayMs: 60_000 },
    ],
    [
      '429 asking for less than the schedule',
      { kind: 'response', status: 429, retryAfterMs: 1000 },
      1,
      0,
      { kind: 'retry', delayMs: 5000 },
    ],
    [
      'Retry-After on a 503 is not a 429',
      { kind: 'response', status: 503, retryAfterMs: 60_000 },
      1,
      0,
      { kind: 'retry', delayMs: 5000 },
    ],
    ['410 disables', { kind: 'response', status: 410 }, 1, 0, { kind: 'disable_endpoint' }],
    [
      'exhausted',
      { kind: 'response', status: 500 },
      4,
      0,
      { kind: 'dead', reason: 'no 2xx after 4 attempts (HTTP 500)' },
    ],
  ] as const)('%s', (_label, outcome, attempts, random, expected) => {
    expect(nextDeliveryStep(outcome, attempts, SCHEDULE, random)).toEqual(expected);
  });

  it('caps a Retry-After at a day', () => {
    const step = nextDeliveryStep(
      { kind: 'response', status: 429, retryAfterMs: 9e9 },
      1,
      SCHEDULE,
      0,
    );
    expect(step).toEqual({ kind: 'retry', delayMs: 24 * 3600_000 });
  });
});

describe('parseRetryAfter', () => {
  const now = new Date('2026-11-30T10:00:00Z');
  it.each([
    ['2', 2000],
    [' 120 ', 120_000],
    ['Mon, 30 Nov 2026 10:00:30 GMT', 30_000],
    ['Mon, 30 Nov 2026 09:00:00 GMT', 0],
    ['soon', null],
    ['', null],
    [undefined, null],
  ])('%p → %p ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('webhook signatures', () => {
  const body = '{"type":"alert.created","data":{"alertId":"a"}}';
  const id = 'c0ffee00-0000-4000-8000-000000000001';
  // The reference verifier refuses a timestamp more than 5 minutes from its own clock.
  // eslint-disable-next-line no-restricted-syntax
  const ts = Math.floor(Date.now() / 1000);

  it('makes secrets of 24 to 64 random bytes, and refuses other sizes', () => {
    for (const bytes of [24, 32, 64]) {
      const secret = generateWebhookSecret(bytes);
      expect(secret).toMatch(/^whsec_/);
      expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(bytes);
    }
    expect(generateWebhookSecret()).not.toBe(generateWebhookSecret());
    expect(() => generateWebhookSecret(16)).toThrow(RangeError);
    expect(() => generateWebhookSecret(65)).toThrow(RangeError);
  });

  it('is what the standardwebhooks reference verifier accepts', () => {
    const secret = generateWebhookSecret();
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': String(ts),
      'webhook-signature': signWebhook(secret, id, ts, body),
    };
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(secret).sign(id, new Date(ts * 1000), body)).toBe(
      headers['webhook-signature'],
    );
  });

  it('carries one signature per secret during a rotation; either verifies', () => {
    const [old, fresh, stranger] = [
      generateWebhookSecret(),
      generateWebhookSecret(),
      generateWebhookSecret(),
    ];
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': String(ts),
      'webhook-signature': signatureHeader([fresh, old], id, ts, body),
    };
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(old).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(fresh).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(stranger).verify(body, headers)).toThrow();
  });
});

describe('isPrivateAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['10.20.30.40', true],
    ['172.16.0.1', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['224.0.0.1', true],
    ['8.8.8.8', false],
    ['93.184.215.14', false],
    ['::1', true],
    ['::', true],
    ['fe80::1', true],
    ['fd12:3456::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['::ffff:8.8.8.8', false],
    ['64:ff9b::a00:1', true],
    ['64:ff9b::10.0.0.1', true],
    ['64:ff9b::808:808', false],
    ['::7f00:1', true],
    ['::ffff:0:7f00:1', true],
    ['2002:a9fe:a9fe::1', true],
    ['2002:808:808::1', false],
    ['2001:0:4136:e378::1', true],
    ['fec0::1', true],
    ['2606:4700:4700::1111', false],
    ['not-an-address', true],
  ])('%s → %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });
});

describe('webhookBody', () => {
  it.each([
    [
      'an alert event: its four ids and words, in the contract order',
      {
        type: 'alert.created' as const,
        timestamp: '2026-12-03T10:00:00.000Z',
        data: { severity: 'urgent', rule: 'RED_FLAG_SYSTEMIC', patientId: 'p1', alertId: 'a1' },
      },
      '{"type":"alert.created","timestamp":"2026-12-03T10:00:00.000Z","data":{"alertId":"a1","patientId":"p1","rule":"RED_FLAG_SYSTEMIC","severity":"urgent"}}',
    ],
    [
      "a worklist escalation: the patient, band, score and the reasons' kinds",
      {
        type: 'worklist.escalated' as const,
        timestamp: '2026-12-03T10:00:00.000Z',
        data: { reasons: ['urgent_alert'], score: 500, band: 'urgent' as const, patientId: 'p1' },
      },
      '{"type":"worklist.escalated","timestamp":"2026-12-03T10:00:00.000Z","data":{"patientId":"p1","band":"urgent","score":500,"reasons":["urgent_alert"]}}',
    ],
  ])('%s', (_name, event, body) => {
    expect(webhookBody(event)).toBe(body);
  });

  it('sends nothing the event type does not define', () => {
    const event = {
      type: 'alert.created' as const,
      timestamp: 't',
      data: { alertId: 'a', patientId: 'p', rule: 'r', severity: 's', note: 'leg pain' },
    };
    expect(webhookBody(event)).not.toContain('leg pain');
  });
});
