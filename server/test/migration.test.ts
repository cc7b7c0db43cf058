import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { Client } from "@colyseus/sdk";
import { ArenaState, PROTOCOL_VERSION } from "@arena/shared";
import { redisSkipReason, request, type ServerProcess, type TestPlayer, waitFor } from "@arena/testkit";
import { Cluster, GRACE_SECONDS } from "./helpers/migration.ts";
import { placeFacing } from "./helpers/players.ts";

const skip = await redisSkipReason();
if (skip) console.log(`# skipping the match migration tests: ${skip}`);

/** This file's own database on the shared Redis. */
const DB = 12;

describe("match migration (several processes on Redis)", { skip }, () => {
  const cluster = new Cluster(DB);
  const { procs } = cluster;
  const start = (env?: Record<string, string>) => cluster.start(env);
  const track = (room: unknown) => cluster.track(room);
  const matchOn = (host: ServerProcess, ...others: string[]) => cluster.matchOn(host, ...others);
  const scoredMatch = () => cluster.scoredMatch();
  const snapshotOf = (roomId: string) => cluster.snapshotOf(roomId);
  const settledSnapshot = (player: TestPlayer) => cluster.settledSnapshot(player);
  const comeBack = (player: TestPlayer, via: ServerProcess, token?: string, timeoutMs?: number) => cluster.comeBack(player, via, token, timeoutMs);
  const restoredLogs = (roomId: string) => cluster.restoredLogs(roomId);
  const listing = (via: ServerProcess) => cluster.listing(via);

  afterEach(() => cluster.reset());

  it("a crash (SIGKILL): the players are back in the same match on a surviving process, and play on", async () => {
    const { a, b, ann, bob } = await scoredMatch();
    const seen = { round: ann.state.round, secondsLeft: ann.state.phaseSecondsLeft };
    const roomId = ann.room.roomId;
    const ids = [ann.id, bob.id];
    const killedAt = Date.now();
    b.child.kill("SIGKILL");
    // The last snapshot the dead process wrote (a survivor only changes its owner before restoring it).
    const snapshot = (await snapshotOf(roomId))!;
    assert.ok(killedAt - snapshot.savedAt <= 1500, `the snapshot is at most about a second (30 ticks) old (${killedAt - snapshot.savedAt} ms)`);
    const [ann2, bob2] = await Promise.all([comeBack(ann, a), comeBack(bob, a)]);
    const backMs = Date.now() - killedAt;
    assert.ok(backMs < 10_000, `back within 10 s (took ${backMs} ms)`);
    assert.deepEqual([ann2.room.roomId, bob2.room.roomId], [roomId, roomId], "the same room id");
    assert.deepEqual([ann2.id, bob2.id], ids, "the same session ids");
    await waitFor("both shown connected", () => ids.every((id) => ann2.state.players.get(id)?.connected === true));
    for (const [id, saved] of snapshot.world.players) {
      const now = ann2.state.players.get(id)!.toJSON();
      for (const field of ["name", "x", "y", "hp", "score", "alive"] as const) assert.equal(now[field], saved[field], `${id}.${field}`);
    }
    assert.equal(ann2.state.players.get(ann.id)!.score, 1);
    assert.equal(ann2.state.round, seen.round, "the same round");
    const elapsedS = (Date.now() - snapshot.savedAt) / 1000;
    assert.ok(
      ann2.state.phaseSecondsLeft <= snapshot.world.phaseSecondsLeft && ann2.state.phaseSecondsLeft >= seen.secondsLeft - Math.ceil(elapsedS) - 1,
      `the round clock goes on from the snapshot (${snapshot.world.phaseSecondsLeft} then, ${ann2.state.phaseSecondsLeft} now)`,
    );
    const rows = (await listing(a)).filter((r) => r.roomId === roomId);
    assert.deepEqual(
      rows.map((r) => r.processId),
      [a.processId],
      "listed once, on the survivor",
    );
    // Play on: Bob moves, Ann's shots hit him.
    await waitFor("Bob alive", () => ann2.state.players.get(bob.id)!.alive, 6000);
    const from = ann2.state.players.get(bob.id)!.y;
    bob2.controls.moveY = from > 500 ? -1 : 1;
    bob2.play();
    await waitFor("Bob moves", () => Math.abs(ann2.state.players.get(bob.id)!.y - from) > 20);
    bob2.pause();
    await placeFacing(ann2, bob2);
    ann2.controls.aim = 0;
    ann2.controls.fire = true;
    ann2.play();
    await waitFor("Ann's shot hits Bob", () => ann2.eventsOf("shot").some((s) => s.shooter === ann.id && s.target === bob.id), 5000);
    assert.equal(restoredLogs(roomId).length, 1);
    console.log(`# SIGKILL to both players back: ${backMs} ms`);
  });

  it("a deploy (SIGTERM): the match is handed over at once, the players are back within 3 s, and the old process exits early", async () => {
    const { a, b, ann, bob } = await scoredMatch();
    const closes: number[] = [];
    ann.room.onLeave((code) => {
      closes.push(code);
    });
    const termAt = Date.now();
    b.child.kill("SIGTERM");
    await waitFor("Ann's socket closed", () => closes.length > 0, 5000);
    assert.deepEqual(closes, [4010], "closed with Colyseus's 4010: may try to reconnect");
    const [ann2, bob2] = await Promise.all([comeBack(ann, a, undefined, 5000), comeBack(bob, a, undefined, 5000)]);
    const backMs = Date.now() - termAt;
    assert.ok(backMs < 3000, `back within 3 s (took ${backMs} ms)`);
    assert.deepEqual([ann2.id, bob2.id], [ann.id, bob.id]);
    const annNow = await waitFor("Ann's state on A", () => ann2.state.players?.get(ann.id));
    assert.equal(annNow.score, 1);
    const exit = await b.exited;
    const exitMs = Date.now() - termAt;
    assert.equal(exit.code, 0);
    assert.ok(exitMs < 10_000, `the drained process exits well before its 30 s deadline (after ${exitMs} ms)`);
    assert.ok(b.logs.some((l) => l.msg === "match handed over"));
    console.log(`# SIGTERM to both players back: ${backMs} ms; old process exited after ${exitMs} ms`);
  });

  it("a deploy with no other process alive drains as before: the round plays on to the deadline, then 4100", async () => {
    const b = await start({ SHUTDOWN_DEADLINE_SECONDS: "1" });
    const [ann] = await matchOn(b);
    const closes: number[] = [];
    ann.room.onLeave((code) => {
      closes.push(code);
    });
    b.child.kill("SIGTERM");
    assert.equal((await b.exited).code, 0);
    await waitFor("Ann's socket closed", () => closes.length > 0);
    assert.deepEqual(closes, [4100], "SERVER_DRAINING: find another room");
    assert.ok(!b.logs.some((l) => l.msg === "match handed over"));
    assert.equal(await snapshotOf(ann.room.roomId), null, "a match that ended here leaves no snapshot");
  });

  it("a private match keeps its join code across a handover, and frees it when it really ends", async () => {
    const b = await start();
    const created = await request(b.endpoint, "POST", "/api/private-rooms", { name: "Ann", protocol: PROTOCOL_VERSION });
    assert.equal(created.status, 201);
    const { code } = created.body;
    const ann = track(await new Client(b.endpoint).consumeSeatReservation(created.body.seat, ArenaState));
    const a = await start();
    await settledSnapshot(ann);
    b.child.kill("SIGTERM");
    const ann2 = await comeBack(ann, a, undefined, 5000);
    assert.equal(ann2.room.roomId, ann.room.roomId);
    const seat = await request(a.endpoint, "POST", `/api/private-rooms/${code}/seats`, { name: "Bob", protocol: PROTOCOL_VERSION });
    assert.equal(seat.status, 200, "the code still finds the match");
    assert.equal(seat.body.seat.roomId, ann.room.roomId);
    const bob = track(await new Client(a.endpoint).consumeSeatReservation(seat.body.seat, ArenaState));
    assert.deepEqual(
      (await listing(a)).filter((r) => r.roomId === ann.room.roomId),
      [],
      "still private: not listed",
    );
    await Promise.all([ann2.leave(), bob.leave()]);
    await waitFor(
      "the code freed with the match",
      async () => (await request(a.endpoint, "POST", `/api/private-rooms/${code}/seats`, { name: "Cleo", protocol: PROTOCOL_VERSION })).status === 404,
    );
    assert.equal(await snapshotOf(ann.room.roomId), null, "and its snapshot deleted");
    // A restored player counted in when back, out when gone: the process's count ends at 0, not below.
    assert.equal((await request(a.endpoint, "GET", "/api/health")).body.clients, 0);
  });

  it("a process whose match was taken over while it still ran (cut off from Redis) stops it and sends its players to the new owner", async () => {
    const { a, b, ann, bob } = await scoredMatch();
    const roomId = ann.room.roomId;
    const closes: number[] = [];
    ann.room.onLeave((code) => {
      closes.push(code);
    });
    // B still runs the match, but in Redis it is no longer B's: let go, as a process cut off
    // from Redis past its lease would find it taken. A is told, as after a handover, and takes it.
    await cluster.redis.hset(`arena:match:${roomId}`, "owner", "");
    await cluster.redis.publish("arena:handover", JSON.stringify(roomId));
    await waitFor("B's next write refused: its players closed with 4010", () => closes.length > 0, 5000);
    assert.deepEqual(closes, [4010]);
    assert.ok(b.logs.some((l) => l.msg === "another process has taken this match over" && l.roomId === roomId));
    assert.equal(b.child.exitCode, null, "B itself runs on");
    const [ann2] = await Promise.all([comeBack(ann, a), comeBack(bob, a)]);
    assert.equal(ann2.room.roomId, roomId);
    const annNow = await waitFor("Ann's state on A", () => ann2.state.players?.get(ann.id));
    assert.equal(annNow.score, 1);
    assert.deepEqual(
      (await listing(a)).filter((r) => r.roomId === roomId).map((r) => r.processId),
      [a.processId],
    );
  });

  it("players behind one address, retrying while their match moves, are not locked out by the joins limit", async () => {
    const limited = { RATE_JOINS_PER_MINUTE: "6" }; // Ann's create and Bob's join, then one reconnection each: 4
    const b = await start(limited);
    const [ann, bob] = await matchOn(b);
    const a = await start(limited);
    await settledSnapshot(ann);
    b.child.kill("SIGKILL");
    // Every 10 ms: hundreds of "match_migrating" answers between them before the match is up.
    const [ann2, bob2] = await Promise.all([comeBack(ann, a), comeBack(bob, a)]);
    assert.deepEqual([ann2.id, bob2.id], [ann.id, bob.id]);
  });

  it("two survivors race to restore the same match: exactly one does", async () => {
    const b = await start();
    const [ann, bob] = await matchOn(b);
    const a = await start();
    const c = await start();
    await settledSnapshot(ann);
    const roomId = ann.room.roomId;
    b.child.kill("SIGKILL");
    await Promise.all([comeBack(ann, a), comeBack(bob, c)]);
    // Both scanned for orphans every second meanwhile; give them a few more.
    await new Promise((r) => setTimeout(r, 3000));
    const restored = restoredLogs(roomId);
    assert.equal(restored.length, 1, "restored once");
    const rows = (await listing(a)).filter((r) => r.roomId === roomId);
    assert.equal(rows.length, 1);
    assert.ok([a.processId, c.processId].includes(rows[0].processId));
  });

  it("a token that rotated just before the crash still gets its player in", async () => {
    const b = await start();
    const [ann, bob] = await matchOn(b);
    const a = await start();
    const oldToken = ann.room.reconnectionToken;
    let reconnected = false;
    ann.room.reconnection.enabled = true;
    Object.assign(ann.room.reconnection, { minUptime: 0, delay: 100, minDelay: 100 });
    ann.room.onReconnect(() => {
      reconnected = true;
    });
    ann.room.send("__test:drop");
    // The SDK takes the new token just after its onReconnect.
    const rotated: string = await waitFor(
      "Ann reconnected (token rotated)",
      () => (reconnected && ann.room.reconnectionToken !== oldToken ? ann.room.reconnectionToken : null),
      8000,
    );
    ann.room.reconnection.enabled = false;
    const snapshot = await waitFor("the rotated token in the snapshot", async () => {
      const s = await snapshotOf(ann.room.roomId);
      return s?.seats.find((seat) => seat.sessionId === ann.id)?.tokens[0] === rotated.split(":")[1] ? s : null;
    });
    assert.deepEqual(
      snapshot.seats.find((seat) => seat.sessionId === ann.id)!.tokens,
      [rotated, oldToken].map((t) => t.split(":")[1]),
    );
    b.child.kill("SIGKILL");
    // As if the new token never reached Ann: the one she came back with still works.
    const ann2 = await comeBack(ann, a, oldToken);
    assert.equal(ann2.id, ann.id);
    await comeBack(bob, a);
  });

  it("hostile: no seat without its token, no other room's or rotated-out token, no forged snapshot; a dropped player keeps only what was left of its grace", async () => {
    const b = await start();
    const [ann, bob, carl] = await matchOn(b, "Carl");
    const a = await start();
    const roomId = ann.room.roomId;
    // A token rotated out: Bob drops and comes back twice (tokens t0 -> t1 -> t2; the snapshot holds t2 and t1).
    const t0 = bob.room.reconnectionToken;
    let bobRoom = bob.room;
    for (let i = 0; i < 2; i++) {
      const before = bobRoom.reconnectionToken;
      bobRoom.send("__test:drop");
      await waitFor("Bob's drop seen", () => ann.state.players.get(bob.id)?.connected === false);
      bobRoom = await waitFor("Bob back", async () => new Client(b.endpoint).reconnect(before, ArenaState));
      track(bobRoom);
    }
    // Carl drops for good; his grace runs from now.
    carl.room.send("__test:drop");
    const carlDroppedAt = Date.now();
    await waitFor("Carl's seat held", () => ann.state.players.get(carl.id)?.connected === false);
    // Another room's token.
    const dora = track(await new Client(b.endpoint).create("arena", { name: "Dora", protocol: PROTOCOL_VERSION }, ArenaState));
    const foreignToken = `${roomId}:${dora.room.reconnectionToken.split(":")[1]}`;
    // Forged snapshots: garbage, and a valid-looking one stored under another room's key.
    const valid = await settledSnapshot(ann);
    await cluster.redis.hset("arena:match:forged1", "owner", "deadprocess", "snapshot", "{not json");
    await cluster.redis.hset("arena:match:forged2", "owner", "deadprocess", "snapshot", JSON.stringify(valid));
    await cluster.redis.sadd("arena:matches", "forged1", "forged2");
    await new Promise((r) => setTimeout(r, 2500)); // Carl's grace has run 2.5 s when the process dies
    b.child.kill("SIGKILL");
    await waitFor("restored on A", async () => (await listing(a)).some((r) => r.roomId === roomId && r.processId === a.processId), 10_000);

    // Held seats count as players in the listing (and toward capacity) before anyone is back.
    const [row] = (await listing(a)).filter((r) => r.roomId === roomId);
    assert.equal(row.players, 3, "Ann, Bob and Carl's held seats");
    // A direct WebSocket connection with Ann's (public) session id and no token: a real
    // seat reservation of the room (Eve's), with Ann's session id put in its place.
    const eveSeat = (await request(a.endpoint, "POST", `/matchmake/joinById/${roomId}`, { name: "Eve", protocol: PROTOCOL_VERSION })).body;
    assert.equal(typeof eveSeat.sessionId, "string", JSON.stringify(eveSeat));
    await assert.rejects(new Client(a.endpoint).consumeSeatReservation({ ...eveSeat, sessionId: ann.id }, ArenaState), "Ann's seat by her session id alone");
    const eve = track(await new Client(a.endpoint).consumeSeatReservation(eveSeat, ArenaState));
    assert.equal(eve.id, eveSeat.sessionId, "the same reservation, unaltered, seats Eve: only the session id made the difference");
    await assert.rejects(new Client(a.endpoint).reconnect(foreignToken, ArenaState), "another room's token");
    await assert.rejects(new Client(a.endpoint).reconnect(t0, ArenaState), "a token rotated out");
    // The real players still get in.
    const ann2 = await comeBack(ann, a);
    await comeBack({ room: bobRoom } as TestPlayer, a);
    // Carl is held (disconnected) only for what was left of his grace.
    assert.equal(ann2.state.players.get(carl.id)?.connected, false);
    await waitFor("Carl's seat released", () => !ann2.state.players.has(carl.id), 10_000);
    const heldMs = Date.now() - carlDroppedAt;
    assert.ok(
      heldMs < (GRACE_SECONDS + 1.5) * 1000,
      `Carl's seat went ${heldMs} ms after his drop (grace ${GRACE_SECONDS} s), not a fresh grace from the restore`,
    );
    await assert.rejects(new Client(a.endpoint).reconnect(carl.room.reconnectionToken, ArenaState), "Carl's token after his grace");
    // The forged snapshots were refused and removed; nothing was restored twice.
    assert.equal(await cluster.redis.exists("arena:match:forged1", "arena:match:forged2"), 0);
    assert.equal(procs.flatMap((p) => p.logs).filter((l) => l.msg === "refused a malformed match snapshot").length, 2, "each forged snapshot refused once");
    assert.equal(restoredLogs(roomId).length, 1);
    assert.equal(restoredLogs("forged2").length, 0);
  });
});
