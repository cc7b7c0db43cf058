import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { IncomingMessage } from "node:http";
import fc from "fast-check";
import { clientAddress, compileTrust, limitKey } from "../../src/http/clientAddress.ts";

/** Eight 16-bit groups written in full, e.g. `2001:db8:0:0:0:0:0:1`. */
const full = (groups: number[]) => groups.map((g) => g.toString(16)).join(":");
const group = fc.integer({ min: 0, max: 0xffff });
const groups = (n: number) => fc.array(group, { minLength: n, maxLength: n });

describe("limitKey (the key every per-address limit counts under)", () => {
  it("is the /64 of an IPv6 address, however it is written", () => {
    fc.assert(
      fc.property(
        groups(4).filter((p) => p[0] !== 0),
        groups(4),
        groups(4),
        (prefix, a, b) => {
          const key = limitKey(full([...prefix, ...a]));
          assert.equal(limitKey(full([...prefix, ...b])), key, "same /64, same key");
          assert.equal(limitKey(full([...prefix, ...a]).toUpperCase()), key, "case does not matter");
          const other = [...prefix];
          other[3] ^= 1;
          assert.notEqual(limitKey(full([...other, ...a])), key, "the next /64 is another key");
        },
      ),
    );
    assert.equal(limitKey("2001:db8:1:2::1"), limitKey("2001:0db8:0001:0002:0:0:0:ffff"));
    assert.equal(limitKey("fe80::1%eth0"), limitKey("fe80::2"));
  });

  it("is the IPv4 address itself, also when mapped into IPv6", () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        assert.equal(limitKey(ip), ip);
        assert.equal(limitKey(`::ffff:${ip}`), ip);
        const [a, b, c, d] = ip.split(".").map(Number);
        assert.equal(limitKey(`::ffff:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`), ip);
      }),
    );
  });

  it("leaves anything that is not an address as it is", () => {
    assert.equal(limitKey("unknown"), "unknown");
  });
});

/** Addresses a request may pass through, and the odd entry a proxy writes that is not one. */
const HOPS = ["203.0.113.7", "198.51.100.2", "10.1.2.3", "10.200.0.1", "127.0.0.1", "::1", "2001:db8::5", "192.0.2.44", "unknown"];
/** TRUSTED_PROXIES entries: addresses, a CIDR and a keyword. */
const TRUST_ENTRIES = ["203.0.113.7", "198.51.100.2", "10.1.2.3", "2001:db8::5", "10.0.0.0/8", "loopback"];

/** TRUSTED_PROXIES's meaning, written out for the addresses above. */
function trusted(entries: readonly string[], address: string): boolean {
  return (
    entries.includes(address) ||
    (entries.includes("10.0.0.0/8") && address.startsWith("10.")) ||
    (entries.includes("loopback") && (address.startsWith("127.") || address === "::1"))
  );
}

/** A request as Node hands it over: the socket's peer and the header (only what proxy-addr reads). */
function request(peer: string, forwardedFor: string[] | undefined, spaced: boolean): IncomingMessage {
  const headers = forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor.join(spaced ? ", " : ",") };
  return { socket: { remoteAddress: peer }, headers } as unknown as IncomingMessage;
}

describe("clientAddress (whose limits a request counts against)", () => {
  it("is the socket's peer unless that is a trusted proxy; then the nearest hop in X-Forwarded-For that is not one (or the furthest)", () => {
    const hop = fc.constantFrom(...HOPS);
    fc.assert(
      fc.property(
        fc.subarray(TRUST_ENTRIES),
        hop,
        fc.option(fc.array(hop, { maxLength: 5 }), { nil: undefined }),
        fc.boolean(),
        (entries, peer, forwardedFor, spaced) => {
          const address = clientAddress(request(peer, forwardedFor, spaced), compileTrust(entries));
          // Hops from the server outwards: the peer, then X-Forwarded-For from its end (each proxy appends the address it got the request from).
          const hops = [peer, ...(forwardedFor ?? []).toReversed()];
          const expected = hops.find((h, i) => i === hops.length - 1 || !trusted(entries, h));
          assert.equal(address, expected, `peer ${peer}, X-Forwarded-For ${forwardedFor?.join(",")}, trusted ${entries.join(",")}`);
          if (!trusted(entries, peer)) assert.equal(address, peer, "X-Forwarded-For from an untrusted peer is ignored");
        },
      ),
    );
  });

  it("with no trusted proxies, X-Forwarded-For changes nothing", () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.array(fc.ipV4(), { maxLength: 5 }), (peer, forwardedFor) => {
        assert.equal(clientAddress(request(peer, forwardedFor, true), compileTrust([])), peer);
      }),
    );
  });

  it("refuses a TRUSTED_PROXIES entry that is not an address, a CIDR or a keyword", () => {
    assert.throws(() => compileTrust(["proxy.example.com"]));
  });
});
