import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendWebhook, webhookAgents } from './webhook-sender';

describe('sendWebhook', () => {
  let server: Server;
  let port: number;
  let connections = 0;
  const bodies: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        bodies.push(body);
        if (req.url === '/slow') return; // never answers
        if (req.url === '/moved') return res.writeHead(302, { location: '/ok' }).end();
        if (req.url === '/busy') return res.writeHead(429, { 'retry-after': '7' }).end();
        res.writeHead(200).end('ignored');
      });
    });
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const send = (path: string, allowPrivate = true, host = '127.0.0.1', timeoutMs = 2000) =>
    sendWebhook({
      url: `http://${host}:${port}${path}`,
      headers: { 'webhook-id': 'x' },
      body: '{"a":1}',
      timeoutMs,
      allowPrivate,
      now: () => new Date(),
    });

  it('posts the body and reports the status', async () => {
    expect(await send('/ok')).toEqual({ kind: 'response', status: 200, retryAfterMs: null });
    expect(bodies).toContain('{"a":1}');
  });

  it('reads Retry-After', async () => {
    expect(await send('/busy')).toEqual({ kind: 'response', status: 429, retryAfterMs: 7000 });
  });

  it('does not follow redirects', async () => {
    expect(await send('/moved')).toMatchObject({ kind: 'response', status: 302 });
  });

  it('gives up after the timeout', async () => {
    expect(await send('/slow', true, '127.0.0.1', 300)).toEqual({
      kind: 'error',
      error: 'no answer within 300 ms',
    });
  });

  it('reuses a connection through the agents, and still refuses private hosts through them', async () => {
    const agents = webhookAgents(true);
    const before = connections;
    const request = {
      headers: {},
      body: '{}',
      timeoutMs: 2000,
      allowPrivate: true,
      agents,
      now: () => new Date(),
    };
    for (let i = 0; i < 3; i++) {
      expect(await sendWebhook({ ...request, url: `http://localhost:${port}/ok` })).toMatchObject({
        status: 200,
      });
    }
    expect(connections - before).toBe(1);
    agents.http.destroy();

    const guarded = webhookAgents(false);
    expect(
      await sendWebhook({
        ...request,
        allowPrivate: false,
        agents: guarded,
        url: `http://localhost:${port}/ok`,
      }),
    ).toEqual({ kind: 'error', error: 'the endpoint resolves to a private or loopback address' });
    guarded.http.destroy();
  });

  it.each(['127.0.0.1', 'localhost'])(
    'refuses %s unless private addresses are allowed, before sending anything',
    async (host) => {
      const before = bodies.length;
      expect(await send('/ok', false, host)).toEqual({
        kind: 'error',
        error: 'the endpoint resolves to a private or loopback address',
      });
      expect(bodies).toHaveLength(before);
    },
  );
});
