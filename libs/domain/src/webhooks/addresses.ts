import { BlockList, isIP } from 'node:net';

// Where a webhook must not point unless WEBHOOK_ALLOW_PRIVATE_URLS is on: the service's own
// machine, its private network and cloud metadata addresses (a server-side request forgery).
// Two lists: a BlockList checks IPv4 addresses against its IPv6 rules too (as mapped addresses).
const PRIVATE_V4 = new BlockList();
const PRIVATE_V6 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE_V4.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  // IPv4-compatible (deprecated) and IPv4-translated (SIIT) addresses: no public use.
  ['::', 96],
  ['::ffff:0:0:0', 96],
  ['64:ff9b:1::', 48],
  // Teredo embeds an IPv4 address in a form not worth decoding: no webhook lives there.
  ['2001::', 32],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE_V6.addSubnet(net, prefix, 'ipv6');
}

/** The 8 groups of an IPv6 address in the compressed form WHATWG URLs print. */
function hextets(normalized: string): number[] {
  const [head, tail] = normalized.includes('::') ? normalized.split('::') : [normalized, null];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === null ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((h) => parseInt(h, 16));
}

const v4Of = (high: number, low: number) => [high >> 8, high & 255, low >> 8, low & 255].join('.');

/**
 * True for loopback, private, link-local, shared, documentation, multicast and reserved
 * addresses, IPv4 ones written as IPv6 included: mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96,
 * which a DNS64 resolver synthesizes for any A record) and 6to4 (2002::/16) are judged by the
 * IPv4 address they carry.
 */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE_V4.check(address, 'ipv4');
  if (family !== 6) return true; // not an address at all: refuse rather than guess
  let normalized: string;
  try {
    normalized = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return true; // a zone id (fe80::1%eth0) or other oddity: link-local at best
  }
  const h = hextets(normalized);
  if (h.length !== 8 || h.some((x) => Number.isNaN(x))) return true;
  const mapped = h.slice(0, 5).every((x) => x === 0) && h[5] === 0xffff;
  const nat64 = h[0] === 0x64 && h[1] === 0xff9b && h.slice(2, 6).every((x) => x === 0);
  if (mapped || nat64) return PRIVATE_V4.check(v4Of(h[6], h[7]), 'ipv4');
  if (h[0] === 0x2002) return PRIVATE_V4.check(v4Of(h[1], h[2]), 'ipv4');
  return PRIVATE_V6.check(normalized, 'ipv6');
}
