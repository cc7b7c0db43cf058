import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { FloodGuard } from "../../src/rooms/FloodGuard.ts";

describe("flood guard", () => {
  it("admits at most the limit in any one-second window it counts, and stays tripped once passed", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 50 }), fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 300 }), (limit, gaps) => {
      const guard = new FloodGuard(limit);
      let now = 0;
      let windowStart = -Infinity;
      let inWindow = 0;
      let tripped = false;
      for (const gap of gaps) {
        now += gap;
        const admitted = guard.admit(now);
        if (now - windowStart >= 1000) { windowStart = now; inWindow = 0; }
        inWindow++;
        if (tripped) assert.equal(admitted, false, "stays tripped");
        if (admitted) assert.ok(inWindow <= limit, `${inWindow} admitted in one window, limit ${limit}`);
        else tripped = true;
      }
    }));
  });

  it("a steady client just under the limit is never refused", () => {
    const guard = new FloodGuard(30);
    for (let i = 0; i < 29 * 60; i++) assert.ok(guard.admit(i * (1000 / 29)));
  });
});
