import {
  GrantRevoked,
  PageTokenRefused,
  ProviderFailure,
  RateLimited,
  retryAfterMs,
  TokenRefused,
} from './errors';
import type { Clock } from '@app/config';
import { call, json } from './http';
import type { ProviderTokens } from './oauth';

export const GOOGLE_HEALTH_SCOPE =
  'https://www.googleapis.com/auth/googlehealth.activity_and_fitness.readonly';
/** Data points per page: the API's default (docs/providers.md). */
const PAGE_SIZE = 1440;

export interface GoogleHealthSettings {
  /** The clock token lifetimes and nonces are read from. */
  clock: Clock;
  clientId: string;
  clientSecret: string;
  authUrl: string;
  tokenUrl: string;
  revokeUrl: string;
  apiUrl: string;
}

/**
 * The Google Health API, as its reference documents it (docs/providers.md): Google OAuth 2.0
 * with PKCE and offline access; `users/me/identity`; the `steps` data points, listed by a
 * filter on their interval start, newest first, in pages linked by `nextPageToken`.
 */
export class GoogleHealthClient {
  constructor(private readonly s: GoogleHealthSettings) {}

  authorizeUrl(redirectUri: string, state: string, challenge: string): string {
    const params = new URLSearchParams({
      response_type: 'code',
      client_id: this.s.clientId,
      redirect_uri: redirectUri,
      scope: GOOGLE_HEALTH_SCOPE,
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      // A refresh token on the first exchange (offline), and again if the patient reconnects.
      access_type: 'offline',
      prompt: 'consent',
    });
    return `${this.s.authUrl}?${params.toString()}`;
  }

  async exchangeCode(code: string, verifier: string, redirectUri: string): Promise<ProviderTokens> {
    const tokens = await this.token('code exchange', {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: redirectUri,
    });
    if (!tokens.refreshToken) {
      throw new ProviderFailure('Google Health code exchange: no refresh token (offline access)');
    }
    const identity = await this.identity(tokens.accessToken);
    return { ...tokens, providerUserId: identity };
  }

  /** A new access token; Google keeps the refresh token (none in the answer: keep ours). */
  async refresh(refreshToken: string): Promise<ProviderTokens> {
    const tokens = await this.token('refresh', {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    });
    return { ...tokens, refreshToken: tokens.refreshToken || refreshToken };
  }

  async revoke(token: string): Promise<void> {
    const res = await call('Google Health revoke', this.s.revokeUrl, {
      method: 'POST',
      form: { token },
    });
    // 400 invalid_token: revoked already, which is what was asked.
    if (res.status >= 500) throw new ProviderFailure(`Google Health revoke: HTTP ${res.status}`);
  }

  /** The account's `healthUserId` (notifications name users by it). */
  async identity(accessToken: string): Promise<string> {
    const res = await this.get('identity', `${this.s.apiUrl}/v4/users/me/identity`, accessToken);
    const body = json('Google Health identity', res);
    if (typeof body.healthUserId !== 'string' || body.healthUserId === '') {
      throw new ProviderFailure('Google Health identity: no healthUserId');
    }
    return body.healthUserId;
  }

  /**
   * One page of `steps` data points whose interval starts in [from, to): the body as sent (it is
   * stored and imported as a `google-health` payload) and the next page's token.
   */
  async stepsPage(
    accessToken: string,
    window: { from: string; to: string; pageToken?: string },
  ): Promise<{ body: Buffer; nextPageToken: string | null }> {
    const params = new URLSearchParams({
      filter: `steps.interval.start_time >= "${window.from}" AND steps.interval.start_time < "${window.to}"`,
      pageSize: String(PAGE_SIZE),
    });
    if (window.pageToken) params.set('pageToken', window.pageToken);
    const body = await this.get(
      'steps',
      `${this.s.apiUrl}/v4/users/me/dataTypes/steps/dataPoints?${params.toString()}`,
      accessToken,
      window.pageToken !== undefined,
    );
    const parsed = json('Google Health steps', body);
    const next = parsed.nextPageToken;
    return { body, nextPageToken: typeof next === 'string' && next !== '' ? next : null };
  }

  private async get(
    what: string,
    url: string,
    accessToken: string,
    continued = false,
  ): Promise<Buffer> {
    const res = await call(`Google Health ${what}`, url, {
      method: 'GET',
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    if (res.status === 200) return res.body;
    if (res.status === 401) throw new TokenRefused(`Google Health ${what}: access token refused`);
    if (res.status === 400 && continued) {
      throw new PageTokenRefused(`Google Health ${what}: the page token was refused`);
    }
    if (res.status === 429) {
      throw new RateLimited(
        `Google Health ${what}: too many requests`,
        retryAfterMs(res.headers.get('retry-after'), this.s.clock.nowMs()),
      );
    }
    throw new ProviderFailure(`Google Health ${what}: HTTP ${res.status}`);
  }

  private async token(what: string, form: Record<string, string>): Promise<ProviderTokens> {
    const res = await call(`Google Health ${what}`, this.s.tokenUrl, {
      method: 'POST',
      form: { ...form, client_id: this.s.clientId, client_secret: this.s.clientSecret },
    });
    if (res.status === 429) {
      throw new RateLimited(
        `Google Health ${what}: too many requests`,
        retryAfterMs(res.headers.get('retry-after'), this.s.clock.nowMs()),
      );
    }
    if (res.status >= 500) throw new ProviderFailure(`Google Health ${what}: HTTP ${res.status}`);
    const body = json(`Google Health ${what}`, res.body);
    if (res.status === 400 && body.error === 'invalid_grant') {
      throw new GrantRevoked(
        `Google Health ${what}: the grant was revoked or has expired (invalid_grant)`,
      );
    }
    if (res.status === 429) {
      throw new RateLimited(
        `Google Health ${what}: too many requests`,
        retryAfterMs(res.headers.get('retry-after'), this.s.clock.nowMs()),
      );
    }
    if (res.status !== 200 || typeof body.access_token !== 'string') {
      throw new ProviderFailure(
        `Google Health ${what}: HTTP ${res.status}${typeof body.error === 'string' ? ` (${body.error})` : ''}`,
      );
    }
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 3600;
    return {
      accessToken: body.access_token,
      refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : '',
      expiresAt: new Date(this.s.clock.nowMs() + expiresIn * 1000),
      scope: typeof body.scope === 'string' ? body.scope : null,
      providerUserId: null,
    };
  }
}
