import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// Fake Withings and Google Health clouds on localhost (the e2e specs and `npm run demo`),
// implementing the documented requests and answers the service uses (docs/providers.md): authorize (consent as a redirect), token
// exchange and refresh, revoke, data pages with their paging, rate limits, notifications.
// Tests drive them: which user consents, what data each user has, when to refuse or throttle.

export const CLIENT = { id: 'sciatrack-test-client', secret: 'sciatrack-test-secret' };

interface Grant {
  user: string;
  access: string;
  accessExpiresAt: number;
  refresh: string;
  revoked: boolean;
}

export interface DataRequest {
  user: string;
  params: Record<string, string>;
  at: number;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const token = () => randomBytes(20).toString('hex');

/** Common to both fakes: grants, codes, throttling, the log of data requests. */
abstract class FakeCloud {
  server!: Server;
  url = '';
  /** Who consents at the next authorize. */
  consentingUser = 'user-1';
  /** Access tokens' lifetime, seconds. */
  accessTtl = 3600;
  grants: Grant[] = [];
  requests: DataRequest[] = [];
  /** The next n data requests are refused as too many. */
  throttleNext = 0;
  /** Data requests in flight at once, and the most seen (two workers on one user show as 2). */
  inFlight = new Map<string, number>();
  maxInFlight = 0;
  /** Delay of every data answer (ms): a slow cloud, so that a pull can be caught midway. */
  latencyMs = 0;
  protected codes = new Map<
    string,
    { user: string; redirect: string; challenge?: string; expiresAt: number }
  >();

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => send(res, 500, { error: String(err) }));
    });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', resolve);
    });
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Expires every access token now (the next data call is refused; the sync must refresh). */
  expireAccessTokens(): void {
    for (const g of this.grants) g.accessExpiresAt = 0;
  }

  /** The patient revokes at the provider: every refresh is refused from now on. */
  revokeUser(user: string): void {
    for (const g of this.grants) if (g.user === user) g.revoked = true;
  }

  dataRequests(user: string): DataRequest[] {
    return this.requests.filter((r) => r.user === user);
  }

  protected issue(user: string): Grant {
    const grant = {
      user,
      access: token(),
      accessExpiresAt: Date.now() + this.accessTtl * 1000,
      refresh: token(),
      revoked: false,
    };
    this.grants.push(grant);
    return grant;
  }

  protected byAccess(header: string | undefined): Grant | null {
    const bearer = /^Bearer (.+)$/.exec(header ?? '')?.[1];
    const grant = this.grants.find((g) => g.access === bearer);
    return grant && !grant.revoked && grant.accessExpiresAt > Date.now() ? grant : null;
  }

  /** Authorize: the user consents at once, the browser is sent back with a code and the state. */
  protected authorize(url: URL, res: ServerResponse, withPkce: boolean): void {
    const redirect = url.searchParams.get('redirect_uri') ?? '';
    const state = url.searchParams.get('state') ?? '';
    if (url.searchParams.get('client_id') !== CLIENT.id || !redirect || !state) {
      send(res, 400, { error: 'invalid_request' });
      return;
    }
    if (withPkce && url.searchParams.get('code_challenge_method') !== 'S256') {
      send(res, 400, { error: 'invalid_request', error_description: 'PKCE S256 required' });
      return;
    }
    const code = token();
    this.codes.set(code, {
      user: this.consentingUser,
      redirect,
      challenge: url.searchParams.get('code_challenge') ?? undefined,
      expiresAt: Date.now() + 30_000,
    });
    const back = new URL(redirect);
    back.searchParams.set('code', code);
    back.searchParams.set('state', state);
    // Google adds parameters of its own to the redirect (the callback must not refuse them).
    if (withPkce) {
      back.searchParams.set('scope', url.searchParams.get('scope') ?? '');
      back.searchParams.set('authuser', '0');
      back.searchParams.set('prompt', 'consent');
      back.searchParams.set('iss', 'https://accounts.google.com');
    }
    res.writeHead(302, { Location: back.toString() });
    res.end();
  }

  protected async track<T>(user: string, params: Record<string, string>, work: () => T) {
    this.requests.push({ user, params, at: Date.now() });
    const n = (this.inFlight.get(user) ?? 0) + 1;
    this.inFlight.set(user, n);
    this.maxInFlight = Math.max(this.maxInFlight, n);
    try {
      if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
      return work();
    } finally {
      this.inFlight.set(user, (this.inFlight.get(user) ?? 1) - 1);
    }
  }

  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export interface WithingsDay {
  date: string;
  steps: number;
  timezone: string;
  /** When Withings last changed the day (unix seconds): `lastupdate` filters on it. */
  modified: number;
  deviceid?: string;
}

