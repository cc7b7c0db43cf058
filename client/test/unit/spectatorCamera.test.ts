import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ARENA_HEIGHT_PX, ARENA_WIDTH_PX } from "@arena/shared";
import { SPECTATOR_ZOOMS, SpectatorCamera, type Followable } from "../../src/game/SpectatorCamera.ts";

const STILL = { moveX: 0, moveY: 0 };
const FRAME_MS = 1000 / 60;

const players: Followable[] = [
  { id: "a", name: "Ann", x: 100, y: 100 },
  { id: "b", name: "Bob", x: 800, y: 600 },
  { id: "c", name: "Cy", x: 1500, y: 1100 },
];

/** What the screen shows, in arena px, around a camera's centre. */
function shown(view: { x: number; y: number; zoom: number }) {
  const halfW = ARENA_WIDTH_PX / 2 / view.zoom;
  const halfH = ARENA_HEIGHT_PX / 2 / view.zoom;
  return { left: view.x - halfW, right: view.x + halfW, top: view.y - halfH, bottom: view.y + halfH };
}

describe("SpectatorCamera", () => {
  it("follows the first player at the start, and Tab / Shift+Tab cycle through every player and around", () => {
    const camera = new SpectatorCamera();
    assert.equal(camera.update(FRAME_MS, STILL, players).followedId, "a");
    const forward: (string | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      camera.cycle(1, players);
      forward.push(camera.update(FRAME_MS, STILL, players).followedId);
    }
    assert.deepEqual(forward, ["b", "c", "a", "b"]);
    camera.cycle(-1, players);
    camera.cycle(-1, players);
    assert.equal(camera.update(FRAME_MS, STILL, players).followedName, "Cy");
  });

  it("centres the player followed where the arena allows, and keeps to the arena at its edges", () => {
    const camera = new SpectatorCamera();
    camera.update(FRAME_MS, STILL, players); // Ann
    camera.cycle(1, players);
    const middle = camera.update(FRAME_MS, STILL, players);
    assert.deepEqual([middle.x, middle.y], [800, 600], "Bob, in the middle");
    camera.cycle(1, players);
    const corner = shown(camera.update(FRAME_MS, STILL, players));
    assert.deepEqual([corner.right, corner.bottom], [ARENA_WIDTH_PX, ARENA_HEIGHT_PX], "Cy, near a corner: the screen stops at the arena's edge");
  });

  it("a pan frees the camera from the player and moves it; a followed player who leaves is replaced by the first one", () => {
    const camera = new SpectatorCamera();
    camera.update(FRAME_MS, STILL, players); // Ann
    camera.cycle(1, players); // Bob, at the centre
    const before = camera.update(FRAME_MS, STILL, players);
    const after = camera.update(100, { moveX: 1, moveY: 0 }, players);
    assert.equal(after.followedId, undefined);
    assert.ok(after.x > before.x && after.y === before.y, JSON.stringify({ before, after }));
    assert.equal(camera.update(FRAME_MS, STILL, players).followedId, undefined, "still free when the keys are let go");
    camera.cycle(1, players);
    assert.equal(camera.update(FRAME_MS, STILL, players).followedId, "a", "Tab follows again");
    assert.equal(camera.update(FRAME_MS, STILL, players.slice(1)).followedId, "b", "Ann left: the first player left is followed");
    assert.equal(camera.update(FRAME_MS, STILL, []).followedId, undefined, "nobody to follow");
  });

  it("zooms between its levels and no further", () => {
    const camera = new SpectatorCamera();
    for (let i = 0; i < 5; i++) camera.zoom(1);
    assert.equal(camera.update(FRAME_MS, STILL, players).zoom, SPECTATOR_ZOOMS.at(-1));
    for (let i = 0; i < 5; i++) camera.zoom(-1);
    const whole = camera.update(FRAME_MS, STILL, players);
    assert.deepEqual([whole.zoom, whole.x, whole.y], [1, ARENA_WIDTH_PX / 2, ARENA_HEIGHT_PX / 2], "zoomed out: the whole arena, as a player sees it");
  });

  it("property: whatever the keys, frames and players (NaN and huge values included), the screen never shows outside the arena", () => {
    const coordinate = fc.oneof(fc.double({ min: -5000, max: 5000, noNaN: true }), fc.constantFrom(Number.NaN, Infinity, -Infinity));
    const player = fc.record({ id: fc.constantFrom("a", "b", "c", "d"), name: fc.constant("P"), x: coordinate, y: coordinate });
    const action = fc.oneof(
      fc.record({
        kind: fc.constant("frame" as const),
        ms: fc.double({ min: 0, max: 10_000, noNaN: true }),
        pan: fc.record({ moveX: coordinate, moveY: coordinate }),
      }),
      fc.record({ kind: fc.constant("cycle" as const), step: fc.constantFrom(1 as const, -1 as const) }),
      fc.record({ kind: fc.constant("zoom" as const), step: fc.constantFrom(1 as const, -1 as const) }),
    );
    fc.assert(
      fc.property(fc.array(player, { maxLength: 5 }), fc.array(action, { maxLength: 60 }), (list, actions) => {
        const camera = new SpectatorCamera();
        for (const a of actions) {
          if (a.kind === "cycle") camera.cycle(a.step, list);
          else if (a.kind === "zoom") camera.zoom(a.step);
          const view = camera.update(a.kind === "frame" ? a.ms : FRAME_MS, a.kind === "frame" ? a.pan : STILL, list);
          const s = shown(view);
          const eps = 1e-9;
          if (!(s.left >= -eps && s.top >= -eps && s.right <= ARENA_WIDTH_PX + eps && s.bottom <= ARENA_HEIGHT_PX + eps)) return false;
          if (view.followedId !== undefined && !list.some((p) => p.id === view.followedId)) return false;
        }
        return true;
      }),
    );
  });
});
