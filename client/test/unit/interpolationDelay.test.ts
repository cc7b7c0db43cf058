import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { PATCH_INTERVAL_MS } from "@arena/shared";
import {
  GROW_MS_PER_S,
  INITIAL_DELAY_MS,
  InterpolationDelay,
  MAX_DELAY_MS,
  MIN_DELAY_MS,
  SHRINK_MS_PER_S,
  WINDOW_PATCHES,
} from "../../src/net/InterpolationDelay.ts";
import { RenderClock, SnapshotBuffer } from "../../src/net/SnapshotBuffer.ts";

/** Patches every 50 ms of server time, arriving `lateness(i)` later; the delay updated every `frameMs` of local time in between. */
function run(delay: InterpolationDelay, patches: number, lateness: (i: number) => number, frameMs = 16): number[] {
  const seen: number[] = [];
  const arrivals = Array.from({ length: patches }, (_, i) => ({ server: i * PATCH_INTERVAL_MS, at: i * PATCH_INTERVAL_MS + lateness(i) }));
  // The stream's order is kept (TCP): a patch never arrives before the one before it.
  for (let i = 1; i < arrivals.length; i++) arrivals[i].at = Math.max(arrivals[i].at, arrivals[i - 1].at);
  let next = 0;
  for (let now = 0; now <= arrivals.at(-1)!.at; now += frameMs) {
    while (next < arrivals.length && arrivals[next].at <= now) delay.patch(arrivals[next].at, arrivals[next++].server);
    seen.push(delay.update(now));
  }
  return seen;
}

describe("interpolation delay", () => {
  it("on a clean link settles at one patch interval and the margin, closer than the fixed 100 ms", () => {
    const delay = new InterpolationDelay();
    const seen = run(delay, 400, () => 20);
    assert.equal(delay.targetMs, MIN_DELAY_MS);
    assert.equal(seen.at(-1), MIN_DELAY_MS);
    assert.ok(MIN_DELAY_MS < INITIAL_DELAY_MS);
  });

  it("grows with the jitter of the patches, and covers all but the latest tenth", () => {
    const delay = new InterpolationDelay();
    // 0 to 40 ms of jitter, spread evenly.
    run(delay, 400, (i) => 20 + ((i * 37) % 41));
    assert.ok(delay.targetMs >= PATCH_INTERVAL_MS + 30 && delay.targetMs <= PATCH_INTERVAL_MS + 50, `target ${delay.targetMs}`);
  });

  it("is not held at the ceiling by a stall now and then", () => {
    const delay = new InterpolationDelay();
    // A 300 ms stall every 4 s (80 patches): the patches inside it arrive together at its end.
    run(delay, 800, (i) => 20 + (i % 80 < 6 ? 300 - (i % 80) * PATCH_INTERVAL_MS : 0));
    assert.ok(delay.targetMs < MAX_DELAY_MS, `target ${delay.targetMs}`);
  });

  it("whatever the arrivals: stays within its bounds, and moves no faster than its slew limits", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 2, maxLength: 3 * WINDOW_PATCHES }),
        fc.integer({ min: 1, max: 70 }),
        (lateness, frameMs) => {
          const delay = new InterpolationDelay();
          const seen = run(delay, lateness.length, (i) => lateness[i], frameMs);
          let last = INITIAL_DELAY_MS;
          for (const d of seen) {
            assert.ok(d >= MIN_DELAY_MS && d <= MAX_DELAY_MS, `delay ${d}`);
            const step = d - last;
            assert.ok(step <= (GROW_MS_PER_S * frameMs) / 1000 + 1e-9, `grew ${step} in ${frameMs} ms`);
            assert.ok(-step <= (SHRINK_MS_PER_S * frameMs) / 1000 + 1e-9, `shrank ${-step} in ${frameMs} ms`);
            last = d;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("the render clock never goes backwards, whatever the jitter, the clock's corrections and the delay's moves", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 2, maxLength: 200 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 70 }), fc.integer({ min: -20, max: 20 }), fc.integer({ min: 0, max: 300 })), {
          minLength: 10,
          maxLength: 300,
        }),
        (lateness, frames) => {
          const delay = new InterpolationDelay();
          const clock = new RenderClock();
          const buffer = new SnapshotBuffer();
          let now = 0;
          let next = 0;
          let arrivedAt = -Infinity;
          let lastRender = -Infinity;
          let lastDrawnT = -Infinity;
          for (const [frameMs, wobble, rtt] of frames) {
            now += frameMs;
            for (; next < lateness.length; next++) {
              const server = next * PATCH_INTERVAL_MS;
              const at = Math.max(server + lateness[next], arrivedAt);
              if (at > now) break;
              arrivedAt = at;
              delay.patch(at, server);
              buffer.push(server, next * 10, 0);
            }
            // The estimate of server time wobbles and the round trip swings: neither may move anyone backwards.
            const renderTime = clock.now(now + wobble, rtt, delay.update(now));
            assert.ok(renderTime >= lastRender, `render time went back from ${lastRender} to ${renderTime}`);
            lastRender = renderTime;
            const drawn = buffer.sample(renderTime);
            if (drawn !== undefined) {
              assert.ok(drawn.t >= lastDrawnT, `drawn at ${drawn.t} after ${lastDrawnT}`);
              lastDrawnT = drawn.t;
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("held at a fixed value, ignores the patches (tests and figures pin it)", () => {
    const delay = new InterpolationDelay(MAX_DELAY_MS);
    run(delay, 100, () => 20);
    assert.equal(delay.delayMs, MAX_DELAY_MS);
  });
});
