import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Player, cosSin, snapAngle16 } from "../src/index.ts";

describe("angles", () => {
  it("snapAngle16 stores exactly what the schema's 16-bit angle field keeps", () => {
    const player = new Player();
    fc.assert(fc.property(fc.double({ min: -100, max: 100, noNaN: true }), (angle) => {
      player.aim = angle;
      assert.equal(snapAngle16(angle), player.aim);
      player.aim = snapAngle16(angle);
      assert.equal(player.aim, snapAngle16(angle), "a snapped angle is a fixed point");
    }), { numRuns: 2000 });
  });

  it("the deterministic sine and cosine agree with Math to 1e-12", () => {
    fc.assert(fc.property(fc.double({ min: -1000, max: 1000, noNaN: true }), (angle) => {
      const [c, s] = cosSin(angle);
      assert.ok(Math.abs(c - Math.cos(angle)) < 1e-12 && Math.abs(s - Math.sin(angle)) < 1e-12, `${angle}`);
    }), { numRuns: 5000 });
  });
});
