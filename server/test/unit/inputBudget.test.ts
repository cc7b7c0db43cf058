import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { BANKED_STEPS_MAX, INPUT_BUFFER_FRAMES, INPUT_GROUP_MAX_FRAMES, InputBudget, QUEUED_FRAMES_MAX, STEPS_PER_TICK_MAX } from "@arena/shared";

/** Runs the budget over ticks: `arrivals[t]` frames arrive before tick t. Returns what each tick ran and how many waited after it. */
function play(arrivals: number[], framesPerMessage: number, budget = new InputBudget()): { run: number[]; waiting: number[]; discarded: number } {
  let pending = 0;
  let discarded = 0;
  const run: number[] = [];
  const waiting: number[] = [];
  for (const arrived of arrivals) {
    pending += arrived;
    const allowance = budget.allow("p", pending, framesPerMessage);
    assert.ok(allowance.run >= 0 && allowance.run <= pending && allowance.discard >= 0 && allowance.run + allowance.discard <= pending);
    pending -= allowance.run + allowance.discard;
    discarded += allowance.discard;
    run.push(allowance.run);
    waiting.push(pending);
  }
  return { run, waiting, discarded };
}

const framesPerMessage = fc.integer({ min: 1, max: INPUT_GROUP_MAX_FRAMES });

/**
 * Frames arriving per tick as a client's network delivers them: stretches
 * of silence (a stall, long enough to fill the bank and more), of one a
 * tick, of groups, and of floods, in any order.
 */
const arrivalsOverTime = fc
  .array(
    fc.record({
      perTick: fc.oneof(fc.constant(0), fc.constant(1), fc.integer({ min: 0, max: 12 })),
      ticks: fc.integer({ min: 1, max: 30 }),
    }),
    { maxLength: 10 },
  )
  .map((stretches) => stretches.flatMap(({ perTick, ticks }) => Array<number>(ticks).fill(perTick)));

/** The most frames run in any stretch of consecutive ticks, less the stretch's length (the bound says at most BANKED_STEPS_MAX). */
function mostAheadOfTicks(run: number[]): number {
  let most = -Infinity;
  for (let from = 0; from < run.length; from++) {
    let total = 0;
    for (let to = from; to < run.length; to++) {
      total += run[to];
      most = Math.max(most, total - (to - from + 1));
    }
  }
  return most;
}

describe("input budget", () => {
  it("over any stretch of ticks a player runs at most ticks + BANKED_STEPS_MAX frames, and at most STEPS_PER_TICK_MAX in one, whatever it sends", () => {
    fc.assert(
      fc.property(fc.oneof(arrivalsOverTime, fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 200 })), framesPerMessage, (arrivals, perMessage) => {
        const { run } = play(arrivals, perMessage);
        for (let from = 0; from < run.length; from++) {
          let total = 0;
          for (let to = from; to < run.length; to++) {
            total += run[to];
            assert.ok(total <= to - from + 1 + BANKED_STEPS_MAX, `${total} frames in ${to - from + 1} ticks`);
          }
          assert.ok(run[from] <= STEPS_PER_TICK_MAX);
        }
      }),
    );
  });

  it("the bound holds after a migration whatever bank the snapshot carried: what is restored is clamped to BANKED_STEPS_MAX", () => {
    const banked = fc.oneof(fc.integer({ min: -5, max: 1000 }), fc.double({ noNaN: true }));
    fc.assert(
      fc.property(banked, arrivalsOverTime, framesPerMessage, (steps, arrivals, perMessage) => {
        // The process that takes the match over starts from the snapshot's bank, with a backlog waiting.
        const budget = new InputBudget();
        budget.restore("p", steps);
        assert.ok(budget.banked("p") >= 0 && budget.banked("p") <= BANKED_STEPS_MAX, `restored ${budget.banked("p")} from ${steps}`);
        const { run } = play([INPUT_BUFFER_FRAMES, ...arrivals], perMessage, budget);
        assert.ok(mostAheadOfTicks(run) <= BANKED_STEPS_MAX, `${mostAheadOfTicks(run)} frames ahead of the ticks`);
      }),
    );
  });

  it("frames arriving n to a message every n ticks run one per tick, in any phase: no burst, no stop", () => {
    fc.assert(
      fc.property(framesPerMessage, fc.nat({ max: 3 }), fc.integer({ min: 5, max: 40 }), (n, phase, groups) => {
        const arrivals = Array.from({ length: phase + groups * n }, (_, t) => (t >= phase && (t - phase) % n === 0 ? n : 0));
        const { run, waiting, discarded } = play(arrivals, n);
        assert.deepEqual(run.slice(phase), Array(groups * n).fill(1));
        assert.ok(Math.max(...waiting) <= n - 1, "never more than the group's other frames waiting");
        assert.equal(discarded, 0);
      }),
    );
  });

  it("a group one tick late is caught up at the next arrival, then one per tick again", () => {
    // Groups of 2 every 2 ticks; the third comes a tick late, the fourth on time.
    const arrivals = [2, 0, 2, 0, 0, 2, 2, 0, 2, 0, 2, 0];
    assert.deepEqual(play(arrivals, 2).run, [1, 1, 1, 1, 0, 1, 2, 1, 1, 1, 1, 1]);
  });

  it("frames that come alone are caught up at once after a stall (as before groups)", () => {
    const arrivals = [1, 1, 0, 0, 0, 4, 1, 1];
    assert.deepEqual(play(arrivals, 1).run, [1, 1, 0, 0, 0, 4, 1, 1]);
  });

  it("nothing waits for ever: once frames stop coming, every one runs or is discarded within a few ticks", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 8 }), { maxLength: 60 }), framesPerMessage, (arrivals, perMessage) => {
        // Each tick runs at least one waiting frame, and no more can wait than the bank, the queue and a group.
        const quiet = BANKED_STEPS_MAX + QUEUED_FRAMES_MAX + INPUT_GROUP_MAX_FRAMES;
        const { waiting } = play([...arrivals, ...Array(quiet).fill(0)], perMessage);
        assert.equal(waiting.at(-1), 0);
      }),
    );
  });
});
