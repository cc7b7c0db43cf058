import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { Client } from "@colyseus/sdk";
import {
  ArenaState,
  CloseCode,
  INPUT_GROUP_FRAMES,
  PLAYER_SPEED_PX_PER_S,
  PROTOCOL_VERSION,
  STEP_SECONDS,
  moveBody,
  parseErrorCode,
  sanitizeInput,
} from "@arena/shared";
import { type RunningServer, TestPlayer, type TestPlayerOptions, waitFor } from "@arena/testkit";
import { startServer } from "./helpers/servers.ts";
import { placeFacing, scoreAndWound } from "./helpers/players.ts";

let server: RunningServer;
let players: TestPlayer[] = [];

async function join(name: string, extra: Record<string, unknown> = {}, options: TestPlayerOptions = {}): Promise<TestPlayer> {
  const player = await TestPlayer.join(server.endpoint, name, extra, options);
  players.push(player);
  return player;
}

before(async () => {
  server = await startServer({ RECONNECT_GRACE_SECONDS: "2", ENABLE_TEST_HOOKS: "1" });
});
afterEach(async () => {
  await Promise.all(players.map((p) => p.leave()));
  players = [];
});
after(() => server.stop());

describe("health", () => {
  it("answers with status, process, rooms, clients and uptime (and testHooks, this server having them on)", async () => {
    const res = await fetch(`${server.endpoint}/api/health`);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.deepEqual(Object.keys(body).sort(), ["clients", "processId", "redis", "rooms", "status", "testHooks", "uptimeSeconds"]);
    assert.equal(body.testHooks, true);
    assert.equal(body.status, "ok");
    assert.equal(typeof body.processId, "string");
  });

  it("unknown API routes get a JSON 404", async () => {
    const res = await fetch(`${server.endpoint}/api/nope`);
    assert.equal(res.status, 404);
    assert.equal((await res.json()).errorCode, "not_found");
  });
});

describe("arena room", () => {
  it("two clients join one room; one moves and both see it", async () => {
    const ann = await join("Ann");
    const bob = await join("Bob");
    assert.equal(ann.room.roomId, bob.room.roomId);
    await waitFor("both players in both states", () => ann.state.players.size === 2 && bob.state.players.size === 2);
    const start = bob.state.players.get(ann.id)!.x;
    ann.controls.moveX = start < 800 ? 1 : -1;
    ann.play();
    // 15 frames: half a second of movement.
    await waitFor("Bob to see Ann move 60 px", () => Math.abs(bob.state.players.get(ann.id)!.x - start) >= 60);
    const seenByAnn = ann.state.players.get(ann.id)!.x;
    assert.ok(Math.abs(seenByAnn - start) >= 60, "Ann sees her own movement from the server too");
    assert.equal(bob.state.players.get(bob.id)!.name, "Bob");
  });

  it("quick play fills the fuller room first and keeps modes apart", async () => {
    const a = await join("A");
    await join("A2");
    const lonely = await new Client(server.endpoint).create("arena", { name: "Lonely", protocol: PROTOCOL_VERSION }, ArenaState);
    players.push(new TestPlayer(lonely));
    const b = await join("B", { mode: "duel" });
    const c = await join("C");
    assert.equal(c.room.roomId, a.room.roomId, "the room with two players is picked over the room with one");
    assert.notEqual(b.room.roomId, a.room.roomId);
    assert.equal(b.state.mode, "duel");
    const d = await join("D", { mode: "duel" });
    assert.equal(d.room.roomId, b.room.roomId, "the duel room takes its second player");
    const e = await join("E", { mode: "duel" });
    assert.notEqual(e.room.roomId, b.room.roomId, "a full duel room (capacity 2) takes no third");
  });

  it("a player sending its frames in groups has each one simulated as one step, in order, and acknowledged", async () => {
    const ann = await join("Ann", {}, { groupFrames: INPUT_GROUP_FRAMES });
    ann.room.send("__test:place", { x: 300, y: 150 });
    await waitFor("placed", () => ann.state.players.get(ann.id)?.x === 300);
    const predicted = { x: 300, y: 150 };
    const frames = 30;
    for (let i = 0; i < frames; i++) {
      Object.assign(ann.controls, { moveX: [1, 0.5, 0.8][i % 3], moveY: [0.25, -0.25, 0][i % 3], aim: i * 0.2 });
      const sent = sanitizeInput({ ...ann.controls });
      assert.equal(ann.sendFrame(), i + 1);
      moveBody(predicted, sent.moveX, sent.moveY, STEP_SECONDS);
      await new Promise((resolve) => setTimeout(resolve, STEP_SECONDS * 1000));
    }
    await waitFor("every frame acknowledged", () => ann.input.lastProcessed === frames, 3000);
    await waitFor(
      "the server's position on the prediction",
      () => {
        const me = ann.state.players.get(ann.id)!;
        return me.x === predicted.x && me.y === predicted.y;
      },
      1000,
    ).catch(() => assert.deepEqual({ x: ann.state.players.get(ann.id)!.x, y: ann.state.players.get(ann.id)!.y }, predicted));
  });

  it("a player moves no faster than the speed limit whatever its inputs say", async () => {
    const cheat = await join("Cheat");
    const watcher = await join("Watcher");
    await waitFor("states", () => watcher.state.players.get(cheat.id));
    const start = { ...watcher.state.players.get(cheat.id)!.toJSON() };
    // Fifty frames at once, with hostile values: far more than 30 per second.
    const values = [1e9, Infinity, -Infinity, NaN, 5, -7, 1];
    for (let i = 0; i < 50; i++) {
      cheat.input.data.moveX = values[i % values.length];
      cheat.input.data.moveY = values[(i + 3) % values.length];
      cheat.input.data.aim = values[(i + 1) % values.length];
      cheat.input.send();
    }
    const sentAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 600));
    const end = watcher.state.players.get(cheat.id)!;
    const travelled = Math.hypot(end.x - start.x, end.y - start.y);
    const elapsedS = (Date.now() - sentAt) / 1000;
    // Budget: one step per tick elapsed, plus the bank of 8, plus a tick of slack.
    const limit = PLAYER_SPEED_PX_PER_S * (elapsedS + 9 * STEP_SECONDS);
    assert.ok(travelled <= limit, `travelled ${travelled.toFixed(1)} px, limit ${limit.toFixed(1)}`);
    assert.ok(Number.isFinite(end.x) && Number.isFinite(end.y) && Number.isFinite(end.aim));
  });
});

