import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runSmoke } from "../src/bench/smoke.ts";

/**
 * The benchmark's smoke scenario, as CI runs it: correctness only. Every bot
 * joins, nothing errs, every dropped bot reconnects, and the sampled full
 * clients' decoded state equals the server's. Figures are printed, not asserted.
 */
describe("bench smoke scenario", () => {
  it("bots join, play, drop and come back; sampled clients' state matches the server's", async () => {
    const result = await runSmoke({ bots: 16, sampled: 4, drops: 4, seconds: 12, progress: (line) => console.log(`# ${line}`) });
    console.log(`# figures: ${JSON.stringify(result.figures)}`);
    assert.equal(result.joined, result.bots);
    assert.deepEqual(result.errors, []);
    assert.equal(result.dropped, 4);
    assert.equal(result.reconnected, result.dropped);
    assert.deepEqual(result.stateMismatches, []);
  });
});
