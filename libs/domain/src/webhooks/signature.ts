import { createHmac, randomBytes } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';
/** Standard Webhooks: a secret of 24 to 64 random bytes. */
export const SECRET_MIN_BYTES = 24;
export const SECRET_MAX_BYTES = 64;
export const SECRET_DEFAULT_BYTES = 32;

/** A new signing secret, `whsec_` and the base64 of `bytes` random bytes. */
export function generateWebhookSecret(bytes = SECRET_DEFAULT_BYTES): string {
  if (!Number.isInteger(bytes) || bytes < SECRET_MIN_BYTES || bytes > SECRET_MAX_BYTES)
    throw new RangeError(`a webhook secret has ${SECRET_MIN_BYTES} to ${SECRET_MAX_BYTES} bytes`);
  return SECRET_PREFIX + randomBytes(bytes).toString('base64');
}

function secretKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('not a whsec_ secret');
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

/**
 * One `v1,<base64 HMAC-SHA256>` signature of `${id}.${timestamp}.${body}` (Standard Webhooks).
 */
export function signWebhook(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string,
): string {
  const mac = createHmac('sha256', secretKey(secret))
    .update(`${id}.${timestampSeconds}.${body}`)
    .digest('base64');
  return `v1,${mac}`;
}

/**
 * The `webhook-signature` header: one signature per valid secret, space separated, so that a
 * receiver still holding the previous secret during a rotation keeps verifying.
 */
export function signatureHeader(
  secrets: readonly string[],
  id: string,
  timestampSeconds: number,
  body: string,
): string {
  return secrets.map((s) => signWebhook(s, id, timestampSeconds, body)).join(' ');
}
