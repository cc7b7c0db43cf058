import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Client } from "@colyseus/core";
import { RoomInput } from "@colyseus/core/input/RoomInput";
import { InputFrameSchema } from "@arena/shared";
import { bufferPlainFrames } from "../../src/rooms/coreRoom.ts";

/** Core's input controller for one client, as `defineInput` and a join set them up (core/src/input/RoomInput.ts). */
function controller() {
  const room = { clock: { elapsedTime: 0 }, patchRate: 50, _timelineMode: () => undefined };
  const input = new RoomInput(room as never);
  input.define(InputFrameSchema, { bufferMaxSize: 8 });
  const client = { sessionId: "a" } as unknown as Client & { _input: InputFrameSchema };
  input.allocate(client as never);
  input.register("a", client as never);
  return { input, client, frames: input.api.get("a") };
}

describe("plain input frames (bufferPlainFrames)", () => {
  it("core buffers a clone of the decode target: a schema instance, unless the target is given a plain copy", () => {
    const { input, client, frames } = controller();
    client._input.moveX = 0.5;
    input.capture(client as never, 0, 0);
    assert.ok(frames.next() instanceof InputFrameSchema, "core's own clone is a schema instance");

    bufferPlainFrames(client);
    client._input.moveX = -1;
    client._input.moveY = 0.25;
    client._input.aim = 1.5;
    client._input.fire = true;
    input.capture(client as never, 0, 0);
    client._input.moveX = 1; // the next frame decodes into the same target
    const frame = frames.next();
    assert.equal(Object.getPrototypeOf(frame), Object.prototype);
    assert.deepEqual(frame, { moveX: -1, moveY: 0.25, aim: 1.5, fire: true }, "a copy taken at capture, not a view of the target");
  });

  it("is set once per decode target and leaves the target's fields as they are", () => {
    const { client } = controller();
    bufferPlainFrames(client);
    const cloneOf = (target: object): unknown => Object.getOwnPropertyDescriptor(target, "clone")?.value;
    const copy = cloneOf(client._input);
    assert.equal(typeof copy, "function");
    bufferPlainFrames(client);
    assert.equal(cloneOf(client._input), copy);
    // plainCopy copies these four: a field added to the input schema must be added there too.
    assert.deepEqual(Object.keys(client._input.toJSON()).sort(), ["aim", "fire", "moveX", "moveY"]);
  });
});
