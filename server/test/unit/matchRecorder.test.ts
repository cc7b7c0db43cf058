import assert from "node:assert/strict";
import { test } from "node:test";
import { ArenaState, initWorld, Pickup, snapshotWorld } from "@arena/shared";
import { createLogger } from "../../src/logger.ts";
import { Metrics } from "../../src/Metrics.ts";
import { MatchRecorder } from "../../src/migration/MatchRecorder.ts";
import type { MatchStore } from "../../src/migration/MatchStore.ts";

/** The store's calls, in order (an in-memory MatchStore: the recorder, not Redis, is under test). */
class CountingStore implements MatchStore {
  readonly calls: string[] = [];
  async save(roomId: string): Promise<boolean> {
    this.calls.push(`save ${roomId}`);
    return true;
  }
  async owners(): Promise<Map<string, { owner: string; idleMs: number }>> {
    return new Map();
  }
  async ownerOf(): Promise<string | null> {
    return null;
  }
  async takeOver(): Promise<string | null> {
    return null;
  }
  async remove(roomId: string): Promise<void> {
    this.calls.push(`remove ${roomId}`);
  }
}

function recorderOn(store: MatchStore): MatchRecorder {
  const state = new ArenaState();
  initWorld(state, "ffa", 7, () => new Pickup());
  return new MatchRecorder(
    { roomId: "r1", mode: "ffa", privateCode: null, graceSeconds: 20, world: () => snapshotWorld(state), bankedSteps: () => 0 },
    store,
    "process-a",
    25_000,
    new Metrics(),
    createLogger("silent"),
    () => {},
  );
}

/** Lets the recorder's write in flight (and one queued behind it) finish. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

test("a match nobody has joined writes no snapshot on the timer, and deletes none when it ends", async () => {
  const store = new CountingStore();
  const recorder = recorderOn(store);
  recorder.refresh();
  recorder.refresh();
  await settle();
  assert.deepEqual(store.calls, []);
  await recorder.discard();
  assert.deepEqual(store.calls, []);
});

test("from its first player on, the timer writes the match, also once everyone has left; its end deletes it", async () => {
  const store = new CountingStore();
  const recorder = recorderOn(store);
  recorder.refresh();
  await settle();
  recorder.joined("s1", "token-1");
  await settle();
  assert.deepEqual(store.calls, ["save r1"]);
  recorder.refresh();
  await settle();
  recorder.left("s1");
  await settle();
  // Seats gone, but the match has a snapshot (and a lease) to keep until it ends.
  recorder.refresh();
  await settle();
  assert.deepEqual(store.calls, ["save r1", "save r1", "save r1", "save r1"]);
  await recorder.discard();
  assert.deepEqual(store.calls.at(-1), "remove r1");
});

test("a restored match keeps writing on the timer before any of its players is back", async () => {
  const store = new CountingStore();
  const recorder = recorderOn(store);
  recorder.resume({ version: 4 } as Parameters<MatchRecorder["resume"]>[0], []);
  recorder.refresh();
  await settle();
  assert.deepEqual(store.calls, ["save r1"]);
});
