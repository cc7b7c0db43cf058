import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { POSITION_RANGE_PX, Player, cosSin, snapAngle16, snapPosition } from "../src/index.ts";

describe("wire quantization", () => {
  it("snapPosition stores exactly what the schema's 16-bit position field keeps", () => {
    const player = new Player();
    fc.assert(
      fc.property(fc.double({ min: -10, max: POSITION_RANGE_PX + 10, noNaN: true }), (px) => {
        player.x = px;
        assert.equal(snapPosition(px), player.x);
        player.x = snapPosition(px);
        assert.equal(player.x, snapPosition(px), "a snapped position is a fixed point");
        assert.ok(px < 0 || px > POSITION_RANGE_PX || Math.abs(player.x - px) <= 1 / 64 + 1e-9, "1/32 px grid");
      }),
      { numRuns: 5000 },
    );
  });

  it("snapAngle16 stores exactly what the schema's 16-bit angle field keeps", () => {
    const player = new Player();
    fc.assert(
      fc.property(fc.double({ min: -100, max: 100, noNaN: true }), (angle) => {
        player.aim = angle;
        assert.equal(snapAngle16(angle), player.aim);
        player.aim = snapAngle16(angle);
        assert.equal(player.aim, snapAngle16(angle), "a snapped angle is a fixed point");
      }),
      { numRuns: 2000 },
    );
  });

  it("the deterministic sine and cosine agree with Math to 1e-12", () => {
    fc.assert(
      fc.property(fc.double({ min: -1000, max: 1000, noNaN: true }), (angle) => {
        const [c, s] = cosSin(angle);
        assert.ok(Math.abs(c - Math.cos(angle)) < 1e-12 && Math.abs(s - Math.sin(angle)) < 1e-12, `${angle}`);
      }),
      { numRuns: 5000 },
    );
  });
});