describe("hostile input", () => {
  async function refusal(options: Record<string, unknown>): Promise<{ status: number; code: string | null; message: string }> {
    const res = await fetch(`${server.endpoint}/matchmake/joinOrCreate/arena`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(options),
    });
    const body = (await res.json()) as { error: string };
    return { status: res.status, code: parseErrorCode(body.error), message: body.error };
  }

  it("refuses bad join options with the project's codes", async () => {
    const roomsBefore = (await (await fetch(`${server.endpoint}/api/health`)).json()).rooms;
    const good = { name: "Ok", protocol: PROTOCOL_VERSION };
    assert.deepEqual(pick(await refusal({ ...good, name: "" })), { status: 400, code: "bad_name" });
    assert.deepEqual(pick(await refusal({ ...good, name: "x".repeat(17) })), { status: 400, code: "bad_name" });
    assert.deepEqual(pick(await refusal({ ...good, name: "bell\u0007" })), { status: 400, code: "bad_name" });
    assert.deepEqual(pick(await refusal({ ...good, name: 42 })), { status: 400, code: "bad_name" });
    assert.deepEqual(pick(await refusal({ ...good, mode: "battle-royale" })), { status: 400, code: "unknown_mode" });
    assert.deepEqual(pick(await refusal({ ...good, maxClients: 100 })), { status: 400, code: "bad_options" });
    const outdated = await refusal({ ...good, protocol: PROTOCOL_VERSION + 1 });
    assert.deepEqual(pick(outdated), { status: 426, code: "client_outdated" });
    assert.match(outdated.message, /Reload/);
    assert.deepEqual(pick(await refusal({ name: "NoVersion" })), { status: 426, code: "client_outdated" });
    const health = await (await fetch(`${server.endpoint}/api/health`)).json();
    assert.equal(health.rooms, roomsBefore, "no room was created for a refused join");
  });

  it("the SDK surfaces the refusal as an error with the code", async () => {
    await assert.rejects(
      new Client(server.endpoint).joinOrCreate("arena", { name: "", protocol: PROTOCOL_VERSION }, ArenaState),
      (error: Error & { code?: number }) => error.code === 400 && parseErrorCode(error.message) === "bad_name",
    );
  });

  it("garbage frames and unknown messages cost nothing to anyone else", async () => {
    const rogue = await join("Rogue");
    const victim = await join("Victim");
    victim.controls.moveY = 1;
    victim.play();
    rogue.room.send("teleport", { x: 0 });
    await waitFor("an error message to the rogue", () => rogue.received("error").length > 0);
    assert.equal(rogue.received("error")[0].code, "unknown_message");

    // Raw frames: an input frame of garbage, a truncated one, random bytes.
    const raw = (bytes: number[]) => rogue.room.connection.send(new Uint8Array(bytes));
    raw([32, 255, 255, 255, 255, 255, 255, 255, 255]);
    raw([32]);
    raw([33, 1, 2, 3]);
    for (let i = 0; i < 20; i++) raw(Array.from({ length: 64 }, (_, j) => (i * 31 + j * 17) % 256));

    const before = victim.patches;
    await waitFor("the victim to keep receiving patches", () => victim.patches >= before + 10);
    const health = await (await fetch(`${server.endpoint}/api/health`)).json();
    assert.equal(health.status, "ok");
    const me = victim.state.players.get(victim.id)!;
    assert.ok(me.connected && Number.isFinite(me.x) && Number.isFinite(me.y));
  });
});

