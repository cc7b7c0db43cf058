import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { TestClock } from "@arena/shared/TestClock";
import { QuickPlayQueue } from "../../src/matchmaking/QuickPlayQueue.ts";

const TIMEOUT_MS = 100;

describe("QuickPlayQueue (one quick-play decision at a time, in process)", () => {
  it("gives turns one at a time, in order", async () => {
    const queue = new QuickPlayQueue(TIMEOUT_MS);
    const order: number[] = [];
    let holding = 0;
    await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const end = await queue.turn();
        assert.ok(end);
        holding++;
        assert.equal(holding, 1, "one turn at a time");
        order.push(i);
        await new Promise((r) => setImmediate(r));
        holding--;
        end();
      }),
    );
    assert.deepEqual(order, [0, 1, 2, 3]);
  });

  it("a holder that never ends its turn loses it at the timeout; one waiting too long gets null and the queue moves on", async () => {
    const clock = new TestClock();
    const queue = new QuickPlayQueue(TIMEOUT_MS, undefined, clock);
    const stuck = await queue.turn(); // never ended by its holder
    assert.ok(stuck);
    // Behind it: one that gets the stuck holder's turn once it runs out, and one that waits longer than the timeout.
    const answers: string[] = [];
    const second = queue.turn().then((end) => {
      answers.push(`second at ${clock.now()}`);
      return end;
    });
    const third = queue.turn().then((end) => {
      answers.push(`third ${end === null ? "null" : "turn"} at ${clock.now()}`);
      return end;
    });
    await clock.advance(TIMEOUT_MS - 1);
    assert.deepEqual(answers, [], "nothing before the timeout");
    await clock.advance(1);
    assert.deepEqual(answers, [`second at ${TIMEOUT_MS}`, `third null at ${TIMEOUT_MS}`]);
    assert.equal(await third, null);
    (await second)!();
    const fourth = await queue.turn();
    assert.ok(fourth, "the queue went on past the one that gave up");
    fourth();
  });
});

/** A request: it asks `gapMs` after the one before; it holds a turn `holdMs`, or never ends it (null). */
interface Asker {
  gapMs: number;
  holdMs: number | null;
}

/**
 * Checks when each request got its turn (or null) against the rule: a turn
 * comes once the one before is over (ended, or held past the timeout), and a
 * request waits the timeout at most; one that gave up passes the turn on the
 * moment it comes. A turn that comes exactly at the deadline may go either
 * way (which timer runs first), so there the answer given is followed.
 */
function checkAnswers(askers: Asker[], timeoutMs: number, answers: { at: number; turn: boolean }[]): void {
  let free = 0; // when the turn before the next request is over
  let asked = 0;
  askers.forEach(({ gapMs, holdMs }, i) => {
    asked += gapMs;
    const deadline = asked + timeoutMs;
    const comesAt = Math.max(asked, free);
    const answer = answers[i];
    assert.ok(answer !== undefined, `request ${i} answered`);
    const turn = comesAt === deadline ? answer.turn : comesAt < deadline;
    assert.deepEqual(answer, { at: Math.min(comesAt, deadline), turn }, `request ${i}`);
    if (turn) free = comesAt + Math.min(holdMs ?? Infinity, timeoutMs);
  });
}

describe("QuickPlayQueue's turns, on a clock the test steps", () => {
  it("every request gets its turn in order, one at a time, or null at its deadline, exactly when the rule says", async () => {
    const asker = fc.record({ gapMs: fc.integer({ min: 0, max: 150 }), holdMs: fc.option(fc.integer({ min: 0, max: 250 }), { nil: null }) });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 120 }), fc.array(asker, { minLength: 1, maxLength: 12 }), async (timeoutMs, askers) => {
        const clock = new TestClock();
        const queue = new QuickPlayQueue(timeoutMs, undefined, clock);
        const answers: { at: number; turn: boolean }[] = [];
        const turns: [start: number, end: number][] = [];
        let asked = 0;
        askers.forEach(({ gapMs, holdMs }, i) => {
          asked += gapMs;
          clock.setTimeout(
            () =>
              void queue.turn().then((end) => {
                answers[i] = { at: clock.now(), turn: end !== null };
                if (end === null) return;
                // Over when its holder ends it, or at the timeout if the holder is later or never does (then the queue takes it back).
                turns.push([clock.now(), clock.now() + Math.min(holdMs ?? Infinity, timeoutMs)]);
                if (holdMs !== null) clock.setTimeout(end, holdMs);
              }),
            asked,
          );
        });
        await clock.advance(asked + 2 * timeoutMs * askers.length + 1);
        checkAnswers(askers, timeoutMs, answers);
        turns.sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < turns.length; i++) assert.ok(turns[i][0] >= turns[i - 1][1], "one turn at a time");
      }),
    );
  });
});
