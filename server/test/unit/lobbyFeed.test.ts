import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { test } from "node:test";
import type { Room } from "@colyseus/core";
import { LobbyFeed } from "../../src/matchmaking/LobbyFeed.ts";

const WINDOW_MS = 30;
const room = (roomId: string) => ({ roomId }) as unknown as Room;
const passed = () => new Promise((resolve) => setTimeout(resolve, WINDOW_MS * 3));

/** A feed attached to a room type's event hub, and what it published, in order ("R" a change, "R removed"). */
function feedOn(): { handler: EventEmitter; published: string[]; coreCalls: string[] } {
  const handler = new EventEmitter();
  const coreCalls: string[] = [];
  // Core's own realtime listing, as enableRealtimeListing registers it: the feed replaces it.
  handler.on("join", (r: Room) => coreCalls.push(`core join ${r.roomId}`));
  handler.on("dispose", (r: Room) => coreCalls.push(`core dispose ${r.roomId}`));
  const published: string[] = [];
  new LobbyFeed(WINDOW_MS, (r, removed) => published.push(removed ? `${r.roomId} removed` : r.roomId)).attach(handler);
  return { handler, published, coreCalls };
}

test("a room's changes within the window reach the lobbies once, when the window ends", async () => {
  const { handler, published, coreCalls } = feedOn();
  const [a, b] = [room("A"), room("B")];
  handler.emit("create", a);
  for (let i = 0; i < 8; i++) handler.emit("join", a, {});
  handler.emit("lock", a);
  handler.emit("metadata-change", b);
  handler.emit("leave", b, {}, false);
  assert.deepEqual(published, []);
  await passed();
  assert.deepEqual(published, ["A", "B"]);
  assert.deepEqual(coreCalls, []);
  // A later change opens a new window.
  handler.emit("unlock", a);
  await passed();
  assert.deepEqual(published, ["A", "B", "A"]);
});

test("a room leaving the list is told at once, and its change still waiting is dropped", async () => {
  const { handler, published } = feedOn();
  const [a, b, c] = [room("A"), room("B"), room("C")];
  handler.emit("join", a, {});
  handler.emit("join", b, {});
  handler.emit("join", c, {});
  handler.emit("dispose", a);
  // Made private: gone from the list as core has it (visibility-change carries "now private").
  handler.emit("visibility-change", b, true);
  assert.deepEqual(published, ["A removed", "B removed"]);
  await passed();
  assert.deepEqual(published, ["A removed", "B removed", "C"]);
  // Public again: a change like any other.
  handler.emit("visibility-change", b, false);
  await passed();
  assert.deepEqual(published, ["A removed", "B removed", "C", "B"]);
});

test("the leave that empties a room before its disposal publishes nothing: the disposal says it", async () => {
  const { handler, published } = feedOn();
  const a = room("A");
  handler.emit("leave", a, {}, true);
  await passed();
  assert.deepEqual(published, []);
  handler.emit("dispose", a);
  assert.deepEqual(published, ["A removed"]);
});

test("one room's update that throws loses that update alone: the others of its window still go, and nothing escapes the timer", async () => {
  const handler = new EventEmitter();
  const published: string[] = [];
  new LobbyFeed(WINDOW_MS, (r) => {
    if (r.roomId === "A") throw new TypeError("no listing");
    published.push(r.roomId);
  }).attach(handler);
  handler.emit("join", room("A"), {});
  handler.emit("join", room("B"), {});
  // An uncaught throw in the feed's timer would fail this test (node:test reports it).
  await passed();
  assert.deepEqual(published, ["B"]);
});
