import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  INPUT_DRY_SHARE,
  INPUT_LEAD_MAX,
  INPUT_LEAD_WINDOW_TICKS,
  InputLeadMeter,
  LEAN_FASTER,
  LEAN_SLOWER_PER_FRAME,
  inputClockRate,
} from "../src/net/inputLead.ts";
import { FixedStepper } from "../src/net/FixedStepper.ts";

/** One window of ticks for one player; returns the lead it ends with. */
function window(meter: InputLeadMeter, tick: (i: number) => [left: number, dry: boolean]): number | undefined {
  let lead: number | undefined;
  for (let i = 0; i < INPUT_LEAD_WINDOW_TICKS; i++) {
    const [left, dry] = tick(i);
    lead = meter.tick("p", left, dry);
    if (i < INPUT_LEAD_WINDOW_TICKS - 1) assert.equal(lead, undefined, "a lead only at the end of a window");
  }
  return lead;
}

describe("input lead", () => {
  it("is 0 for frames that arrive in time, two to a message (one waits a tick, then none)", () => {
    assert.equal(
      window(new InputLeadMeter(), (i) => [i % 2, false]),
      0,
    );
  });

  it("counts the frames that waited through every tick of the window: a standing queue", () => {
    assert.equal(
      window(new InputLeadMeter(), (i) => [2 + (i % 2), false]),
      2,
    );
    assert.equal(
      window(new InputLeadMeter(), () => [12, false]),
      INPUT_LEAD_MAX,
    );
  });

  it("is -1 when more than a tenth of the ticks found no frame, and not for one late frame", () => {
    const dryTicks = Math.floor(INPUT_DRY_SHARE * INPUT_LEAD_WINDOW_TICKS) + 1;
    assert.equal(
      window(new InputLeadMeter(), (i) => [0, i < dryTicks]),
      -1,
    );
    assert.equal(
      window(new InputLeadMeter(), (i) => [i % 2, i === 5]),
      0,
    );
  });

  it("starts each window over, and each player on its own", () => {
    const meter = new InputLeadMeter();
    assert.equal(
      window(meter, () => [3, false]),
      3,
    );
    assert.equal(
      window(meter, (i) => [i % 2, false]),
      0,
    );
    meter.tick("q", 5, false);
    meter.forget("q");
    assert.equal(
      window(meter, () => [1, false]),
      1,
    );
  });

  it("the clock's lean is bounded whatever the lead, and leans the right way", () => {
    fc.assert(
      // What an int8 holds, and what a corrupted value could be.
      fc.property(fc.oneof(fc.integer({ min: -128, max: 127 }), fc.constantFrom(NaN, Infinity, -Infinity, 0.3, -0.3)), (lead) => {
        const rate = inputClockRate(lead);
        assert.ok(rate >= 1 - LEAN_SLOWER_PER_FRAME * INPUT_LEAD_MAX && rate <= 1 + LEAN_FASTER, `rate ${rate} for ${lead}`);
        if (!Number.isFinite(lead) || Math.round(lead) === 0) assert.equal(rate, 1, "no lean for no lead, or for a value no int8 holds");
        else if (lead > 0) assert.ok(rate < 1);
        else assert.ok(rate > 1);
      }),
    );
  });

  it("a leaning clock sends that much fewer or more steps", () => {
    const stepper = new FixedStepper(1000 / 30);
    let steps = 0;
    for (let i = 0; i < 600; i++) steps += stepper.advance(1000 / 60, inputClockRate(2));
    // 10 s at 30 steps a second, 4% slower.
    assert.ok(Math.abs(steps - 300 * (1 - 2 * LEAN_SLOWER_PER_FRAME)) <= 1, `${steps} steps`);
  });
});