describe("reconnection", () => {
  it("a dropped player keeps seat, position, health and score, and rejoins as the same session", async () => {
    const ann = await join("Ann");
    const bob = await join("Bob");
    bob.play();
    await scoreAndWound(ann, bob);
    const before = ann.state.players.get(ann.id)!.toJSON();
    const sessionId = ann.id;
    const token = ann.room.reconnectionToken;
    const seenByBob: boolean[] = [];
    bob.room.onStateChange(() => seenByBob.push(bob.state.players.get(sessionId)?.connected ?? false));
    // Retry only after 400 ms, so the held seat is visible to Bob meanwhile.
    Object.assign(ann.room.reconnection, { minUptime: 0, delay: 400, minDelay: 400 });
    let reconnected = false;
    ann.room.onReconnect(() => {
      reconnected = true;
    });
    dropConnection(ann);
    await waitFor("Ann to reconnect", () => reconnected, 8000);
    assert.equal(ann.id, sessionId);
    assert.notEqual(ann.room.reconnectionToken, token, "the token rotates");
    assert.ok(seenByBob.includes(false), "Bob saw Ann's seat held, disconnected");
    await waitFor("Ann connected again", () => bob.state.players.get(sessionId)?.connected === true);
    const after = ann.state.players.get(sessionId)!.toJSON();
    for (const field of ["name", "x", "y", "hp", "score", "alive"] as const) {
      assert.equal(after[field], before[field], field);
    }
    assert.equal(after.score, 1);
    assert.ok(after.hp < 100);
  });

  it("a held seat cannot be damaged", async () => {
    const ann = await join("Ann");
    const bob = await join("Bob");
    await placeFacing(ann, bob, bob);
    ann.room.reconnection.enabled = false;
    dropConnection(ann);
    await waitFor("Ann shown disconnected", () => bob.state.players.get(ann.id)?.connected === false);
    bob.controls.aim = Math.PI;
    bob.controls.fire = true;
    bob.sendFrame();
    const shot = await waitFor("Bob's shot", () => bob.eventsOf("shot").find((s) => s.shooter === bob.id));
    assert.equal(shot.target, null);
    assert.equal(bob.state.players.get(ann.id)!.hp, 100);
  });

  it("after the grace period the player is removed and the token no longer works", async () => {
    const ann = await join("Ann");
    const bob = await join("Bob");
    await waitFor("both present", () => bob.state.players.size === 2);
    const token = ann.room.reconnectionToken;
    ann.room.reconnection.enabled = false;
    const droppedAt = Date.now();
    dropConnection(ann);
    await waitFor("Ann shown disconnected", () => bob.state.players.get(ann.id)?.connected === false);
    await waitFor("Ann removed", () => !bob.state.players.has(ann.id), 5000);
    const heldMs = Date.now() - droppedAt;
    assert.ok(heldMs >= 1500, `seat held ${heldMs} ms for a 2 s grace`);
    await assert.rejects(new Client(server.endpoint).reconnect(token, ArenaState));
  });
});

