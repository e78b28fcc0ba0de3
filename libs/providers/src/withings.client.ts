import { createHmac } from 'node:crypto';
import { GrantRevoked, ProviderFailure, RateLimited, TokenRefused } from './errors';
import type { Clock } from '@app/config';
import { call, json } from './http';
import type { ProviderTokens } from './oauth';

export const WITHINGS_SCOPE = 'user.activity';
/** Notification category of activity data (docs/providers.md). */
export const WITHINGS_APPLI_ACTIVITY = 16;
/** Withings documents no Retry-After: its limit is per minute, so a minute. */
const RATE_LIMIT_WAIT_MS = 60_000;

export interface WithingsSettings {
  /** The clock token lifetimes and nonces are read from. */
  clock: Clock;
  clientId: string;
  clientSecret: string;
  authUrl: string;
  apiUrl: string;
}

/** Withings' body `status` families (docs/providers.md): 0 ok, authentication, rate limit. */
function isAuthFailure(status: number): boolean {
  return (status >= 100 && status <= 102) || status === 200 || status === 401;
}

/**
 * The Withings public API as its reference documents it (docs/providers.md): OAuth 2.0 (no
 * PKCE in its documentation: the state binds the flow, the client secret the exchange), every
 * call a form POST with an `action`, every answer `{ status, body }` with HTTP 200, Getactivity
 * for daily totals with `more`/`offset` paging, `notify` subscriptions per user, and a revoke
 * signed with the client secret over a fresh nonce.
 */
export class WithingsClient {
  constructor(private readonly s: WithingsSettings) {}

  authorizeUrl(redirectUri: string, state: string): string {
    const params = new URLSearchParams({
      response_type: 'code',
      client_id: this.s.clientId,
      scope: WITHINGS_SCOPE,
      redirect_uri: redirectUri,
      state,
    });
    return `${this.s.authUrl}?${params.toString()}`;
  }

  async exchangeCode(code: string, redirectUri: string): Promise<ProviderTokens> {
    return this.token('code exchange', {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
    });
  }

  /** New tokens: Withings replaces the refresh token each time (keep the new one). */
  async refresh(refreshToken: string): Promise<ProviderTokens> {
    return this.token('refresh', { grant_type: 'refresh_token', refresh_token: refreshToken });
  }

  /** Revokes the user's grant (its notifications go with it): signed, over a fresh nonce. */
  async revoke(userId: string): Promise<void> {
    const nonce = await this.nonce();
    const signature = this.sign(['revoke', this.s.clientId, nonce]);
    const body = await this.post('revoke', '/v2/oauth2', {
      action: 'revoke',
      client_id: this.s.clientId,
      nonce,
      signature,
      userid: userId,
    });
    if (body.status !== 0) {
      throw new ProviderFailure(`Withings revoke: status ${String(body.status)}`);
    }
  }

