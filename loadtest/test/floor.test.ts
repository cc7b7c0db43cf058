import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { measureFloor } from "../src/floor/floor.ts";

/**
 * The transport floor's harness (`npm run bench:floor -w loadtest`): it
 * really sends and receives at the rates it is given and reads a server
 * process's CPU. Figures are printed, not asserted; the rates only within
 * what a loaded machine's timers allow.
 */
describe("transport floor", () => {
  it("measures a bare ws server with clients at the given rates", async () => {
    const step = await measureFloor({ clients: 8, seconds: 2, inHz: 15, inBytes: 40, outHz: 20, outBytes: 90, warmUpMs: 500 });
    console.log(`# ${JSON.stringify(step)}`);
    assert.equal(step.clients, 8);
    assert.ok(step.framesInPerClientSecond > 15 * 0.5 && step.framesInPerClientSecond < 15 * 1.2, `frames in ${step.framesInPerClientSecond}`);
    assert.ok(step.framesOutPerClientSecond > 20 * 0.5 && step.framesOutPerClientSecond < 20 * 1.2, `frames out ${step.framesOutPerClientSecond}`);
    assert.ok(step.serverCpuMsPerClientSecond > 0, "the server's CPU is read from /proc");
  });

  it("fails, not hangs, when the server stops before it listens", { timeout: 30_000 }, async () => {
    // A payload size the server cannot allocate: it throws at start, before printing its port.
    await assert.rejects(measureFloor({ clients: 1, seconds: 1, inHz: 15, inBytes: 40, outHz: 20, outBytes: -1, warmUpMs: 0 }), /floor server stopped/);
  });
});
