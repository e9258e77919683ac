import { lookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import dns from 'node:dns';

// Where webhooks may point (API.md §6.7): https to public addresses only.
// Loopback, private, link-local, CGNAT, multicast and unspecified addresses
// are refused when a webhook is registered and again when each delivery
// connects (the check runs on the address actually dialled, so a name that
// later resolves elsewhere cannot reach the internal network).
// WEBHOOK_ALLOW_INSECURE=true (development, tests) allows http and local targets.

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const)
  blocked.addSubnet(net, prefix, 'ipv6');

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 6 && /^::ffff:/i.test(address)) return isPublicAddress(address.slice(7));
  return !blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Why a webhook URL is refused, or null. Resolves the host name. */
export async function refusalOf(url: string, allowInsecure: boolean): Promise<string | null> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'url: must be an absolute URL';
  }
  if (u.username || u.password) return 'url: must not carry credentials';
  if (u.protocol !== 'https:' && !(allowInsecure && u.protocol === 'http:')) return 'url: must be https';
  if (allowInsecure) return null;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : await lookup(host, { all: true }).then((a) => a.map((x) => x.address), () => []);
  if (addresses.length === 0) return 'url: the host name does not resolve';
  if (!addresses.every(isPublicAddress)) return 'url: must point to a public address';
  return null;
}

/** A `lookup` for http(s).request that refuses non-public addresses (unless allowed). */
export const guardedLookup =
  (allowInsecure: boolean): LookupFunction =>
  (hostname, options, callback) =>
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      const ok = allowInsecure ? list : list.filter((a) => isPublicAddress(a.address));
      if (ok.length === 0) return callback(Object.assign(new Error(`refused: ${hostname} is not a public address`), { code: 'EADDRNOTPUBLIC' }), '', 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, ok);
      callback(null, ok[0]!.address, ok[0]!.family);
    });
