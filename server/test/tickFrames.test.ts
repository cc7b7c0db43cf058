import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { InputFrame } from "@arena/shared";
import { InputBudget } from "@arena/shared";
import { TickFrames, type FrameQueue } from "../src/rooms/TickFrames.ts";

/** A player's input buffer: frames numbered as they arrive, consumed oldest first. */
class Queue implements FrameQueue {
  readonly frames: InputFrame[] = [];
  consumed = 0;
  get size(): number {
    return this.frames.length;
  }
  push(count: number): void {
    for (let i = 0; i < count; i++) this.frames.push({ moveX: 0, moveY: 0, aim: this.consumed + this.frames.length, fire: false });
  }
  next(): InputFrame | undefined {
    const frame = this.frames.shift();
    if (frame !== undefined) this.consumed++;
    return frame;
  }
  take(n: number): unknown {
    this.consumed += Math.min(n, this.frames.length);
    return this.frames.splice(0, n);
  }
}

describe("a tick's frames", () => {
  it("are the budget's: its run, oldest first, each consumed just before it is handed out, then its discards", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 60 }), (arrivals) => {
        const queue = new Queue();
        const reference = new InputBudget();
        let dropped = 0;
        const frames = new TickFrames(new InputBudget(), (n) => {
          dropped += n;
        });
        for (const arriving of arrivals) {
          queue.push(arriving);
          const pending = queue.size;
          const { run, discard } = reference.allow("p", pending);
          const firstAim = queue.consumed;
          const consumedBefore = queue.consumed;
          const droppedBefore = dropped;
          let handed = 0;
          for (const frame of frames.of("p", queue)) {
            assert.equal(frame.aim, firstAim + handed, "oldest first");
            handed++;
            // Lag compensation reads the stamp of the frame consumed last: it must be this one.
            assert.equal(queue.consumed, consumedBefore + handed, "consumed just before it is handed out");
          }
          assert.equal(handed, run);
          assert.equal(dropped - droppedBefore, discard);
          assert.equal(queue.consumed - consumedBefore, run + discard);
        }
      }),
    );
  });

  it("reuse one iterator and one result for every player and tick", () => {
    const frames = new TickFrames(new InputBudget(), () => {});
    const queue = new Queue();
    queue.push(2);
    const first = frames.of("a", queue);
    const results = [first.next(), first.next()];
    assert.equal(frames.of("b", queue), first);
    assert.equal(results[0], results[1]);
  });
});