describe("floods", () => {
  it("a client far above the message rate is closed within a second with FLOODING, and its seat is not held", async () => {
    const flooder = await join("Flooder");
    const bob = await join("Bob");
    bob.play();
    await waitFor("both present", () => bob.state.players.size === 2);
    let code = 0;
    let closedAt = 0;
    flooder.room.onLeave((c) => {
      code = c;
      closedAt = Date.now();
    });
    const started = Date.now();
    for (let i = 0; i < 2000 && code === 0; i++) {
      flooder.input.data.moveX = i % 2;
      flooder.input.send();
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    await waitFor("the flooder closed", () => code !== 0, 3000);
    assert.equal(code, CloseCode.FLOODING);
    assert.ok(closedAt - started < 1000, `closed after ${closedAt - started} ms`);
    await waitFor("the seat freed, not held", () => !bob.state.players.has(flooder.id), 2000);
    const patches = bob.patches;
    await waitFor("Bob unaffected", () => bob.patches > patches + 5);
  });
});

describe("chat", () => {
  it("broadcasts a message as plain text, with length and rate limits that answer only the sender", async () => {
    const ann = await join("Ann");
    const bob = await join("Bob");
    ann.room.send("chat", { text: "  hello\u0007 there  " });
    await waitFor("Bob to get the message", () => bob.received("chat").length === 1);
    assert.deepEqual(bob.received("chat")[0], { from: ann.id, name: "Ann", text: "hello  there" });
    ann.room.send("chat", { text: "x".repeat(201) });
    ann.room.send("chat", { text: 42 });
    await waitFor("two refusals", () => ann.received("error").length >= 2);
    assert.deepEqual(
      ann.received("error").map((e) => e.code),
      ["chat_too_long", "bad_message"],
    );
    for (let i = 0; i < 6; i++) ann.room.send("chat", { text: `spam ${i}` });
    await waitFor("the rate limit", () => ann.received("error").some((e) => e.code === "chat_rate_limited"));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(bob.received("chat").length, 5, "one before, four of the six: five per ten seconds");
    assert.equal(bob.received("error").length, 0, "refusals go to the sender only");
  });
});

describe("ownership", () => {
  it("old, foreign and guessed tokens fail, and the real player can still reconnect afterwards", async () => {
    const ann = await join("Ann");
    const other = await join("Other", { mode: "duel" });
    const firstToken = ann.room.reconnectionToken;
    Object.assign(ann.room.reconnection, { minUptime: 0, delay: 300, minDelay: 300 });
    let rejoined = 0;
    ann.room.onReconnect(() => {
      rejoined++;
    });
    dropConnection(ann);
    await waitFor("Ann rejoined", () => rejoined === 1, 8000);
    assert.notEqual(ann.room.reconnectionToken, firstToken, "the token rotated");

    // Now Ann's seat is live again; try to take it over while she drops once more.
    ann.room.reconnection.enabled = false;
    const current = ann.room.reconnectionToken;
    dropConnection(ann);
    await waitFor("Ann's socket closed", () => !ann.room.connection.isOpen);
    const [roomId, secret] = current.split(":");
    const attempts = [
      firstToken, // rotated away
      `${other.room.roomId}:${secret}`, // Ann's secret, another room
      `${roomId}:${"x".repeat(secret.length)}`, // guessed
      `${roomId}:${secret.slice(0, -1)}${secret.at(-1) === "a" ? "b" : "a"}`, // one character off
    ];
    for (const token of attempts) {
      await assert.rejects(new Client(server.endpoint).reconnect(token, ArenaState), `refused: ${token.slice(0, 12)}…`);
    }
    const back = await new Client(server.endpoint).reconnect(current, ArenaState);
    assert.equal(back.sessionId, ann.id, "the real player still gets the seat back");
    await back.leave();
  });
});

describe("room isolation", () => {
  it("an exception in one room's tick closes that room only", async () => {
    const doomed = await join("Doomed");
    const other = await join("Other", { mode: "duel" });
    assert.notEqual(doomed.room.roomId, other.room.roomId);
    let closeCode = 0;
    doomed.room.onLeave((code) => {
      closeCode = code;
    });
    other.controls.moveX = 1;
    other.play();
    doomed.room.send("__test:fault");
    await waitFor("the faulty room to close", () => closeCode !== 0);
    assert.equal(closeCode, CloseCode.ROOM_FAULT);
    const x0 = other.state.players.get(other.id)!.x;
    const patches = other.patches;
    await waitFor("the other room to keep ticking", () => other.patches > patches + 5 && other.state.players.get(other.id)!.x !== x0);
    const health = await (await fetch(`${server.endpoint}/api/health`)).json();
    assert.equal(health.status, "ok");
  });
});

/**
 * Cuts a player's TCP connection from the server side (test hook), so the
 * client sees an abnormal close (1006) as on a real network drop. Works with
 * the ws package (Node 20) and Node 22's built-in WebSocket alike.
 */
function dropConnection(player: TestPlayer): void {
  player.room.send("__test:drop");
}

function pick(r: { status: number; code: string | null }): { status: number; code: string | null } {
  return { status: r.status, code: r.code };
}
