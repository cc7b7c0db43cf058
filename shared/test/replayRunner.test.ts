import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  ReplayFormatError,
  ReplayRunner,
  ReplayWriter,
  STEP_SECONDS,
  createPlainWorld,
  decodeReplay,
  joinPlayer,
  newPlainPlayer,
  listReplayOps,
  snapshotWorld,
  type SimEvent,
} from "../src/index.ts";
import { REPLAY_ID, recordMatch } from "@arena/testkit";

describe("replay runner", () => {
  it("a recorded match runs again exactly: the world after any number of ops is the one recorded", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), (seed, cuts) => {
        const match = recordMatch(seed, 240);
        const replay = decodeReplay(match.bytes);
        const runner = new ReplayRunner(replay);
        assert.deepStrictEqual(snapshotWorld(runner.world), match.worlds[0]);
        for (const cut of cuts.map((c) => c % (replay.opCount + 1)).sort((a, b) => a - b)) {
          runner.runOps(cut);
          assert.equal(runner.ops, cut);
          assert.deepStrictEqual(snapshotWorld(runner.world), match.worlds[cut], `after ${cut} ops`);
        }
        runner.runOps(replay.opCount);
        assert.deepStrictEqual(snapshotWorld(runner.world), snapshotWorld(match.world));
        assert.equal(runner.tick, runner.totalTicks);
      }),
      { numRuns: 20 },
    );
  });

  it("the match it replays has kills, pickups, shots seen at rewound positions, round changes, joins, leaves and drops", () => {
    const match = recordMatch(21, 1800);
    const replay = decodeReplay(match.bytes);
    assert.ok(match.events.kills > 0 && match.events.pickups > 0 && match.events.rounds > 0, JSON.stringify(match.events));
    const { ops } = listReplayOps(replay);
    const seen = ops.flatMap((op) => (op.op === "step" ? op.players.flatMap((p) => p.frames.flatMap((f) => f.seen ?? [])) : []));
    assert.ok(seen.some((s) => !s.live) && seen.some((s) => s.live));
    for (const kind of ["join", "leave", "connected", "place"])
      assert.ok(
        ops.some((op) => op.op === kind),
        kind,
      );
    const events: SimEvent[] = [];
    const runner = new ReplayRunner(replay);
    runner.runTo(runner.totalTicks, (event) => events.push(event));
    assert.equal(events.filter((e) => e.type === "kill").length, match.events.kills);
    assert.equal(events.filter((e) => e.type === "round_start").length, match.events.rounds);
    assert.deepStrictEqual(snapshotWorld(runner.world), snapshotWorld(match.world));
  });

  it("runTo stops before the next step; seek goes anywhere, backwards from keyframes, and lands on the same world", () => {
    const match = recordMatch(33, 600);
    const replay = decodeReplay(match.bytes);
    const runner = new ReplayRunner(replay, { keyframeEveryTicks: 50 });
    const at = (tick: number) => match.worlds[match.opsAtTick[tick]];
    runner.runTo(123);
    assert.equal(runner.tick, 123);
    assert.deepStrictEqual(snapshotWorld(runner.world), at(123));
    runner.runTo(10);
    assert.equal(runner.tick, 123, "runTo never goes back");
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 620 }), { minLength: 1, maxLength: 20 }), (ticks) => {
        for (const tick of ticks) {
          runner.seek(tick);
          const clamped = Math.min(Math.max(tick, 0), 600);
          assert.equal(runner.tick, clamped);
          assert.deepStrictEqual(snapshotWorld(runner.world), clamped === 600 ? snapshotWorld(match.world) : at(clamped), `at tick ${clamped}`);
        }
      }),
      { numRuns: 20 },
    );
    const names = runner.players();
    assert.deepEqual(
      names.map((p) => p.id),
      [...runner.world.players.keys()],
    );
    assert.ok(names.every((p) => p.name === runner.world.players.get(p.id)!.name));
  });

  it("a replay whose seen records were altered diverges with a clear error", () => {
    const match = recordMatch(45, 600);
    const replay = decodeReplay(match.bytes);
    const { seenAt } = listReplayOps(replay);
    assert.ok(seenAt.length > 0);
    // The first seen record: point it at another player (one who is in the replay, so the file still decodes).
    // The first one-byte record whose handle's neighbour (0 <-> 1, 2 <-> 3, ...) had joined by then (so the file still decodes); the same live bit.
    const bad = seenAt
      .filter((offset) => match.bytes[offset] < 0x80)
      .map((offset) => {
        const altered = match.bytes.slice();
        altered[offset] ^= 2;
        try {
          return decodeReplay(altered);
        } catch {
          return undefined;
        }
      })
      .find((decoded) => decoded !== undefined)!;
    const runner = new ReplayRunner(bad);
    assert.throws(
      () => runner.runOps(bad.opCount),
      (error: unknown) => error instanceof ReplayFormatError && /^replay diverged at tick \d+: .* at byte \d+\)$/.test(error.message),
    );
    assert.ok(runner.ops < bad.opCount);
    // Broken until a seek takes it back before the divergence.
    assert.throws(() => runner.runOps(bad.opCount), ReplayFormatError);
    runner.seek(0);
    assert.deepStrictEqual(snapshotWorld(runner.world), match.worlds[match.opsAtTick[0]]);
  });

  it("a recorded shot the step does not fire, and a shot that was not recorded, diverge", () => {
    // Two players; Ann's frame fires at tick 1 (her weapon is ready), so the step asks where she saw Bob.
    const base = () => {
      const world = createPlainWorld("ffa", 3);
      joinPlayer(world, "ann", newPlainPlayer(), "Ann");
      joinPlayer(world, "bob", newPlainPlayer(), "Bob");
      return new ReplayWriter({ roomId: "r", mode: "ffa", tickRate: 30, dt: STEP_SECONDS, start: snapshotWorld(world) });
    };
    const fire = { moveX: 0, moveY: 0, aim: 0, fire: true };
    const record = (frames: number, seen: boolean) => {
      const writer = base();
      const tap = writer.beginStep(
        (id) => (id === "ann" ? new Array(frames).fill(fire) : []),
        () => (_id, target) => target,
      );
      for (const _frame of tap.framesOf("ann")) {
        const look = tap.seenBy("ann");
        if (seen) look("bob", { x: 1, y: 1 } as never);
      }
      for (const _frame of tap.framesOf("bob"));
      writer.endStep();
      return decodeReplay(writer.finish({ id: REPLAY_ID, startedAt: 0, endedAt: 0 }));
    };
    // Recorded: Ann fires twice in one step (the second cannot: cooldown).
    assert.throws(() => new ReplayRunner(record(2, false)).runOps(1), /replay diverged at tick 1: "ann"'s recorded shot was not fired/);
    // Recorded: her shot saw Bob, whom the step does not ask about (spawn protection).
    assert.throws(() => new ReplayRunner(record(1, true)).runOps(1), /replay diverged at tick 1: "ann"'s shot left 1 seen records unasked/);
    new ReplayRunner(record(1, false)).runOps(1);
    // Recorded: a firing frame whose shot was not recorded (the writer never saw seenBy).
    const quiet = base();
    const tap2 = quiet.beginStep(
      (id) => (id === "ann" ? [fire] : []),
      () => (_id, target) => target,
    );
    for (const _frame of tap2.framesOf("ann"));
    for (const _frame of tap2.framesOf("bob"));
    quiet.endStep();
    const unrecorded = decodeReplay(quiet.finish({ id: REPLAY_ID, startedAt: 0, endedAt: 0 }));
    assert.throws(() => new ReplayRunner(unrecorded).runOps(1), /replay diverged at tick 1: "ann" fired where the recording has no shot/);
  });

  it("runs a replay with no ops and no players", () => {
    const writer = new ReplayWriter({ roomId: "r", mode: "duel", tickRate: 30, dt: STEP_SECONDS, start: snapshotWorld(createPlainWorld("duel", 9)) });
    const replay = decodeReplay(writer.finish({ id: REPLAY_ID, startedAt: 0, endedAt: 0 }));
    const runner = new ReplayRunner(replay);
    runner.runTo(100);
    runner.seek(0);
    assert.equal(runner.tick, 0);
    assert.equal(runner.totalTicks, 0);
    assert.deepEqual(runner.players(), []);
    assert.equal(runner.world.mode, "duel");
  });
});
