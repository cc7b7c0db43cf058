import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { FloodGuard } from "../../src/rooms/FloodGuard.ts";

/** Arrival times (ms) from gaps between frames. */
function times(gaps: number[]): number[] {
  let now = 0;
  return gaps.map((gap) => (now += gap));
}

/** The most frames that arrive within any 1000 ms (a span [t, t + 1000)). */
function busiestSecond(at: number[]): number {
  let most = 0;
  for (let from = 0, to = 0; to < at.length; to++) {
    while (at[to] - at[from] >= 1000) from++;
    most = Math.max(most, to - from + 1);
  }
  return most;
}

const limit = fc.integer({ min: 1, max: 40 });
/**
 * Gaps between frames (ms): each stream has its own pace, from a flood to a
 * quiet client, with the odd pause of about a second, some of exactly one
 * (a frame on a window's edge). About two streams in three trip the guard.
 */
const gaps = fc
  .integer({ min: 1, max: 100 })
  .chain((spread) =>
    fc.array(
      fc.oneof(
        { arbitrary: fc.integer({ min: 0, max: spread }), weight: 12 },
        { arbitrary: fc.integer({ min: 900, max: 1100 }), weight: 1 },
        { arbitrary: fc.constant(1000), weight: 1 },
      ),
      { maxLength: 300, size: "max" },
    ),
  );

describe("flood guard", () => {
  it("trips exactly once, on the frame past the limit in its window, and refuses everything after", () => {
    fc.assert(
      fc.property(limit, gaps, (limitPerSecond, arrivalGaps) => {
        const guard = new FloodGuard(limitPerSecond);
        // The rule, written out: a window opens at a frame 1000 ms or more after the last window opened.
        let windowStart = -Infinity;
        let inWindow = 0;
        let trippedAt: number | undefined;
        times(arrivalGaps).forEach((now, i) => {
          const admitted = guard.admit(now);
          if (now - windowStart >= 1000) {
            windowStart = now;
            inWindow = 0;
          }
          inWindow++;
          if (trippedAt === undefined && inWindow > limitPerSecond) trippedAt = i;
          assert.equal(admitted, trippedAt === undefined, `frame ${i} at ${now} ms, ${inWindow} in its window, limit ${limitPerSecond}`);
        });
      }),
    );
  });

  it("a client that never sends more than the limit within any second is never refused", () => {
    fc.assert(
      fc.property(limit, gaps, (limitPerSecond, arrivalGaps) => {
        const at = times(arrivalGaps);
        const guard = new FloodGuard(limitPerSecond);
        const refused = at.map((now) => !guard.admit(now)).includes(true);
        if (busiestSecond(at) <= limitPerSecond) assert.equal(refused, false, "refused, though no second held more than the limit");
      }),
    );
  });

  it("a frame 1000 ms after a window opened opens the next one; one at 999 ms is still in it", () => {
    const burst = (guard: FloodGuard, at: number, frames: number) => Array.from({ length: frames }, () => guard.admit(at)).every(Boolean);
    const edge = new FloodGuard(3);
    assert.deepEqual([burst(edge, 0, 3), burst(edge, 1000, 3)], [true, true]);
    const inside = new FloodGuard(3);
    assert.deepEqual([burst(inside, 0, 3), burst(inside, 999, 1)], [true, false]);
  });

  it("once tripped, it stays tripped, in later windows too", () => {
    const guard = new FloodGuard(2);
    assert.deepEqual([guard.admit(0), guard.admit(0), guard.admit(0), guard.admit(5000), guard.admit(60_000)], [true, true, false, false, false]);
  });

  it("a steady client just under the limit is never refused", () => {
    const guard = new FloodGuard(30);
    for (let i = 0; i < 29 * 60; i++) assert.ok(guard.admit(i * (1000 / 29)));
  });
});
