import { isPrivateAddress } from '@app/domain';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

const NOT_PUBLIC = 'must point to a public address (not a private or loopback one) that resolves';
const LOOKUP_TIMEOUT_MS = 3000;

/**
 * Why a webhook URL is refused, or null when it is acceptable. The worker checks the address
 * again when it connects, since a name may resolve elsewhere later.
 */
export async function webhookUrlProblem(
  raw: string,
  options: { allowPrivate: boolean; requireHttps: boolean },
): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http(s) URL';
  if (options.requireHttps && url.protocol !== 'https:') return 'must be an https URL';
  if (url.username || url.password) return 'must not carry credentials';
  if (url.hash) return 'must not have a fragment';
  if (options.allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return isPrivateAddress(host) ? NOT_PUBLIC : null;
  // One answer whether the name is unknown or private: an admin must not be able to map the
  // service's internal network through this check.
  try {
    const addresses = await Promise.race([
      lookup(host, { all: true }),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('timeout')), LOOKUP_TIMEOUT_MS).unref(),
      ),
    ]);
    return addresses.some((a) => isPrivateAddress(a.address)) ? NOT_PUBLIC : null;
  } catch {
    return NOT_PUBLIC;
  }
}