  /**
   * One page of Getactivity: the body as sent (stored and imported as a `withings` payload),
   * and the next page's offset when `more` says there is one.
   */
  async activityPage(
    accessToken: string,
    window: { startdateymd: string; enddateymd: string } | { lastupdate: number },
    offset: number,
  ): Promise<{ body: Buffer; nextOffset: number | null }> {
    const form: Record<string, string> = {
      action: 'getactivity',
      data_fields: 'steps',
      ...('lastupdate' in window
        ? { lastupdate: String(window.lastupdate) }
        : { startdateymd: window.startdateymd, enddateymd: window.enddateymd }),
    };
    if (offset > 0) form.offset = String(offset);
    const res = await call('Withings getactivity', `${this.s.apiUrl}/v2/measure`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${accessToken}` },
      form,
    });
    const body = json('Withings getactivity', res.body);
    this.check('getactivity', res.status, body);
    const payload = body.body as { more?: unknown; offset?: unknown } | undefined;
    const more = payload?.more === true || payload?.more === 1;
    const next = typeof payload?.offset === 'number' ? payload.offset : null;
    return { body: res.body, nextOffset: more && next !== null && next > offset ? next : null };
  }

  /** Subscribes the user's activity notifications to `callbackUrl`. */
  async subscribe(accessToken: string, callbackUrl: string): Promise<void> {
    const res = await call('Withings notify subscribe', `${this.s.apiUrl}/notify`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${accessToken}` },
      form: {
        action: 'subscribe',
        callbackurl: callbackUrl,
        appli: String(WITHINGS_APPLI_ACTIVITY),
        comment: 'Sciatrack',
      },
    });
    this.check('notify subscribe', res.status, json('Withings notify subscribe', res.body));
  }

  private async nonce(): Promise<string> {
    const timestamp = String(Math.floor(this.s.clock.nowMs() / 1000));
    const body = await this.post('getnonce', '/v2/signature', {
      action: 'getnonce',
      client_id: this.s.clientId,
      timestamp,
      signature: this.sign(['getnonce', this.s.clientId, timestamp]),
    });
    const nonce = (body.body as { nonce?: unknown } | undefined)?.nonce;
    if (body.status !== 0 || typeof nonce !== 'string') {
      throw new ProviderFailure(`Withings getnonce: status ${String(body.status)}`);
    }
    return nonce;
  }

  /** HMAC-SHA256 with the client secret over the values joined by commas, in hex. */
  private sign(values: string[]): string {
    return createHmac('sha256', this.s.clientSecret).update(values.join(',')).digest('hex');
  }

  private async post(
    what: string,
    path: string,
    form: Record<string, string>,
  ): Promise<Record<string, unknown>> {
    const res = await call(`Withings ${what}`, `${this.s.apiUrl}${path}`, { method: 'POST', form });
    if (res.status !== 200) throw new ProviderFailure(`Withings ${what}: HTTP ${res.status}`);
    return json(`Withings ${what}`, res.body);
  }

  /** A data call's answer: status 0, or the error its family means. */
  private check(what: string, httpStatus: number, body: Record<string, unknown>): void {
    if (httpStatus !== 200) throw new ProviderFailure(`Withings ${what}: HTTP ${httpStatus}`);
    const status = body.status;
    if (status === 0) return;
    if (typeof status === 'number' && isAuthFailure(status)) {
      throw new TokenRefused(`Withings ${what}: access token refused (status ${status})`);
    }
    if (status === 601) {
      throw new RateLimited(`Withings ${what}: too many requests (status 601)`, RATE_LIMIT_WAIT_MS);
    }
    throw new ProviderFailure(`Withings ${what}: status ${String(status)}`);
  }

  private async token(what: string, form: Record<string, string>): Promise<ProviderTokens> {
    const body = await this.post(what, '/v2/oauth2', {
      action: 'requesttoken',
      client_id: this.s.clientId,
      client_secret: this.s.clientSecret,
      ...form,
    });
    if (body.status === 601) {
      throw new RateLimited(`Withings ${what}: too many requests (status 601)`, RATE_LIMIT_WAIT_MS);
    }
    const tokens = body.body as Record<string, unknown> | undefined;
    if (body.status !== 0) {
      const status = typeof body.status === 'number' ? body.status : NaN;
      // A refused code or refresh token: the authentication family, or 503 (invalid params, what
      // an unknown token gets). The grant is gone; the patient must connect again. Other
      // statuses (a timeout, an error on Withings' side) are worth another try.
      if (isAuthFailure(status) || status === 503) {
        throw new GrantRevoked(`Withings ${what}: refused (status ${status})`);
      }
      throw new ProviderFailure(`Withings ${what}: status ${String(body.status)}`);
    }
    if (!tokens || typeof tokens.access_token !== 'string') {
      throw new ProviderFailure(`Withings ${what}: the answer lacks access_token`);
    }
    const userId = tokens.userid;
    if (
      typeof tokens.refresh_token !== 'string' ||
      (typeof userId !== 'number' && typeof userId !== 'string')
    ) {
      throw new ProviderFailure(`Withings ${what}: the answer lacks refresh_token or userid`);
    }
    const expiresIn = typeof tokens.expires_in === 'number' ? tokens.expires_in : 10_800;
    return {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
      expiresAt: new Date(this.s.clock.nowMs() + expiresIn * 1000),
      scope: typeof tokens.scope === 'string' ? tokens.scope : null,
      providerUserId: String(userId),
    };
  }
}
