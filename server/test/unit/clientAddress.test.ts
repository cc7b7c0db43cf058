import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { limitKey } from "../../src/matchmaking/clientAddress.ts";

/** Eight 16-bit groups written in full, e.g. `2001:db8:0:0:0:0:0:1`. */
const full = (groups: number[]) => groups.map((g) => g.toString(16)).join(":");
const group = fc.integer({ min: 0, max: 0xffff });
const groups = (n: number) => fc.array(group, { minLength: n, maxLength: n });

describe("limitKey (the key every per-address limit counts under)", () => {
  it("is the /64 of an IPv6 address, however it is written", () => {
    fc.assert(fc.property(groups(4).filter((p) => p[0] !== 0), groups(4), groups(4), (prefix, a, b) => {
      const key = limitKey(full([...prefix, ...a]));
      assert.equal(limitKey(full([...prefix, ...b])), key, "same /64, same key");
      assert.equal(limitKey(full([...prefix, ...a]).toUpperCase()), key, "case does not matter");
      const other = [...prefix];
      other[3] ^= 1;
      assert.notEqual(limitKey(full([...other, ...a])), key, "the next /64 is another key");
    }));
    assert.equal(limitKey("2001:db8:1:2::1"), limitKey("2001:0db8:0001:0002:0:0:0:ffff"));
    assert.equal(limitKey("fe80::1%eth0"), limitKey("fe80::2"));
  });

  it("is the IPv4 address itself, also when mapped into IPv6", () => {
    fc.assert(fc.property(fc.ipV4(), (ip) => {
      assert.equal(limitKey(ip), ip);
      assert.equal(limitKey(`::ffff:${ip}`), ip);
      const [a, b, c, d] = ip.split(".").map(Number);
      assert.equal(limitKey(`::ffff:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`), ip);
    }));
  });

  it("leaves anything that is not an address as it is", () => {
    assert.equal(limitKey("unknown"), "unknown");
  });
});
