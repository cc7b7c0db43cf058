import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { OriginPolicy } from "../../src/http/OriginPolicy.ts";

/** A web origin as a browser sends it: scheme, host, and a port when not the default. */
const origin = fc
  .record({
    scheme: fc.constantFrom("http", "https"),
    host: fc.domain(),
    port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
  })
  .map(({ scheme, host, port }) => `${scheme}://${host}${port === undefined ? "" : `:${port}`}`);

/** The same text with its letters' case changed at random (`seed` picks which). */
function recase(text: string, seed: number): string {
  return [...text].map((ch, i) => ((seed >> (i % 31)) & 1 ? ch.toUpperCase() : ch.toLowerCase())).join("");
}

/** Origins one edit away from an allowed one: a longer host, another scheme or port, a parent or child domain, a character short. */
function nearMisses(allowed: string): string[] {
  const url = new URL(allowed);
  const otherScheme = url.protocol === "https:" ? "http:" : "https:";
  return [
    `${allowed}.evil.example`,
    `${allowed}evil.example`,
    `${otherScheme}//${url.host}`,
    `${url.protocol}//${url.hostname}:${url.port === "" ? 8443 : Number(url.port) + 1}`,
    `${url.protocol}//evil.${url.host}`,
    `${url.protocol}//${url.host.split(".").slice(1).join(".")}`,
    allowed.slice(0, -1),
    `${allowed}/`,
    "null",
  ];
}

describe("OriginPolicy", () => {
  it("admits exactly the listed origins (in any case), the server's own, and requests without an Origin", () => {
    const host = fc.option(fc.domain(), { nil: undefined });
    fc.assert(
      fc.property(fc.array(origin, { maxLength: 4 }), host, fc.array(origin, { maxLength: 4 }), fc.nat(), (listed, ownHost, others, seed) => {
        // A list as an operator writes it: any case, a trailing slash here and there.
        const policy = new OriginPolicy(listed.map((o, i) => recase(i % 2 ? `${o}/` : o, seed + i)));
        const admitted = new Set(listed.map((o) => o.toLowerCase()));
        if (ownHost !== undefined) for (const scheme of ["http", "https"]) admitted.add(`${scheme}://${ownHost.toLowerCase()}`);
        const own = ownHost === undefined ? [] : [`http://${ownHost}`, `https://${ownHost}`];
        for (const candidate of [...listed, ...own, ...[...listed, ...own].flatMap(nearMisses), ...others]) {
          const sent = recase(candidate, seed ^ 0x5a5a5a5a);
          assert.equal(policy.allows(sent, ownHost), admitted.has(candidate.toLowerCase()), `Origin ${sent}, list ${JSON.stringify(listed)}, host ${ownHost}`);
        }
        for (const missing of [undefined, null, ""]) assert.equal(policy.allows(missing, ownHost), true, "no Origin: not a browser page");
      }),
    );
  });

  it("`*` admits every origin", () => {
    fc.assert(
      fc.property(origin, fc.option(fc.domain(), { nil: undefined }), (sent, host) => {
        assert.equal(new OriginPolicy(["https://game.example.com", "*"]).allows(sent, host), true);
      }),
    );
  });

  it("with no list, only the server's own pages (over http or https, any case)", () => {
    const policy = new OriginPolicy([]);
    assert.equal(policy.allows("https://Arena.Example:8080", "arena.example:8080"), true);
    assert.equal(policy.allows("http://arena.example:8080", "arena.example:8080"), true);
    assert.equal(policy.allows("https://arena.example", "arena.example:8080"), false);
    assert.equal(policy.allows("https://arena.example", undefined), false);
  });
});
