import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  ARENA_HEIGHT_PX,
  ARENA_WIDTH_PX,
  PLAYER_RADIUS_PX,
  PLAYER_SPEED_PX_PER_S,
  STEP_SECONDS,
  WALLS,
  moveBody,
  sanitizeInput,
  snapPosition,
  type InputFrame,
} from "../src/index.ts";

const STEP_PX = PLAYER_SPEED_PX_PER_S * STEP_SECONDS;
/** A step may be longer than STEP_PX by the grid snap on each axis. */
const STEP_TOLERANCE_PX = 1 / 16;

function distanceToWall(x: number, y: number, wall: (typeof WALLS)[number]): number {
  const cx = Math.max(wall.x, Math.min(x, wall.x + wall.w));
  const cy = Math.max(wall.y, Math.min(y, wall.y + wall.h));
  return Math.hypot(x - cx, y - cy);
}

describe("movement", () => {
  it("moves at the top speed along an axis", () => {
    const body = { x: 100, y: 400 };
    for (let i = 0; i < 30; i++) moveBody(body, 1, 0, STEP_SECONDS);
    assert.ok(Math.abs(body.x - (100 + PLAYER_SPEED_PX_PER_S)) < 1, `x=${body.x}`);
    assert.equal(body.y, 400);
  });

  it("is no faster on a diagonal", () => {
    const body = { x: 100, y: 300 };
    for (let i = 0; i < 30; i++) moveBody(body, 1, 1, STEP_SECONDS);
    const travelled = Math.hypot(body.x - 100, body.y - 300);
    assert.ok(Math.abs(travelled - PLAYER_SPEED_PX_PER_S) < 1, `travelled ${travelled}`);
  });

  it("stops at a wall", () => {
    const wall = WALLS[4]; // the central pillar
    const body = { x: wall.x - 100, y: wall.y + wall.h / 2 };
    for (let i = 0; i < 60; i++) moveBody(body, 1, 0, STEP_SECONDS);
    assert.ok(Math.abs(body.x - (wall.x - PLAYER_RADIUS_PX)) <= 1 / 32, `x=${body.x}`);
  });

  it("slides along a wall instead of sticking", () => {
    const wall = WALLS[4];
    const body = { x: wall.x - PLAYER_RADIUS_PX, y: wall.y + 40 };
    for (let i = 0; i < 10; i++) moveBody(body, 1, 1, STEP_SECONDS);
    assert.ok(body.y > wall.y + 40 + 20, `y=${body.y}`);
    assert.ok(body.x <= wall.x - PLAYER_RADIUS_PX + 1 / 32);
  });

  it("stays inside the arena", () => {
    const body = { x: 40, y: 40 };
    for (let i = 0; i < 60; i++) moveBody(body, -1, -1, STEP_SECONDS);
    assert.equal(body.x, PLAYER_RADIUS_PX);
    assert.equal(body.y, PLAYER_RADIUS_PX);
  });

  it("keeps positions on the wire's 16-bit grid", () => {
    const body = { x: 300.5, y: 700.25 };
    for (let i = 0; i < 100; i++) {
      moveBody(body, Math.fround(0.37), Math.fround(-0.81), STEP_SECONDS);
      assert.equal(snapPosition(body.x), body.x);
      assert.equal(snapPosition(body.y), body.y);
    }
  });

  it("never exceeds the speed limit or leaves the arena, whatever a client sends", () => {
    const anything = fc.oneof(
      fc.double(),
      fc.constantFrom(NaN, Infinity, -Infinity, 1e308, -1e308, -0),
      fc.string(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.array(fc.integer()),
      fc.object(),
    );
    fc.assert(
      fc.property(
        fc.array(fc.record({ moveX: anything, moveY: anything, aim: anything, fire: anything }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: PLAYER_RADIUS_PX, max: ARENA_WIDTH_PX - PLAYER_RADIUS_PX }),
        fc.integer({ min: PLAYER_RADIUS_PX, max: ARENA_HEIGHT_PX - PLAYER_RADIUS_PX }),
        (frames, x0, y0) => {
          const body = { x: x0, y: y0 };
          for (const raw of frames) {
            const frame = sanitizeInput(raw as unknown as InputFrame);
            assert.ok(frame.moveX >= -1 && frame.moveX <= 1 && frame.moveY >= -1 && frame.moveY <= 1);
            assert.ok(Number.isFinite(frame.aim) && typeof frame.fire === "boolean");
            const before = { ...body };
            moveBody(body, frame.moveX, frame.moveY, STEP_SECONDS);
            const step = Math.hypot(body.x - before.x, body.y - before.y);
            // A body that started inside a wall may be pushed out further than a
            // step; it never moves faster once it is free.
            const startedFree = WALLS.every((w) => distanceToWall(before.x, before.y, w) >= PLAYER_RADIUS_PX - 1 / 16);
            if (startedFree) assert.ok(step <= STEP_PX + STEP_TOLERANCE_PX, `step ${step}`);
            assert.ok(body.x >= PLAYER_RADIUS_PX && body.x <= ARENA_WIDTH_PX - PLAYER_RADIUS_PX);
            assert.ok(body.y >= PLAYER_RADIUS_PX && body.y <= ARENA_HEIGHT_PX - PLAYER_RADIUS_PX);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
