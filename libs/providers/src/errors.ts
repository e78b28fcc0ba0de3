/**
 * What can go wrong talking to a provider, as the sync and the callback act on it. Messages
 * name the provider and the kind of failure, never a token or patient data.
 */
export class ProviderError extends Error {}

/** The provider no longer honours the grant (`invalid_grant`): the patient must connect again. */
export class GrantRevoked extends ProviderError {}

/** The access token was refused (HTTP 401, Withings status 401): refresh once, then give up. */
export class TokenRefused extends ProviderError {}

/** Too many requests (HTTP 429, Withings status 601): wait `retryAfterMs`, then try again. */
export class RateLimited extends ProviderError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/** A page token the provider no longer honours (HTTP 400 on a continued read). */
export class PageTokenRefused extends ProviderError {}

/** The provider answered something else than its documented shape, or failed (5xx). */
export class ProviderFailure extends ProviderError {}

const DEFAULT_RETRY_MS = 60_000;
const MAX_RETRY_MS = 3_600_000;

/** `Retry-After` in seconds or as an HTTP date, bounded; a minute when absent or unreadable. */
export function retryAfterMs(header: string | null, nowMs: number): number {
  if (!header) return DEFAULT_RETRY_MS;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - nowMs;
  if (!Number.isFinite(ms) || ms < 0) return DEFAULT_RETRY_MS;
  return Math.min(Math.max(ms, 1000), MAX_RETRY_MS);
}
