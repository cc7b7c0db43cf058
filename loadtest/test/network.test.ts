import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runNetwork } from "../src/bench/network.ts";

/**
 * The `network` scenario's smallest run, as CI runs it: one profile, a few
 * seconds, correctness only (figures are printed, not asserted). Nobody is
 * drawn moving backwards, nothing fails, every figure was measured, and the
 * server answered for the clients' input frames.
 */
describe("bench network scenario", () => {
  it("on the broadband link: no backwards movement, no errors, every figure measured", async () => {
    const result = await runNetwork({ links: ["broadband"], seconds: 4, bots: 3, progress: (line) => console.log(`# ${line}`) });
    const figures = result.figures.broadband;
    console.log(`# figures: ${JSON.stringify(figures)}`);
    assert.deepEqual(result.errors, []);
    assert.equal(figures.backwards, 0);
    for (const [key, value] of Object.entries(figures))
      if (!(key === "hitShare" && figures.shots === 0)) assert.ok(Number.isFinite(value), `${key} is ${value}`);
    assert.ok(figures.inputWait60fpsP99Ticks >= figures.inputWait60fpsP50Ticks && figures.inputWait60fpsP50Ticks >= 0);
    assert.ok(figures.frozenFramesShare >= 0 && figures.frozenFramesShare <= 1);
    // Each client reports every 5 s; the run lasts 8 s and more, so each has reported at least once.
    assert.ok(figures.telemetryReports >= 2, `${figures.telemetryReports} telemetry reports accepted`);
    assert.ok(result.targets.some((t) => t.startsWith("broadband: no backwards movement")));
  });
});
