import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, createServer, type AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { LINK_PROFILES, LinkSchedule, seededRandom, type LinkProfile } from "../src/linkProfiles.ts";
import { TcpProxy } from "../src/TcpProxy.ts";
import { waitFor } from "../src/waitFor.ts";

const profiles: LinkProfile[] = Object.values(LINK_PROFILES);

/** Send times: increasing, in steps of 0 to 200 ms. */
const sendTimes = fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 300 }).map((steps) => {
  let t = 0;
  return steps.map((step) => (t += step));
});

describe("link profiles: the schedule", () => {
  it("property: a stream keeps its order, and nothing arrives before half the round trip", () => {
    fc.assert(
      fc.property(fc.constantFrom(...profiles), sendTimes, fc.integer(), (profile, sent, seed) => {
        const schedule = new LinkSchedule(profile, seededRandom(seed), 0);
        let last = -Infinity;
        for (const at of sent) {
          const arrival = schedule.arrival(at);
          assert.ok(arrival >= last, "in order");
          assert.ok(arrival >= at + profile.roundTripMs / 2, "not before the link's delay");
          last = arrival;
        }
      }),
    );
  });

  it("property: without stalls, a chunk is late by at most the jitter, or held behind the one before it", () => {
    fc.assert(
      fc.property(fc.constantFrom(...profiles.filter((p) => !("stalls" in p))), sendTimes, fc.integer(), (profile, sent, seed) => {
        const schedule = new LinkSchedule(profile, seededRandom(seed), 0);
        let last = -Infinity;
        for (const at of sent) {
          const arrival = schedule.arrival(at);
          assert.ok(arrival <= Math.max(last, at + profile.roundTripMs / 2 + profile.jitterMs));
          last = arrival;
        }
      }),
    );
  });

  it("mobile stalls the stream 250-400 ms every few seconds; wifi 150 ms now and then; the others never", () => {
    const tenMinutes = Array.from({ length: 60_000 }, (_, i) => i * 10); // a chunk every 10 ms
    const gaps = (profile: LinkProfile) => {
      const schedule = new LinkSchedule(profile, seededRandom(7), 0);
      const arrivals = tenMinutes.map((t) => schedule.arrival(t));
      return arrivals.slice(1).map((a, i) => a - arrivals[i]);
    };
    const long = (profile: LinkProfile, ms: number) => gaps(profile).filter((g) => g >= ms);
    const mobile = long(LINK_PROFILES.mobile, 200);
    assert.ok(mobile.length >= 100 && mobile.length <= 200, `${mobile.length} stalls in 10 min (one every ~4 s: ~140)`);
    assert.ok(Math.min(...mobile) >= 200 && Math.max(...mobile) <= 400 + 30, `stalls of ${Math.min(...mobile)}-${Math.max(...mobile)} ms`);
    const wifi = long(LINK_PROFILES.wifi, 100);
    assert.ok(wifi.length >= 30 && wifi.length <= 90, `${wifi.length} wifi stalls in 10 min (one every ~10 s: ~60)`);
    for (const name of ["lan", "broadband", "intercontinental"] as const) assert.equal(long(LINK_PROFILES[name], 100).length, 0, name);
  });
});

describe("link profiles: through the proxy", () => {
  const echo = createServer((socket) => socket.pipe(socket));
  let proxy: TcpProxy;
  before(async () => {
    echo.listen(0, "127.0.0.1");
    await once(echo, "listening");
    proxy = await TcpProxy.start((echo.address() as AddressInfo).port, { link: LINK_PROFILES.broadband, random: seededRandom(1) });
  });
  after(async () => {
    await proxy.stop();
    echo.close();
  });

  it("carries a stream whole and in order under jitter, a round trip later at the soonest", async () => {
    const socket = connect(proxy.port, "127.0.0.1");
    let received = "";
    socket.setEncoding("utf8").on("data", (chunk: string) => {
      received += chunk;
    });
    await once(socket, "connect");
    const sentAt = performance.now();
    socket.write("first;");
    await waitFor("the first echo", () => received.length > 0);
    const roundTrip = performance.now() - sentAt;
    assert.ok(roundTrip >= LINK_PROFILES.broadband.roundTripMs, `echo after ${roundTrip.toFixed(1)} ms`);
    const expected = "first;" + Array.from({ length: 300 }, (_, i) => `${i};`).join("");
    for (let i = 0; i < 300; i++) {
      socket.write(`${i};`);
      if (i % 30 === 0) await new Promise((resolve) => setTimeout(resolve, 3));
    }
    await waitFor("the whole stream back", () => received.length === expected.length);
    assert.equal(received, expected);
    socket.destroy();
  });

  it("still stalls and cuts on demand", async () => {
    const socket = connect(proxy.port, "127.0.0.1");
    let received = "";
    let closed = false;
    socket.setEncoding("utf8").on("data", (chunk: string) => {
      received += chunk;
    });
    socket.on("close", () => (closed = true)).on("error", () => {});
    await once(socket, "connect");
    proxy.stall();
    socket.write("held");
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(received, "", "nothing goes through a stalled link");
    proxy.restore();
    await waitFor("the stalled connection dropped", () => closed);
  });
});
