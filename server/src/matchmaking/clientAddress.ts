import type { IncomingMessage } from "node:http";
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
