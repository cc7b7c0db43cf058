import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TestClock } from "@arena/shared/TestClock";

describe("TestClock", () => {
  it("runs due timers in time order, ties in the order they were set, each reading its own time", async () => {
    const clock = new TestClock(1000);
    const ran: string[] = [];
    clock.setTimeout(() => ran.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => ran.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => ran.push(`c@${clock.now()}`), 20);
    const cleared = clock.setTimeout(() => ran.push("cleared"), 5);
    clock.clearTimeout(cleared);
    await clock.advance(15);
    assert.deepEqual([ran, clock.now()], [["a@1010"], 1015]);
    await clock.advance(100);
    assert.deepEqual([ran, clock.now(), clock.pending], [["a@1010", "b@1020", "c@1020"], 1115, 0]);
  });

  it("repeats an interval until cleared", async () => {
    const clock = new TestClock();
    const ran: number[] = [];
    const timer = clock.setInterval(() => {
      ran.push(clock.now());
      if (ran.length === 3) clock.clearInterval(timer);
    }, 250);
    await clock.advance(2000);
    assert.deepEqual(ran, [250, 500, 750]);
  });

  it("lets promise work settle between timers, so a timer set after an await runs at the time it was meant for", async () => {
    const clock = new TestClock();
    const ran: number[] = [];
    const wait = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
    void (async () => {
      for (let i = 0; i < 3; i++) {
        await wait(100);
        await Promise.resolve();
        ran.push(clock.now());
      }
    })();
    await clock.advance(1000);
    assert.deepEqual(ran, [100, 200, 300]);
  });
});
