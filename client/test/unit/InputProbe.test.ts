import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InputProbe } from "../../src/InputProbe.ts";

describe("input probe", () => {
  it("counts 0 when the frame after the key press draws the player moved, and 2 when two frames drew it still", () => {
    const probe = new InputProbe();
    probe.frameDrawn({ x: 100, y: 100 });
    probe.keyDown("ArrowRight", false);
    probe.frameDrawn({ x: 101, y: 100 });
    assert.equal(probe.frames, 0);
    probe.keyDown("d", false);
    probe.frameDrawn({ x: 101, y: 100 });
    probe.frameDrawn({ x: 101, y: 100 });
    probe.frameDrawn({ x: 101, y: 103 });
    assert.equal(probe.frames, 2);
  });

  it("ignores other keys, held-key repeats and presses outside a match", () => {
    const probe = new InputProbe();
    probe.keyDown("ArrowRight", false);
    probe.frameDrawn(undefined);
    probe.frameDrawn({ x: 5, y: 5 });
    probe.keyDown("Enter", false);
    probe.keyDown("w", true);
    probe.frameDrawn({ x: 9, y: 5 });
    assert.equal(probe.frames, -1);
  });

  it("keeps where the player was drawn, not the object it was given (views may be reused)", () => {
    const probe = new InputProbe();
    const me = { x: 10, y: 10 };
    probe.frameDrawn(me);
    probe.keyDown("s", false);
    me.y = 12;
    probe.frameDrawn(me);
    assert.equal(probe.frames, 0);
  });
});
