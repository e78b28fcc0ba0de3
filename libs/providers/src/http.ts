import { ProviderFailure } from './errors';

const TIMEOUT_MS = 15_000;

export interface ProviderResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

/**
 * One HTTP call to a provider, with a deadline. A network failure is a ProviderFailure naming
 * the provider and the call, never the URL's query (it can hold a token) or the body.
 */
export async function call(
  what: string,
  url: string,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; form?: Record<string, string> },
): Promise<ProviderResponse> {
  try {
    const res = await fetch(url, {
      method: init.method,
      headers: {
        ...(init.form ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
        ...(init.headers ?? {}),
      },
      body: init.form ? new URLSearchParams(init.form).toString() : undefined,
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'error',
    });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  } catch (err) {
    const kind = err instanceof Error ? err.name : typeof err;
    throw new ProviderFailure(`${what}: no answer (${kind})`);
  }
}

/** A body as JSON, or a ProviderFailure saying the provider broke its documented shape. */
export function json(what: string, body: Buffer): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
  } catch {
    // fall through
  }
  throw new ProviderFailure(`${what}: the answer is not the documented JSON object`);
}
