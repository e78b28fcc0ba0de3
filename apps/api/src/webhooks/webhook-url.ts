import { isPrivateAddress } from '@app/domain';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

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
  if (isIP(host)) return isPrivateAddress(host) ? 'points to a private or loopback address' : null;
  let addresses: { address: string }[];
  try {
    addresses = await lookup(host, { all: true });
  } catch {
    return 'has a host name that does not resolve';
  }
  return addresses.some((a) => isPrivateAddress(a.address))
    ? 'points to a private or loopback address'
    : null;
}
