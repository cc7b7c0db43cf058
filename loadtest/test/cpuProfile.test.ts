import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { summarizeProfile, trimProfile, type CpuProfile, type ProfileNode } from "../src/bench/cpuProfile.ts";

const ROOT = "file:///repo/";
const frame = (id: number, functionName: string, url: string, children: number[] = [], lineNumber = 9): ProfileNode => ({
  id,
  callFrame: { functionName, url, lineNumber, columnNumber: 4 },
  children,
});

/**
 * A call tree with one node per category: `writev` (native) under
 * node:net, `JSON.parse`-like native `parse` under the project's room.
 * Samples one per 1000 µs from t = 1000 µs.
 */
function profile(samples: number[]): CpuProfile {
  return {
    nodes: [
      frame(1, "(root)", "", [2, 3, 4, 5, 6, 7, 9, 10, 11]),
      frame(2, "(idle)", ""),
      frame(3, "(garbage collector)", ""),
      frame(4, "(program)", ""),
      frame(5, "tick", `${ROOT}server/src/rooms/ArenaRoom.ts`, [12]),
      frame(6, "stepTick", `${ROOT}shared/src/sim/world.ts`),
      frame(7, "_write", "node:net", [8]),
      frame(8, "writev", ""),
      frame(9, "encode", `${ROOT}node_modules/@colyseus/schema/build/index.mjs`),
      frame(10, "broadcastPatch", `${ROOT}node_modules/@colyseus/core/build/Room.mjs`),
      frame(11, "sendFrame", `${ROOT}node_modules/ws/lib/sender.js`),
      frame(12, "parse", ""),
    ],
    startTime: 0,
    endTime: samples.length * 1000,
    samples,
    timeDeltas: samples.map(() => 1000),
  };
}

describe("CPU profile summary", () => {
  it("counts self time by function and category over busy samples, natives toward their caller", () => {
    // 2 idle, 8 busy: writev twice, parse (under the room) twice, one each of GC, program, schema, ws.
    const summary = summarizeProfile(profile([2, 2, 8, 8, 12, 12, 3, 4, 9, 11]), { projectRoot: ROOT });
    assert.equal(summary.samples, 10);
    assert.equal(summary.busySamples, 8);
    assert.equal(summary.busyShare, 0.8);
    const share = Object.fromEntries(summary.categories.map((c) => [c.category, c.selfShareOfBusy]));
    assert.deepEqual(share, {
      "Node internals (net, stream, timers, ...)": 0.25,
      "project (server/, shared/)": 0.25,
      GC: 0.125,
      "native, no JS on the stack": 0.125,
      "@colyseus/schema": 0.125,
      ws: 0.125,
    });
    assert.deepEqual(
      summary.topFunctions.slice(0, 2).map((f) => [f.functionName, f.location, f.samples]),
      [
        ["writev", "native", 2],
        ["parse", "native", 2],
      ],
    );
    assert.equal(summary.topFunctions.find((f) => f.functionName === "encode")?.location, "index.mjs:10 (@colyseus/schema)");
    assert.equal(summary.topFunctions.find((f) => f.functionName === "sendFrame")?.location, "sender.js:10 (ws)");
  });

  it("keeps only the samples inside the window, and the trimmed profile says the same", () => {
    const whole = profile([5, 5, 6, 6, 6, 10, 10, 2]);
    const window = { startMicros: 2500, endMicros: 5500 }; // samples at 3000, 4000, 5000 µs: stepTick three times
    const summary = summarizeProfile(whole, { projectRoot: ROOT, window });
    assert.deepEqual(
      summary.topFunctions.map((f) => [f.functionName, f.samples]),
      [["stepTick", 3]],
    );
    assert.equal(summary.windowSeconds, 0.003);
    const trimmed = trimProfile(whole, window);
    assert.deepEqual(trimmed.samples, [6, 6, 6]);
    assert.deepEqual(trimmed.timeDeltas, [500, 1000, 1000]);
    assert.equal(trimmed.nodes.find((n) => n.id === 6)?.hitCount, 3);
    assert.deepEqual(summarizeProfile(trimmed, { projectRoot: ROOT }).topFunctions, summary.topFunctions);
  });

  it("asks for the source line of the project's scripts only", () => {
    const asked: string[] = [];
    const summary = summarizeProfile(profile([5, 9]), {
      projectRoot: ROOT,
      sourceLine: (f) => {
        asked.push(f.functionName);
        return 42;
      },
    });
    assert.equal(summary.topFunctions.find((f) => f.functionName === "tick")?.location, "ArenaRoom.ts:42");
    assert.deepEqual(asked, ["tick"]);
  });
});
