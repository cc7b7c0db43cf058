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
  /** The snapshots written, in order. */
  readonly written: string[] = [];
  async save(roomId: string, _owner: string, json: string): Promise<boolean> {
    this.calls.push(`save ${roomId}`);
    this.written.push(json);
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

/** A recorder of a fresh match; `gapMs` 0 writes at every change (the tests of what is written when, not how often). */
function recorderOn(store: MatchStore, gapMs = 0): MatchRecorder {
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
    gapMs,
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

test("seat changes within the gap after a write go out together in one write once it has passed; a match that ends meanwhile writes no more", async () => {
  const store = new CountingStore();
  const recorder = recorderOn(store, 40);
  recorder.joined("s1", "token-1");
  await settle();
  assert.deepEqual(store.calls, ["save r1"], "the first change writes at once");
  recorder.joined("s2", "token-2");
  recorder.left("s1");
  recorder.dropped("s2");
  await settle();
  assert.deepEqual(store.calls, ["save r1"], "changes within the gap wait");
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.deepEqual(store.calls, ["save r1", "save r1"], "one write for the three changes");
  const seats = (JSON.parse(store.written[1]) as { seats: { sessionId: string; droppedAt: number | null }[] }).seats;
  assert.deepEqual(
    seats.map((seat) => [seat.sessionId, seat.droppedAt !== null]),
    [["s2", true]],
    "it holds the seats as the last change left them",
  );

  const ended = new CountingStore();
  const short = recorderOn(ended, 40);
  short.joined("s1", "token-1");
  await settle();
  short.joined("s2", "token-2");
  await short.discard();
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.deepEqual(ended.calls, ["save r1", "remove r1"], "the change held back is not written after the match ended");
});

test("a change made while a write is in flight waits for it and for the gap", async () => {
  let release!: () => void;
  const store = new CountingStore();
  const save = store.save.bind(store);
  store.save = async (...args) => {
    const saved = await save(...args);
    if (store.calls.length === 1) await new Promise<void>((resolve) => (release = resolve));
    return saved;
  };
  const recorder = recorderOn(store, 30);
  recorder.joined("s1", "token-1");
  await settle();
  recorder.joined("s2", "token-2");
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.deepEqual(store.calls, ["save r1"], "nothing overlaps the write in flight");
  release();
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(store.calls, ["save r1", "save r1"], "the gap had passed: the held change goes out as the write ends");
});
