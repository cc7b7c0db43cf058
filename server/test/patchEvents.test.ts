import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PROTOCOL_VERSION, WEAPON_DAMAGE_HP } from "@arena/shared";
import { type RunningServer, TestPlayer, waitFor } from "@arena/testkit";
import { startServer } from "./helpers/servers.ts";
import { RawClient } from "./helpers/rawClient.ts";

/** Colyseus opcodes (`@colyseus/shared-types` Protocol). */
const ROOM_DATA = 13;
const ROOM_STATE_PATCH = 15;
const OPCODE_MASK = 0x1f;

let server: RunningServer;
before(async () => {
  server = await startServer({ ENABLE_TEST_HOOKS: "1" });
});
after(() => server.stop());

describe("events ride in the patch", () => {
  it("a fight reaches every client as one frame per patch; each client sees the same shots and kills, once, and the kills match the scores", async () => {
    const ann = await TestPlayer.join(server.endpoint, "Ann");
    const bob = await TestPlayer.join(server.endpoint, "Bob");
    const watcher = await RawClient.join(server.endpoint, { body: { name: "Raw", protocol: PROTOCOL_VERSION } });
    try {
      await waitFor("all three in one room", () => ann.state.players.size === 3 && bob.state.players.size === 3);
      ann.room.send("__test:place", { x: 300, y: 150 });
      bob.room.send("__test:place", { x: 600, y: 150 });
      await waitFor("placed, shields down", () => {
        const a = bob.state.players.get(ann.id)!,
          b = bob.state.players.get(bob.id)!;
        return a.x === 300 && b.x === 600 && !a.shielded && !b.shielded;
      });
      const framesBefore = watcher.frames.length;
      bob.controls.aim = Math.PI;
      bob.controls.fire = true;
      bob.play();
      ann.play();
      const kills = 1;
      await waitFor(`Bob's kill`, () => ann.eventsOf("kill").length >= kills, 10_000);
      // Shooting on at nothing: misses are events too.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      bob.controls.fire = false;
      await waitFor("the last events delivered", () => {
        const score = bob.state.players.get(bob.id)!.score;
        return ann.eventsOf("kill").length === score && bob.eventsOf("kill").length === score;
      });

      assert.deepEqual(bob.events, ann.events, "both clients saw the same events in the same order");
      const shots = ann.eventsOf("shot");
      assert.ok(shots.length >= 100 / WEAPON_DAMAGE_HP + 2, `${shots.length} shots`);
      assert.ok(
        shots.some((s) => s.target === null),
        "misses arrive too",
      );
      assert.ok(shots.every((s) => s.shooter === bob.id && s.x1 === 600 && s.y1 === 150));
      for (const kill of ann.eventsOf("kill")) assert.deepEqual(kill, { type: "kill", killer: bob.id, victim: ann.id });
      // A kill comes after the shot that made it.
      const firstKill = ann.events.findIndex((e) => e.type === "kill");
      const hitsBefore = ann.events.slice(0, firstKill).filter((e) => e.type === "shot" && e.target === ann.id).length;
      assert.equal(hitsBefore, 100 / WEAPON_DAMAGE_HP, "the first kill follows the fourth hit");

      // What the watcher got while the fight went on: patches only (round messages aside).
      const during = watcher.frames.slice(framesBefore);
      const opcodes = new Set(during.map((f) => f[0] & OPCODE_MASK));
      assert.ok(during.length > 20, `${during.length} frames`);
      assert.deepEqual(
        [...opcodes].filter((op) => op !== ROOM_STATE_PATCH && op !== ROOM_DATA),
        [],
        "nothing but patches and messages",
      );
      const messages = during.filter((f) => (f[0] & OPCODE_MASK) === ROOM_DATA).map((f) => f.subarray(1, 13).toString("latin1"));
      assert.ok(
        messages.every((m) => /round_(start|end)/.test(m)),
        `messages during the fight: ${messages.join(", ")}`,
      );
    } finally {
      watcher.destroy();
      await Promise.all([ann.leave(), bob.leave()]);
    }
  });

  it("a player who joins mid-fight gets the events from its join on, none twice, none skipped", async () => {
    const bob = await TestPlayer.join(server.endpoint, "Bob");
    try {
      bob.room.send("__test:place", { x: 200, y: 150 });
      await waitFor("Bob placed", () => bob.state.players.get(bob.id)?.x === 200);
      // Walking while firing: every shot starts somewhere else, so each is told apart.
      Object.assign(bob.controls, { moveX: 1, aim: Math.PI, fire: true });
      bob.play();
      await waitFor("Bob's first shots", () => bob.eventsOf("shot").length >= 3);
      const cat = await TestPlayer.join(server.endpoint, "Cat");
      try {
        await waitFor("Cat sees shots", () => cat.eventsOf("shot").length >= 4);
        bob.controls.fire = false;
        const seen = () => bob.eventsOf("shot").length;
        let count = seen();
        await waitFor("the shots to stop", async () => {
          await new Promise((resolve) => setTimeout(resolve, 300));
          const now = seen();
          const still = now === count;
          count = now;
          return still;
        });
        const all = bob.eventsOf("shot").map((s) => s.x1);
        const late = cat.eventsOf("shot").map((s) => s.x1);
        assert.equal(new Set(all).size, all.length, "every shot is told apart");
        assert.deepEqual(late, all.slice(all.length - late.length), "Cat's shots are the tail of Bob's, in order, none twice");
        assert.ok(late.length < all.length);
      } finally {
        await cat.leave();
      }
    } finally {
      await bob.leave();
    }
  });
});
