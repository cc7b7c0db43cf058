import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Client } from "@colyseus/sdk";
import { ArenaState, CloseCode, PROTOCOL_VERSION } from "@arena/shared";
import { request, type ServerProcess, spawnServer, TestPlayer, waitFor } from "@arena/testkit";

const DEADLINE_S = 2;

describe("SIGTERM", () => {
  let server: ServerProcess;
  after(() => server?.stop());

  it("drains: no new players, the round plays on until the deadline, then players are told to find another room", async () => {
    server = await spawnServer({ SHUTDOWN_DEADLINE_SECONDS: String(DEADLINE_S) });
    const ann = await TestPlayer.join(server.endpoint, "Ann");
    const bob = await TestPlayer.join(server.endpoint, "Bob");
    const closes: { who: string; code: number; at: number }[] = [];
    for (const p of [ann, bob]) p.room.onLeave((code) => closes.push({ who: p.room.sessionId, code, at: Date.now() }));
    ann.controls.moveY = 1;
    ann.play();
    bob.play();
    await waitFor("both in the room", () => bob.state.players.size === 2);

    const termAt = Date.now();
    server.child.kill("SIGTERM");
    await waitFor("the drain to start", () => server.logs.some((l) => String(l.msg).startsWith("draining")));

    const health = await fetch(`${server.endpoint}/api/health`);
    assert.equal(health.status, 503);
    assert.equal((await health.json()).status, "draining");
    await assert.rejects(
      new Client(server.endpoint).joinOrCreate("arena", { name: "Late", protocol: PROTOCOL_VERSION }, ArenaState),
      "a new player is refused while draining",
    );

    // The match goes on: Bob keeps seeing Ann move.
    const y0 = bob.state.players.get(ann.id)!.y;
    await waitFor("the match to keep running", () => bob.state.players.get(ann.id)!.y !== y0, 1500);
    assert.equal(closes.length, 0, "nobody is closed before the deadline");

    await waitFor("both players closed", () => closes.length === 2, (DEADLINE_S + 5) * 1000);
    for (const close of closes) {
      assert.equal(close.code, CloseCode.SERVER_DRAINING);
      assert.ok(close.at - termAt >= DEADLINE_S * 1000 - 200, `closed ${close.at - termAt} ms after SIGTERM`);
    }
    const exit = await server.exited;
    assert.deepEqual(exit, { code: 0, signal: null });
    await Promise.all([ann.leave(), bob.leave()]);
  });

  it("a seat reserved but never claimed does not hold the drain past its deadline", async () => {
    // Core waits for unclaimed seats to expire (15 s) before disposing a room its last player has left.
    server = await spawnServer({ SHUTDOWN_DEADLINE_SECONDS: "1" });
    const ann = await TestPlayer.join(server.endpoint, "Ann");
    const unclaimed = await request(server.endpoint, "POST", "/matchmake/joinOrCreate/arena", { name: "Ghost", protocol: PROTOCOL_VERSION });
    assert.equal(unclaimed.body.roomId, ann.room.roomId, "the seat is in Ann's room");
    let code: number | undefined;
    ann.room.onLeave((c) => {
      code = c;
    });

    server.child.kill("SIGTERM");
    const exit = await server.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, `the drain finished (a stuck one exits 1 after the overrun):\n${server.output().slice(-2000)}`);
    assert.equal(code, CloseCode.SERVER_DRAINING);
    assert.ok(server.logs.some((l) => l.msg === "drained"));
    await ann.leave();
  });
});
