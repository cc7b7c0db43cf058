import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { QuickPlayQueue } from "../../src/matchmaking/QuickPlayQueue.ts";

const TIMEOUT_MS = 100;

describe("QuickPlayQueue (one quick-play decision at a time, in process)", () => {
  it("gives turns one at a time, in order", async () => {
    const queue = new QuickPlayQueue(TIMEOUT_MS);
    const order: number[] = [];
    let holding = 0;
    await Promise.all([0, 1, 2, 3].map(async (i) => {
      const end = await queue.turn();
      assert.ok(end);
      holding++;
      assert.equal(holding, 1, "one turn at a time");
      order.push(i);
      await new Promise((r) => setImmediate(r));
      holding--;
      end();
    }));
    assert.deepEqual(order, [0, 1, 2, 3]);
  });

  it("a holder that never ends its turn loses it after the timeout; one waiting too long gets null and the queue moves on", async () => {
    const queue = new QuickPlayQueue(TIMEOUT_MS);
    const started = performance.now();
    const stuck = await queue.turn(); // never ended by its holder
    assert.ok(stuck);
    // Behind it: one that gets the stuck holder's turn once it runs out, and one that waits longer than the timeout.
    const [second, third] = await Promise.all([queue.turn(), queue.turn()]);
    assert.ok(second, "the stuck holder's turn ran out, so the next one got it");
    assert.ok(performance.now() - started >= TIMEOUT_MS * 0.9);
    assert.equal(third, null, "waited too long");
    second();
    const fourth = await queue.turn();
    assert.ok(fourth, "the queue went on past the one that gave up");
    fourth();
  });
});
