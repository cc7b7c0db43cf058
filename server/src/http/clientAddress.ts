import type { IncomingMessage } from "node:http";
import { isIPv4, isIPv6 } from "node:net";
import proxyaddr from "proxy-addr";

export type TrustFn = (address: string, hop: number) => boolean;

/**
 * Compiles the trusted proxy list (TRUSTED_PROXIES). Empty: no proxy is
 * trusted and a client's address is its socket's, whatever X-Forwarded-For
 * says. Throws on an entry that is not an address, a CIDR or a keyword
 * (`loopback`, `linklocal`, `uniquelocal`).
 */
export function compileTrust(proxies: readonly string[]): TrustFn {
  return proxyaddr.compile([...proxies]);
}

/** The address limits are keyed on: the socket's, or the first untrusted hop behind trusted proxies. */
export function clientAddress(req: IncomingMessage, trust: TrustFn): string {
  return proxyaddr(req, trust);
}

/**
 * The key every per-address limit counts under. An IPv4 address is its own
 * key. An IPv6 client usually holds a whole /64 (one subscriber's prefix:
 * RFC 6177, and SLAAC privacy addresses rotate inside it), so it counts as
 * its /64, or it could take a fresh budget with every address it picks. An
 * IPv4-mapped IPv6 address (`::ffff:203.0.113.9`, how a dual-stack socket
 * shows IPv4 peers) is the IPv4 address. Anything that is not an address
 * (a proxy's odd X-Forwarded-For entry) is its own key, lowercased.
 */
export function limitKey(address: string): string {
  if (isIPv4(address)) return address;
  const groups = ipv6Groups(address);
  if (groups === null) return address.toLowerCase();
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join(".");
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(":")}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (zone index ignored), or null. */
function ipv6Groups(address: string): number[] | null {
  const text = address.replace(/%.*$/, "").toLowerCase();
  if (!isIPv6(text)) return null;
  // An IPv4 tail (`::ffff:1.2.3.4`) is the last two groups.
  const hex = text.replace(
    /(\d+)\.(\d+)\.(\d+)\.(\d+)$/,
    (_, a: string, b: string, c: string, d: string) => `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`,
  );
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const [left, right] = hex.split("::");
  if (right === undefined) return parse(left);
  const [l, r] = [parse(left), parse(right)];
  return [...l, ...Array<number>(8 - l.length - r.length).fill(0), ...r];
}