/** Withings: `/oauth2_user/authorize2`, `/v2/oauth2`, `/v2/signature`, `/v2/measure`, `/notify`. */
export class FakeWithings extends FakeCloud {
  days = new Map<string, WithingsDay[]>();
  /** Activities per Getactivity page (Withings pages with `more` and `offset`). */
  pageSize = 10;
  subscriptions = new Map<string, string>();
  private nonces = new Set<string>();

  setDays(user: string, days: WithingsDay[]): void {
    const kept = (this.days.get(user) ?? []).filter((d) => !days.some((n) => n.date === d.date));
    this.days.set(
      user,
      [...kept, ...days].sort((a, b) => a.date.localeCompare(b.date)),
    );
  }

  /** Sends the documented notification (form-encoded) to the user's subscribed callback. */
  async notify(user: string, date: string): Promise<number> {
    const callback = this.subscriptions.get(user);
    if (!callback) throw new Error(`user ${user} has no subscription`);
    const res = await fetch(callback, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ userid: user, appli: '16', date }).toString(),
    });
    return res.status;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    if (req.method === 'GET' && url.pathname === '/oauth2_user/authorize2') {
      return this.authorize(url, res, false);
    }
    const form = Object.fromEntries(new URLSearchParams(await readBody(req)));
    const ok = (body: unknown) => send(res, 200, { status: 0, body });
    const fail = (status: number) =>
      send(res, 200, { status, body: {}, error: `status ${status}` });
    if (url.pathname === '/v2/oauth2' && form.action === 'requesttoken') {
      if (form.client_id !== CLIENT.id || form.client_secret !== CLIENT.secret) return fail(503);
      if (form.grant_type === 'authorization_code') {
        const code = this.codes.get(form.code);
        this.codes.delete(form.code);
        if (!code || code.expiresAt < Date.now() || code.redirect !== form.redirect_uri)
          return fail(503);
        return ok(this.tokens(this.issue(code.user)));
      }
      const grant = this.grants.find((g) => g.refresh === form.refresh_token && !g.revoked);
      if (!grant) return fail(503);
      // Withings replaces the refresh token at each refresh.
      grant.revoked = true;
      return ok(this.tokens(this.issue(grant.user)));
    }
    if (url.pathname === '/v2/signature' && form.action === 'getnonce') {
      if (form.signature !== this.sign([form.action, form.client_id, form.timestamp]))
        return fail(100);
      const nonce = token();
      this.nonces.add(nonce);
      return ok({ nonce });
    }
    if (url.pathname === '/v2/oauth2' && form.action === 'revoke') {
      const signed = this.sign([form.action, form.client_id, form.nonce]);
      if (!this.nonces.delete(form.nonce) || form.signature !== signed) return fail(100);
      this.revokeUser(form.userid);
      this.subscriptions.delete(form.userid);
      return ok({});
    }
    const grant = this.byAccess(req.headers.authorization);
    if (url.pathname === '/notify' && form.action === 'subscribe') {
      if (!grant) return fail(401);
      this.subscriptions.set(grant.user, form.callbackurl);
      return ok({});
    }
    if (url.pathname === '/v2/measure' && form.action === 'getactivity') {
      if (!grant) return fail(401);
      return this.track(grant.user, form, () => {
        if (this.throttleNext > 0) {
          this.throttleNext--;
          return fail(601);
        }
        let days = this.days.get(grant.user) ?? [];
        if (form.lastupdate) days = days.filter((d) => d.modified > Number(form.lastupdate));
        else days = days.filter((d) => d.date >= form.startdateymd && d.date <= form.enddateymd);
        const offset = Number(form.offset ?? 0);
        const page = days.slice(offset, offset + this.pageSize);
        const more = offset + this.pageSize < days.length;
        return ok({
          activities: page.map((d) => ({
            date: d.date,
            timezone: d.timezone,
            deviceid: d.deviceid ?? 'a1b2c3d4e5f6',
            hash_deviceid: d.deviceid ?? 'a1b2c3d4e5f6',
            brand: 1,
            is_tracker: true,
            modified: d.modified,
            model: 'Pulse HR',
            modelid: 59,
            steps: d.steps,
          })),
          more,
          offset: more ? offset + this.pageSize : 0,
        });
      });
    }
    send(res, 404, { error: 'not found' });
  }

  private tokens(grant: Grant) {
    return {
      userid: Number(grant.user.replace(/\D/g, '')) || grant.user,
      access_token: grant.access,
      refresh_token: grant.refresh,
      expires_in: this.accessTtl,
      scope: 'user.activity',
      csrf_token: token(),
      token_type: 'Bearer',
    };
  }

  private sign(values: string[]): string {
    return createHmac('sha256', CLIENT.secret).update(values.join(',')).digest('hex');
  }
}

