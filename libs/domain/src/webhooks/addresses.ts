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
  ['::', 128],
  ['::1', 128],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE_V6.addSubnet(net, prefix, 'ipv6');
}

/** True for loopback, private, link-local, shared, documentation, multicast and reserved addresses. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE_V4.check(address, 'ipv4');
  if (family !== 6) return true; // not an address at all: refuse rather than guess
  // An IPv4-mapped address (::ffff:127.0.0.1, also written ::ffff:7f00:1) is its IPv4 address.
  let normalized: string;
  try {
    normalized = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return true; // a zone id (fe80::1%eth0) or other oddity: link-local at best
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(normalized);
  if (mapped) {
    const [high, low] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
    const v4 = [high >> 8, high & 255, low >> 8, low & 255].join('.');
    return PRIVATE_V4.check(v4, 'ipv4');
  }
  return PRIVATE_V6.check(normalized, 'ipv6');
}
