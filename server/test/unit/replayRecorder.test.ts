import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import {
  STEP_SECONDS,
  ReplayRunner,
  createPlainWorld,
  decodeReplay,
  isReplayId,
  joinPlayer,
  leavePlayer,
  livePositions,
  newPlainPlayer,
  snapshotWorld,
  stepTick,
  type InputFrame,
  type PlainWorld,
  type ReplayMeta,
  type WorldSnapshot,
} from "@arena/shared";
import { createLogger } from "../../src/logger.ts";
import { ReplayRecorder, newReplayId } from "../../src/replays/ReplayRecorder.ts";
import type { ReplayStore } from "../../src/replays/ReplayStore.ts";
import { MemoryReplayStore } from "../helpers/replays.ts";

/** A logger whose lines the test reads. */
function capturedLog(): { log: ReturnType<typeof createLogger>; lines: { msg: string; why?: string }[] } {
  const lines: { msg: string; why?: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { log: createLogger("info", stream), lines };
}

/** A room's part, on a plain world: it changes the world, then tells the recorder, as ArenaRoom does. */
function room(store: ReplayStore, options: { cutTicks?: number; cutBytes?: number } = {}) {
  const world: PlainWorld = createPlainWorld("ffa", 5);
  const { log, lines } = capturedLog();
  let clock = 1_796_000_000_000;
  const recorder = new ReplayRecorder({ store, log, roomId: "room1", mode: "ffa", world, dt: STEP_SECONDS, now: () => (clock += 33), ...options });
  const frame = (moveX: number): InputFrame[] => [{ moveX: Math.fround(moveX), moveY: 0, aim: 1, fire: false }];
  return {
    world,
    recorder,
    lines,
    join(id: string) {
      joinPlayer(world, id, newPlainPlayer(), id.toUpperCase());
      recorder.joined(id, id.toUpperCase());
    },
    leave(id: string) {
      leavePlayer(world, id);
      recorder.left(id);
    },
    step(moveX = 1, framesOf = (_id: string) => frame(moveX)) {
      const tap = recorder.beginStep(framesOf, () => livePositions, STEP_SECONDS);
      stepTick(world, tap?.framesOf ?? framesOf, STEP_SECONDS, tap?.seenBy ?? (() => livePositions), []);
      recorder.endStep();
    },
  };
}

/** Runs a saved replay to its end; its world. */
function replayed(saved: { gzipped: Uint8Array }): WorldSnapshot {
  const replay = decodeReplay(gunzipSync(saved.gzipped));
  const runner = new ReplayRunner(replay);
  runner.runOps(replay.opCount);
  return snapshotWorld(runner.world);
}

describe("ReplayRecorder", () => {
  it("saves one replay per match when it ends: gzipped, with its meta, running to the world the match left", async () => {
    const store = new MemoryReplayStore();
    const r = room(store);
    r.join("ann");
    r.join("bob");
    for (let i = 0; i < 40; i++) r.step(i % 3 === 0 ? 1 : -0.5);
    r.recorder.connected("bob", false);
    r.leave("ann");
    r.step();
    const { id } = r.recorder.progress!;
    assert.ok(isReplayId(id));
    const finished = r.recorder.finish();
    await r.recorder.finish();
    await finished;
    assert.equal(r.recorder.progress, undefined);
    r.step(); // after the end: not recorded
    await r.recorder.saved();
    assert.equal(store.replays.length, 1);
    const [{ meta, gzipped }] = store.replays;
    assert.deepEqual({ ...meta, startedAt: 0, endedAt: 0 }, {
      id,
      roomId: "room1",
      mode: "ffa",
      startedAt: 0,
      endedAt: 0,
      ticks: 41,
      players: ["ANN", "BOB"],
      bytes: gzipped.length,
    } satisfies ReplayMeta);
    assert.equal(meta.endedAt - meta.startedAt, 40 * 33);
    // One step after the finish went unrecorded; the replay ends where the match ended here.
    const world = snapshotWorld(r.world);
    assert.notDeepStrictEqual(replayed(store.replays[0]), world);
  });

  it("cuts a long match into replays, each from the world where the last ended: together they are the match", async () => {
    const store = new MemoryReplayStore();
    const r = room(store, { cutTicks: 25 });
    r.join("ann");
    const ids = new Set<string>();
    let joined = 1;
    for (let i = 0; i < 110; i++) {
      if (i % 20 === 7) r.join(`p${joined++}`);
      r.step(((i % 7) - 3) / 3);
      ids.add(r.recorder.progress!.id);
    }
    const last = snapshotWorld(r.world);
    void r.recorder.finish();
    await r.recorder.saved();
    // Saves run side by side (gzip off the event loop): the store sees them in the order they end.
    store.replays.sort((a, b) => a.meta.startedAt - b.meta.startedAt);
    assert.deepEqual(
      store.replays.map((s) => s.meta.ticks),
      [25, 25, 25, 25, 10],
    );
    assert.equal(ids.size, 5);
    for (let i = 1; i < store.replays.length; i++) {
      const start = decodeReplay(gunzipSync(store.replays[i].gzipped)).start;
      assert.deepStrictEqual(start, replayed(store.replays[i - 1]), `replay ${i} starts where ${i - 1} ended`);
    }
    assert.deepStrictEqual(replayed(store.replays.at(-1)!), last);
    // The later ones start with players already in: their meta names them.
    assert.deepEqual(store.replays[4].meta.players, ["ANN", "P1", "P2", "P3", "P4", "P5", "P6"]);
  });

  it("cuts by size too", async () => {
    const store = new MemoryReplayStore();
    const r = room(store, { cutBytes: 2000 });
    r.join("ann");
    for (let i = 0; i < 300; i++) r.step(i % 2 === 0 ? 1 : -1);
    void r.recorder.finish();
    await r.recorder.saved();
    assert.ok(store.replays.length >= 2);
    store.replays.sort((a, b) => a.meta.startedAt - b.meta.startedAt);
    for (const { gzipped } of store.replays.slice(0, -1)) assert.ok(gunzipSync(gzipped).length >= 2000);
  });

  it("a match with no step, or nobody in it, is not saved", async () => {
    const store = new MemoryReplayStore();
    const empty = room(store);
    for (let i = 0; i < 10; i++) empty.step();
    void empty.recorder.finish();
    const idle = room(store);
    idle.join("ann");
    void idle.recorder.finish();
    await Promise.all([empty.recorder.saved(), idle.recorder.saved()]);
    assert.equal(store.replays.length, 0);
  });

  it("what it cannot record ends the replay there, and the next starts from the world as it is", async () => {
    const store = new MemoryReplayStore();
    const r = room(store);
    r.join("ann");
    r.step();
    // A frame that is not a float32: the server never steps one (sanitizeInput), and the writer refuses to record it inexactly.
    r.step(1, () => [{ moveX: 0.1, moveY: 0, aim: 0, fire: false }]);
    r.step();
    void r.recorder.finish();
    await r.recorder.saved();
    assert.equal(store.replays.length, 2);
    store.replays.sort((a, b) => a.meta.startedAt - b.meta.startedAt);
    assert.equal(store.replays[0].meta.ticks, 1);
    assert.equal(store.replays[1].meta.ticks, 1);
    assert.deepStrictEqual(replayed(store.replays[1]), snapshotWorld(r.world));
    assert.ok(r.lines.some((l) => l.msg.startsWith("replay cut short") && /not float32/.test(l.why ?? "")));
  });

  it("a store that fails is logged, never thrown", async () => {
    const failing: ReplayStore = {
      save: () => Promise.reject(new Error("disk full")),
      list: async () => [],
      get: async () => null,
    };
    const r = room(failing);
    r.join("ann");
    r.step();
    void r.recorder.finish();
    await r.recorder.saved();
    assert.ok(r.lines.some((l) => l.msg === "could not save a replay"));
  });

  it("replay ids are 16 characters of [A-Za-z0-9_-], each new", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newReplayId()));
    assert.equal(ids.size, 1000);
    for (const id of ids) assert.ok(isReplayId(id), id);
  });
});
