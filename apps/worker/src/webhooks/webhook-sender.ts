import { AttemptOutcome, isPrivateAddress, parseRetryAfter } from '@app/domain';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allowPrivate: boolean;
  /** Connection pools from `webhookAgents`; without them every attempt opens its own connection. */
  agents?: WebhookAgents;
  /** The time a `Retry-After` date is read against. */
  now: () => Date;
}

export interface WebhookAgents {
  http: HttpAgent;
  https: HttpsAgent;
}

export class PrivateAddressError extends Error {
  constructor() {
    super('the endpoint resolves to a private or loopback address');
  }
}

/**
 * Resolves like dns.lookup, but refuses private and loopback addresses at connection time, so
 * that a host that resolved to a public address when the endpoint was created cannot later
 * point the worker at the internal network (DNS rebinding).
 */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const allowed = addresses.filter((a) => allowPrivate || !isPrivateAddress(a.address));
      if (allowed.length === 0) return callback(new PrivateAddressError(), '', 0);
      if (options.all)
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
      callback(null, allowed[0].address, allowed[0].family);
    });
  };
}

/**
 * Keep-alive connection pools for a worker's attempts: a receiver gets many webhooks, and a TCP
 * and TLS handshake each would cost more than the rest of the path. Every new connection still
 * goes through the guarded lookup; a reused one was checked when it was opened.
 */
export function webhookAgents(allowPrivate: boolean): WebhookAgents {
  const options = { keepAlive: true, maxSockets: 8, lookup: guardedLookup(allowPrivate) };
  return { http: new HttpAgent(options), https: new HttpsAgent(options) };
}

/**
 * One POST. Redirects are not followed (only 2xx counts, and a redirect could lead anywhere);
 * the response body is discarded; the whole exchange is bounded by `timeoutMs`.
 */
export function sendWebhook(req: WebhookRequest): Promise<AttemptOutcome> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return resolve({ kind: 'error', error: 'invalid URL' });
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !req.allowPrivate && isPrivateAddress(host)) {
      return resolve({ kind: 'error', error: new PrivateAddressError().message });
    }
    const options: RequestOptions = {
      method: 'POST',
      headers: {
        ...req.headers,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(req.body)),
        'user-agent': 'Sciatrack-Webhooks/1',
      },
      lookup: guardedLookup(req.allowPrivate),
      agent: req.agents ? req.agents[url.protocol === 'https:' ? 'https' : 'http'] : false,
    };
    let settled = false;
    const settle = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(url, options, (res) => {
      res.resume();
      const retryAfter: string | undefined = res.headers['retry-after'];
      settle({
        kind: 'response',
        status: res.statusCode ?? 0,
        retryAfterMs: parseRetryAfter(retryAfter, req.now()),
      });
      res.on('error', () => undefined);
    });
    const timer = setTimeout(() => {
      settle({ kind: 'error', error: `no answer within ${req.timeoutMs} ms` });
      request.destroy();
    }, req.timeoutMs);
    request.on('error', (err: NodeJS.ErrnoException) => {
      settle({
        kind: 'error',
        error:
          err instanceof PrivateAddressError ? err.message : (err.code ?? err.constructor.name),
      });
    });
    request.end(req.body);
  });
}
