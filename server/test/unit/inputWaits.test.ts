import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { INPUT_WAIT_SAMPLE_TICKS, InputWaits } from "../../src/rooms/InputWaits.ts";

/** InputWaits on a clock the test sets, with what it observes recorded. */
function measured() {
  const clock = { now: 0 };
  const waits: number[] = [];
  const depths: number[] = [];
  const w = new InputWaits(
    () => clock.now,
    (ms) => waits.push(ms),
    (frames) => depths.push(frames),
  );
  return { clock, waits, depths, w };
}

describe("InputWaits", () => {
  it("pairs each frame with its arrival, oldest first, and observes only sampled ticks", () => {
    const { clock, waits, depths, w } = measured();
    clock.now = 100;
    w.arrived("a");
    clock.now = 110;
    w.arrived("a");
    clock.now = 130;
    w.tick(INPUT_WAIT_SAMPLE_TICKS); // sampled
    w.align("a", 2);
    w.consumed("a");
    assert.deepEqual(waits, [30]);
    assert.deepEqual(depths, [2]);
    clock.now = 160;
    w.tick(INPUT_WAIT_SAMPLE_TICKS + 1); // not sampled: the arrival is used up all the same
    w.align("a", 1);
    w.consumed("a");
    assert.deepEqual(waits, [30]);
    assert.deepEqual(depths, [2]);
  });

  it("drops the arrivals of frames the buffer lost to overflow (the oldest) and of frames the budget discarded", () => {
    const { clock, waits, w } = measured();
    for (let t = 0; t < 5; t++) {
      clock.now = t * 10;
      w.arrived("a"); // arrivals at 0, 10, 20, 30, 40
    }
    clock.now = 100;
    w.tick(0);
    w.align("a", 3); // the buffer kept the newest three: 20, 30, 40
    w.dropped("a", 1); // the budget discarded the oldest of those: 20
    w.consumed("a"); // 30
    w.consumed("a"); // 40
    w.consumed("a"); // nothing left
    assert.deepEqual(waits, [70, 60]);
  });

  it("forgets a player who left", () => {
    const { waits, w } = measured();
    w.arrived("a");
    w.forget("a");
    w.tick(0);
    w.consumed("a");
    assert.deepEqual(waits, []);
  });
});
