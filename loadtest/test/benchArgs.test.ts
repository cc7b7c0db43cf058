import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { BenchArgsError, SCENARIO_NAMES, parseBenchArgs } from "../src/bench/benchArgs.ts";

/** Asserts that the arguments are refused with a message naming `argument`. */
function refused(argv: string[], argument: RegExp): void {
  assert.throws(
    () => parseBenchArgs(argv),
    (error: Error) => {
      assert.ok(error instanceof BenchArgsError, String(error));
      assert.match(error.message, argument);
      return true;
    },
  );
}

describe("the bench's arguments", () => {
  it("default to a 20 s smoke run, and a 180 s hostile one", () => {
    const args = parseBenchArgs([]);
    assert.equal(args.scenario, "smoke");
    assert.deepEqual([args.bots, args.seconds, args.baseline, args.profile], [24, 20, true, undefined]);
    assert.deepEqual(args.steps, [32, 64, 96, 128, 160]);
    assert.equal(parseBenchArgs(["--scenario", "hostile"]).seconds, 180);
    assert.equal(parseBenchArgs([], { REDIS_BENCH_URL: "redis://10.0.0.2:6379/3" }).redisUrl, "redis://10.0.0.2:6379/3");
  });

  it("read good values into numbers, lists and flags", () => {
    const out = join(tmpdir(), "report.json");
    const args = parseBenchArgs([
      "--scenario",
      "capacity",
      "--steps",
      "8,16,24",
      "--seconds",
      "2.5",
      "--room-size",
      "8,16",
      "--no-baseline",
      "--light",
      "--profile",
      "--profile-interval-us",
      "500",
      "--arena-variants",
      "semi16=--max-semi-space-size=16",
      "--out",
      out,
    ]);
    assert.equal(args.scenario, "capacity");
    assert.deepEqual(args.steps, [8, 16, 24]);
    assert.deepEqual(args.roomSizes, [8, 16]);
    assert.deepEqual([args.seconds, args.baseline, args.light, args.out], [2.5, false, true, out]);
    assert.equal(args.profile?.intervalMicros, 500);
    assert.deepEqual(
      args.variants.map((v) => v.name),
      ["default", "semi16"],
    );
    assert.deepEqual(parseBenchArgs(["--scenario", "join-storm", "--processes", "1,4", "--keep-alive", "16"]).processes, [1, 4]);
    const storm = parseBenchArgs(["--scenario", "join-storm", "--server-cores", "0.5", "--warm-up", "2000", "--lobby-watchers", "4"]);
    assert.deepEqual([storm.serverCores, storm.warmUp, storm.lobbyWatchers], [0.5, 2000, 4]);
    assert.deepEqual([args.serverCores, args.warmUp, args.lobbyWatchers], [undefined, 0, 0]);
    assert.equal(parseBenchArgs(["--scenario", "capacity", "--spectators", "256"]).spectators, 256);
    assert.equal(args.spectators, 0);
    assert.ok(Object.isFrozen(args));
  });

  it("refuse a bad --steps, saying why", () => {
    refused(["--steps", "32,x"], /--steps: comma-separated whole numbers/);
    refused(["--steps", "64,32"], /--steps: players must increase/);
    refused(["--steps", "0,32"], /--steps: each from 1/);
    refused(["--steps", ""], /--steps/);
    refused(["--steps"], /--steps/);
  });

  it("refuse a bad --server-cores or --warm-up", () => {
    refused(["--server-cores", "0"], /--server-cores/);
    refused(["--server-cores", "x"], /--server-cores/);
    refused(["--warm-up", "-1"], /--warm-up/);
    refused(["--warm-up", "1.5"], /--warm-up/);
  });

  it("refuse a bad --spectators", () => {
    refused(["--spectators", "-1"], /--spectators/);
    refused(["--spectators", "many"], /--spectators/);
  });

  it("refuse an unknown scenario, listing the scenarios", () => {
    refused(["--scenario", "smok"], new RegExp(`--scenario: no scenario "smok"; the scenarios are ${SCENARIO_NAMES.join(", ")}`));
  });

  it("name every bad argument at once, and unknown options too", () => {
    assert.throws(
      () => parseBenchArgs(["--bots=-3", "--seconds", "0", "--processes", "1,9", "--redis", "http://x", "--out", "/no/such/folder/r.json"]),
      (error: Error) => {
        for (const name of ["--bots", "--seconds", "--processes", "--redis", "--out"]) assert.match(error.message, new RegExp(name));
        return true;
      },
    );
    refused(["--stepz", "3"], /--stepz/);
    refused(["smoke"], /smoke/);
    refused(["--arena-variants", "default=--x"], /--arena-variants: .*default/);
  });

  it("stop the harness with status 2 and the message, before any server starts", () => {
    const run = fileURLToPath(new URL("../src/bench/run.ts", import.meta.url));
    const result = spawnSync(process.execPath, ["--import", "tsx", run, "--scenario", "smoke", "--steps", "many"], { encoding: "utf8", timeout: 20_000 });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /--steps: comma-separated whole numbers/);
    assert.equal(result.stdout, "");
  });
});
