import { createHash, randomBytes } from 'node:crypto';

/** A PKCE pair (RFC 7636): the verifier stays with us, the S256 challenge goes to the provider. */
export function pkcePair(): { verifier: string; challenge: string } {
  // 64 random bytes: an 86-character verifier, within RFC 7636's 43–128.
  const verifier = randomBytes(64).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** A single-use OAuth state: random, sent to the provider; only its SHA-256 is stored. */
export function newState(): string {
  return randomBytes(32).toString('base64url');
}

export function stateHash(state: string): Buffer {
  return createHash('sha256').update(state).digest();
}

/** The tokens a code exchange or a refresh gives. */
export interface ProviderTokens {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
  scope: string | null;
  /** Known after the code exchange (Withings gives it; Google's comes from the identity call). */
  providerUserId: string | null;
}