export interface GooglePoint {
  start: string;
  end: string;
  steps: number;
  device?: string;
}

/** Google: `/o/oauth2/v2/auth`, `/token`, `/revoke`, `/v4/users/me/identity`, steps dataPoints. */
export class FakeGoogleHealth extends FakeCloud {
  points = new Map<string, GooglePoint[]>();
  /** Data points per page (the API's default is 1440). */
  pageSize = 1440;
  /** The next n pages break the documented shape (`dataPoints` not a list), paging on as usual. */
  malformNext = 0;
  /** The next n data requests fail (HTTP 503). */
  failNext = 0;

  /** Forgets every page token (they lapse): a continued read is refused with 400. */
  forgetPageTokens(): void {
    this.pages.clear();
  }
  private pages = new Map<string, { user: string; filter: string; offset: number }>();

  setPoints(user: string, points: GooglePoint[]): void {
    const kept = (this.points.get(user) ?? []).filter(
      (p) => !points.some((n) => n.start === p.start),
    );
    this.points.set(user, [...kept, ...points]);
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    if (req.method === 'GET' && url.pathname === '/o/oauth2/v2/auth') {
      return this.authorize(url, res, true);
    }
    if (req.method === 'POST' && url.pathname === '/token') {
      const form = Object.fromEntries(new URLSearchParams(await readBody(req)));
      if (form.client_id !== CLIENT.id || form.client_secret !== CLIENT.secret) {
        return send(res, 401, { error: 'invalid_client' });
      }
      if (form.grant_type === 'authorization_code') {
        const code = this.codes.get(form.code);
        this.codes.delete(form.code);
        const challenge = createHash('sha256')
          .update(form.code_verifier ?? '')
          .digest('base64url');
        if (
          !code ||
          code.expiresAt < Date.now() ||
          code.challenge !== challenge ||
          code.redirect !== form.redirect_uri
        ) {
          return send(res, 400, {
            error: 'invalid_grant',
            error_description: 'Bad code or verifier.',
          });
        }
        const grant = this.issue(code.user);
        return send(res, 200, {
          access_token: grant.access,
          expires_in: this.accessTtl,
          refresh_token: grant.refresh,
          scope: 'https://www.googleapis.com/auth/googlehealth.activity_and_fitness.readonly',
          token_type: 'Bearer',
        });
      }
      const grant = this.grants.find((g) => g.refresh === form.refresh_token);
      if (!grant || grant.revoked) {
        return send(res, 400, {
          error: 'invalid_grant',
          error_description: 'Token has been expired or revoked.',
        });
      }
      grant.access = token();
      grant.accessExpiresAt = Date.now() + this.accessTtl * 1000;
      return send(res, 200, {
        access_token: grant.access,
        expires_in: this.accessTtl,
        token_type: 'Bearer',
      });
    }
    if (req.method === 'POST' && url.pathname === '/revoke') {
      const form = Object.fromEntries(new URLSearchParams(await readBody(req)));
      const t = form.token ?? url.searchParams.get('token');
      const grant = this.grants.find((g) => g.refresh === t || g.access === t);
      if (grant) this.revokeUser(grant.user);
      return send(res, 200, {});
    }
    const grant = this.byAccess(req.headers.authorization);
    if (!grant) return send(res, 401, { error: { code: 401, status: 'UNAUTHENTICATED' } });
    if (url.pathname === '/v4/users/me/identity') {
      return send(res, 200, { name: 'users/me/identity', healthUserId: grant.user });
    }
    if (url.pathname === '/v4/users/me/dataTypes/steps/dataPoints') {
      const params = Object.fromEntries(url.searchParams);
      return this.track(grant.user, params, () => {
        if (this.throttleNext > 0) {
          this.throttleNext--;
          return send(
            res,
            429,
            { error: { code: 429, status: 'RESOURCE_EXHAUSTED' } },
            { 'Retry-After': '1' },
          );
        }
        const m = /start_time >= "([^"]+)" AND steps\.interval\.start_time < "([^"]+)"/.exec(
          params.filter ?? '',
        );
        if (!m) return send(res, 400, { error: { code: 400, status: 'INVALID_ARGUMENT' } });
        const [from, to] = [Date.parse(m[1]), Date.parse(m[2])];
        const page = params.pageToken ? this.pages.get(params.pageToken) : null;
        if (
          params.pageToken &&
          (!page || page.user !== grant.user || page.filter !== params.filter)
        ) {
          return send(res, 400, {
            error: { code: 400, status: 'INVALID_ARGUMENT', message: 'Invalid page token.' },
          });
        }
        if (this.failNext > 0) {
          this.failNext--;
          return send(res, 503, { error: { code: 503, status: 'UNAVAILABLE' } });
        }
        const offset = page ? page.offset : 0;
        const size = Math.min(Number(params.pageSize ?? 1440), this.pageSize);
        const all = (this.points.get(grant.user) ?? [])
          .filter((p) => Date.parse(p.start) >= from && Date.parse(p.start) < to)
          .sort((a, b) => b.start.localeCompare(a.start));
        const slice = all.slice(offset, offset + size);
        let nextPageToken: string | undefined;
        if (offset + size < all.length) {
          nextPageToken = token();
          this.pages.set(nextPageToken, {
            user: grant.user,
            filter: params.filter,
            offset: offset + size,
          });
        }
        if (this.malformNext > 0) {
          this.malformNext--;
          return send(res, 200, {
            dataPoints: 'this page is broken',
            ...(nextPageToken ? { nextPageToken } : {}),
          });
        }
        return send(res, 200, {
          dataPoints: slice.map((p) => ({
            dataSource: {
              platform: 'FITBIT',
              recordingMethod: 'PASSIVELY_MEASURED',
              device: {
                displayName: p.device ?? 'Pixel Watch 3',
                manufacturer: 'Google',
                formFactor: 'WATCH',
              },
            },
            steps: {
              count: String(p.steps),
              interval: {
                startTime: p.start,
                startUtcOffset: '0s',
                endTime: p.end,
                endUtcOffset: '0s',
              },
            },
          })),
          ...(nextPageToken ? { nextPageToken } : {}),
        });
      });
    }
    send(res, 404, { error: { code: 404, status: 'NOT_FOUND' } });
  }
}

/** Test configuration pointing the service at the fakes. */
export function providerEnv(
  apiBase: string,
  fakes: { withings: FakeWithings; google: FakeGoogleHealth },
): Record<string, string> {
  return {
    PUBLIC_BASE_URL: apiBase,
    WITHINGS_CLIENT_ID: CLIENT.id,
    WITHINGS_CLIENT_SECRET: CLIENT.secret,
    WITHINGS_AUTH_URL: `${fakes.withings.url}/oauth2_user/authorize2`,
    WITHINGS_API_URL: fakes.withings.url,
    GOOGLE_HEALTH_CLIENT_ID: CLIENT.id,
    GOOGLE_HEALTH_CLIENT_SECRET: CLIENT.secret,
    GOOGLE_HEALTH_AUTH_URL: `${fakes.google.url}/o/oauth2/v2/auth`,
    GOOGLE_HEALTH_TOKEN_URL: `${fakes.google.url}/token`,
    GOOGLE_HEALTH_REVOKE_URL: `${fakes.google.url}/revoke`,
    GOOGLE_HEALTH_API_URL: fakes.google.url,
  };
}
