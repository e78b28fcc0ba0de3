import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// sct_<12 chars looked up by index>_<43 chars of secret>: prefixed so that a leaked key is
// recognisable by secret scanners, and split so that the lookup never needs the secret.
const TOKEN_PATTERN = /^(sct_[A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export interface IssuedToken {
  token: string;
  prefix: string;
  secretHash: Buffer;
}

function randomAlphanumeric(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  for (let i = 0; i < bytes.length && out.length < length; i++) {
    // 248 is the largest multiple of 62 below 256: no modulo bias.
    if (bytes[i] < 248) out += ALPHABET[bytes[i] % 62];
  }
  return out.length === length ? out : randomAlphanumeric(length);
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function issueToken(): IssuedToken {
  const prefix = `sct_${randomAlphanumeric(12)}`;
  const token = `${prefix}_${randomBytes(32).toString('base64url')}`;
  return { token, prefix, secretHash: hashToken(token) };
}

export function parseToken(token: string): { prefix: string } | null {
  const match = TOKEN_PATTERN.exec(token);
  return match ? { prefix: match[1] } : null;
}

export function tokenMatches(token: string, secretHash: Buffer): boolean {
  const actual = hashToken(token);
  return actual.length === secretHash.length && timingSafeEqual(actual, secretHash);
}

/** Compares two secrets in constant time whatever their lengths. */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(hashToken(a), hashToken(b));
}
