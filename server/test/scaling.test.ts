import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client, type Room } from "@colyseus/sdk";
import { Redis } from "ioredis";
import { ArenaState, CloseCode, DEFAULT_MODE, PROTOCOL_VERSION } from "@arena/shared";
import { openRoomsKey } from "../src/matchmaking/OpenRoomIndex.ts";
import { type ArenaRoomClient, freePort, redisSkipReason, request, type ServerProcess, spawnServer, TestPlayer, useDatabase, waitFor } from "@arena/testkit";

const skip = await redisSkipReason();
if (skip) console.log(`# skipping the multi-process scaling tests: ${skip}`);

/** This file's own database on the shared Redis. */
const DB = 11;
const CAPACITY = 8;
const FAILED_JOINS = 4;
const me = { name: "Ann", protocol: PROTOCOL_VERSION };

describe("several processes sharing Redis", { skip }, () => {
  let db: Awaited<ReturnType<typeof useDatabase>>;
  const procs: ServerProcess[] = [];
  const ids = new Map<ServerProcess, string>();
  const players: TestPlayer[] = [];
  let a: ServerProcess;
  let b: ServerProcess;

  /**
   * Match migration is off here (MATCH_SNAPSHOT_MS=0): these tests pin what
   * happens to a process's rooms without it (the sweep delists them, a drain
   * closes them with 4100), as an operator who turns it off gets.
   * server/test/migration.test.ts covers the same faults with it on.
   */
  async function start(): Promise<ServerProcess> {
    const port = await freePort();
    const proc = await spawnServer({
      MATCH_SNAPSHOT_MS: "0",
      PORT: String(port),
      PUBLIC_ADDRESS: `127.0.0.1:${port}`,
      REDIS_URL: db.url,
      ROOM_CAPACITY: String(CAPACITY),
      RATE_JOINS_PER_MINUTE: "100000",
      RATE_CONNECTIONS_PER_MINUTE: "100000",
      RATE_CREATES_PER_MINUTE: "100000",
      RATE_CODE_LOOKUPS_PER_MINUTE: "1000",
      RATE_FAILED_JOINS_PER_HOUR: String(FAILED_JOINS),
      SHUTDOWN_DEADLINE_SECONDS: "1",
      MAX_SOCKETS_PER_ADDRESS: "100000",
      ENABLE_TEST_HOOKS: "1",
    });
    procs.push(proc);
    ids.set(proc, (await request(proc.endpoint, "GET", "/api/health")).body.processId);
    return proc;
  }

  async function join(via: ServerProcess, name: string, method: "joinOrCreate" | "create" = "joinOrCreate"): Promise<TestPlayer> {
    const room = await new Client(via.endpoint)[method]("arena", { name, protocol: PROTOCOL_VERSION }, ArenaState);
    const player = new TestPlayer(room as ArenaRoomClient);
    players.push(player);
    return player;
  }

  /** Creates rooms through `via` (one player each) until `on` hosts one; returns that player. */
  async function roomOn(on: ServerProcess, via: ServerProcess, name: string): Promise<TestPlayer> {
    for (let attempt = 0; attempt < 12; attempt++) {
      const player = await join(via, name, "create");
      const owner = await waitFor("listed", async () => (await listing(via)).find((r) => r.roomId === player.room.roomId)?.processId);
      if (owner === ids.get(on)) return player;
    }
    throw new Error("rooms never landed on that process");
  }

  /** Each quick-play seat (an HTTP answer) taken by a client of its own, on the process (A or B) that holds it. */
  const takeSeats = (answers: { body: any }[]) =>
    Promise.all(
      answers.map((r) => new Client(r.body.processId === ids.get(a) ? a.endpoint : b.endpoint).consumeSeatReservation<ArenaState>(r.body, ArenaState)),
    );

  const listing = async (via: ServerProcess) =>
    (await request(via.endpoint, "GET", "/api/rooms")).body.rooms as { roomId: string; processId: string; players: number }[];

  async function leaveAll(): Promise<void> {
    await Promise.all(players.splice(0).map((p) => p.leave()));
    await waitFor("no rooms left", async () => (await listing(a)).length === 0, 10_000);
  }

  before(async () => {
    db = await useDatabase(DB);
    a = await start();
    b = await start();
  });
  after(async () => {
    await Promise.all(players.map((p) => p.leave()));
    await Promise.all(procs.map((p) => p.stop()));
    await db.flush();
  });

  it("a seat reserved through one process lands in a room on the other, and the client plays there", async () => {
    const first = await join(a, "First");
    const host = await waitFor("the room's process", async () => (await listing(a)).find((r) => r.roomId === first.room.roomId)?.processId);
    const other = host === ids.get(a) ? b : a;
    const second = await join(other, "Second");
    assert.equal(second.room.roomId, first.room.roomId, "quick play through the other process found the room");
    await waitFor("each to see the other", () => first.state.players.has(second.id));
    second.controls.moveX = 1;
    second.controls.moveY = 1;
    second.play();
    const start = first.state.players.get(second.id)!;
    const x0 = start.x,
      y0 = start.y;
    await waitFor("the first player to see the second move", () => {
      const p = first.state.players.get(second.id)!;
      return p.x !== x0 || p.y !== y0;
    });
    await leaveAll();
  });

  it("each process's lobby lists the rooms of all", async () => {
    const lobby = await new Client(a.endpoint).joinOrCreate("lobby");
    const listed = new Map<string, { processId: string }>();
    lobby.onMessage("rooms", (rooms: { roomId: string; processId: string }[]) => {
      for (const r of rooms) listed.set(r.roomId, r);
    });
    lobby.onMessage("+", ([roomId, room]: [string, { processId: string }]) => {
      listed.set(roomId, room);
    });
    lobby.onMessage("-", (roomId: string) => {
      listed.delete(roomId);
    });
    try {
      await roomOn(a, b, "R1");
      await roomOn(b, b, "R2");
      await waitFor("rooms of both processes in A's lobby", () => {
        const owners = new Set([...listed.values()].map((r) => r.processId));
        return owners.has(ids.get(a)!) && owners.has(ids.get(b)!);
      });
    } finally {
      await lobby.leave();
      await leaveAll();
    }
  });

  it(`1,000 concurrent quick-play joins with capacity ${CAPACITY} fill exactly 125 rooms, none over capacity`, async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 1000 }, (_, i) =>
        new Client((i % 2 ? a : b).endpoint).joinOrCreate("arena", { name: `p${i}`, protocol: PROTOCOL_VERSION }, ArenaState),
      ),
    );
    const rooms = results.flatMap((r) => (r.status === "fulfilled" ? [r.value as Room<any, ArenaState>] : []));
    const errors = results.flatMap((r) => (r.status === "rejected" ? [`${r.reason?.code} ${r.reason?.message}`] : []));
    try {
      assert.deepEqual(errors, []);
      const perRoom = new Map<string, number>();
      for (const room of rooms) perRoom.set(room.roomId, (perRoom.get(room.roomId) ?? 0) + 1);
      assert.equal(perRoom.size, 125);
      assert.deepEqual(new Set(perRoom.values()), new Set([CAPACITY]));
      const listed = await listing(b);
      assert.equal(listed.length, 125);
      assert.ok(listed.every((r) => r.players <= CAPACITY));
      const perProcess = new Map<string, number>();
      for (const r of listed) perProcess.set(r.processId, (perProcess.get(r.processId) ?? 0) + 1);
      assert.equal(perProcess.size, 2, "rooms spread over both processes");
      assert.ok(Math.min(...perProcess.values()) >= 40, `rooms per process: ${[...perProcess.values()].join(", ")}`);
    } finally {
      await Promise.all(rooms.map((r) => r.leave().catch(() => {})));
      await waitFor("no rooms left", async () => (await listing(a)).length === 0, 20_000);
    }
  });

  it("the index of rooms with a free seat (what lets quick play skip the turn) follows the listings: in while a seat is free, out when full, back when a player leaves, out when the room goes", async () => {
    const open = () => db.indexed(openRoomsKey(DEFAULT_MODE));
    const first = await join(a, "I0", "create");
    const roomId = first.room.roomId;
    try {
      await waitFor("the room in the index", async () => (await open()).includes(roomId));
      // Quick play through the other process fills it: the only room with free seats.
      const others: TestPlayer[] = [];
      for (let i = 1; i < CAPACITY; i++) others.push(await join(b, `I${i}`));
      assert.ok(others.every((p) => p.room.roomId === roomId));
      await waitFor("the full room out of the index", async () => !(await open()).includes(roomId));
      await others[0].leave();
      players.splice(players.indexOf(others[0]), 1);
      await waitFor("back in the index once a player left", async () => (await open()).includes(roomId));
    } finally {
      await leaveAll();
    }
    await waitFor("the disposed room out of the index", async () => !(await open()).includes(roomId));
    assert.deepEqual(await open(), []);
  });

  it("a process killed with open rooms: a burst right after is seated exactly on the live processes, nobody in a dead room", async () => {
    const c = await start();
    // Rooms on C with free seats, still listed when it dies.
    const onC = [await roomOn(c, a, "C1"), await roomOn(c, b, "C2")];
    const cId = ids.get(c)!;
    c.child.kill("SIGKILL");
    await c.exited;
    for (const p of onC) players.splice(players.indexOf(p), 1);
    assert.ok(
      (await listing(a)).some((r) => r.processId === cId),
      "C's rooms still listed (the sweep has not run yet)",
    );
    const others = (await listing(a)).filter((r) => r.processId !== cId);
    const seated = others.reduce((n, r) => n + r.players, 0);

    const answers = await Promise.all(
      Array.from({ length: 400 }, (_, i) =>
        request((i % 2 ? a : b).endpoint, "POST", "/matchmake/joinOrCreate/arena", { name: `k${i}`, protocol: PROTOCOL_VERSION }),
      ),
    );
    const rooms: Room<any, ArenaState>[] = [];
    try {
      assert.deepEqual(
        answers.filter((r) => r.status !== 200).map((r) => [r.status, r.body]),
        [],
      );
      assert.deepEqual(
        answers.filter((r) => r.body.processId === cId).map((r) => r.body.roomId),
        [],
        "no seat in a dead process's room",
      );
      // The seats are real: every one is taken by a client.
      rooms.push(...(await takeSeats(answers)));
      const perRoom = new Map<string, number>();
      for (const room of rooms) perRoom.set(room.roomId, (perRoom.get(room.roomId) ?? 0) + 1);
      const listed = (await listing(a)).filter((r) => r.processId !== cId);
      assert.ok(
        listed.every((r) => r.players <= CAPACITY),
        JSON.stringify(listed),
      );
      // Exactly filled: the players already seated plus the burst, in as few rooms as capacity allows.
      assert.equal(listed.length, Math.ceil((seated + 400) / CAPACITY), JSON.stringify([...perRoom.values()]));
    } finally {
      await Promise.all(rooms.map((r) => r.leave().catch(() => {})));
      procs.splice(procs.indexOf(c), 1);
      await leaveAll();
    }
  });

  it("a process killed between the two halves of a burst: every join gets a seat, none of the second half in the dead process's rooms", async () => {
    const c = await start();
    const cId = ids.get(c)!;
    const wave = (from: number) =>
      Promise.all(
        Array.from({ length: 500 }, (_, i) =>
          request((i % 2 ? a : b).endpoint, "POST", "/matchmake/joinOrCreate/arena", { name: `m${from + i}`, protocol: PROTOCOL_VERSION }),
        ),
      );
    const first = await wave(0);
    const onC = first.filter((r) => r.body.processId === cId).length;
    c.child.kill("SIGKILL");
    await c.exited;
    procs.splice(procs.indexOf(c), 1);
    // C's rooms, half full of the first half's seats, are still listed: the sweep has not run.
    const second = await wave(500);
    const rooms: Room<any, ArenaState>[] = [];
    try {
      assert.ok(onC > 0, "C hosted part of the first half");
      assert.deepEqual(
        [...first, ...second].filter((r) => r.status !== 200).map((r) => [r.status, r.body]),
        [],
      );
      assert.deepEqual(
        second.filter((r) => r.body.processId === cId).map((r) => r.body.roomId),
        [],
        "no seat in a dead process's room",
      );
      // The seats on live processes are real: each is taken by a client; no live room is over capacity.
      const live = [...first, ...second].filter((r) => r.body.processId !== cId);
      rooms.push(...(await takeSeats(live)));
      const listed = (await listing(a)).filter((r) => r.processId !== cId);
      assert.ok(
        listed.every((r) => r.players <= CAPACITY),
        JSON.stringify(listed),
      );
      // Exactly filled: the live players in as few rooms as capacity allows.
      assert.equal(listed.length, Math.ceil(live.length / CAPACITY));
      console.log(`# ${onC} seats of the first half on C before it died; ${live.length} players in ${listed.length} live rooms`);
    } finally {
      await Promise.all(rooms.map((r) => r.leave().catch(() => {})));
      await waitFor("no live rooms left", async () => (await listing(a)).every((r) => r.processId === cId), 15_000);
    }
  });

  // Before the test that spends this address's failed joins: a join by id is refused once they are spent.
  it("while quick play waits for the cluster's turn, private rooms, seats by code, joins by id and reconnections are answered at once", async () => {
    // A reconnection to have ready: a player whose connection the server cuts, its seat held.
    const dropped = await join(a, "Dropped", "create");
    const token = dropped.room.reconnectionToken;
    dropped.room.reconnection.enabled = false;
    dropped.room.send("__test:drop");
    await waitFor("the socket cut", () => !dropped.room.connection.isOpen);
    const open = await join(b, "Open", "create");

    // Another process holds the turn for 3 s (a slow decision, a stalled peer).
    const redis = new Redis(db.url);
    await redis.set("arena:quickplay:lock", "someone-else", "PX", 3000);
    let quickAnswered = false;
    const quick = request(a.endpoint, "POST", "/matchmake/joinOrCreate/arena", me).finally(() => {
      quickAnswered = true;
    });
    try {
      // Each is answered while the quick play sent before it still waits for the turn.
      const first = async <T>(work: () => Promise<T>) => {
        const value = await work();
        return { value, beforeQuickPlay: !quickAnswered };
      };
      const created = await first(() => request(a.endpoint, "POST", "/api/private-rooms", me));
      assert.equal(created.value.status, 201);
      const byCode = await first(() =>
        request(b.endpoint, "POST", `/api/private-rooms/${created.value.body.code}/seats`, { name: "Bob", protocol: PROTOCOL_VERSION }),
      );
      assert.equal(byCode.value.status, 200);
      const byId = await first(() => request(a.endpoint, "POST", `/matchmake/joinById/${open.room.roomId}`, me));
      assert.equal(byId.value.status, 200);
      const back = await first(() => new Client(a.endpoint).reconnect(token, ArenaState));
      assert.equal(back.value.sessionId, dropped.id);
      players.splice(players.indexOf(dropped), 1);
      players.push(new TestPlayer(back.value as ArenaRoomClient));
      assert.deepEqual(
        Object.entries({ created, byCode, byId, back })
          .filter(([, t]) => !t.beforeQuickPlay)
          .map(([what]) => what),
        [],
        "answered only after quick play",
      );
      const answer = await quick;
      assert.equal(answer.status, 200, "quick play is seated once the turn is free");
      const guest = await new Client(b.endpoint).consumeSeatReservation(byCode.value.body.seat, ArenaState);
      const host = await new Client(a.endpoint).consumeSeatReservation(created.value.body.seat, ArenaState);
      const third = await new Client(a.endpoint).consumeSeatReservation(byId.value.body, ArenaState);
      const quickPlayer = await new Client(a.endpoint).consumeSeatReservation(answer.body, ArenaState);
      players.push(...[guest, host, third, quickPlayer].map((r) => new TestPlayer(r as ArenaRoomClient)));
    } finally {
      await quick.catch(() => {});
      redis.disconnect();
      await leaveAll();
    }
  });

  it("a private room's code resolves from any process; wrong codes count across processes", async () => {
    const created = await request(a.endpoint, "POST", "/api/private-rooms", me);
    assert.equal(created.status, 201);
    const seat = await request(b.endpoint, "POST", `/api/private-rooms/${created.body.code}/seats`, { name: "Bob", protocol: PROTOCOL_VERSION });
    assert.equal(seat.status, 200);
    assert.equal(seat.body.seat.roomId, created.body.seat.roomId);
    const host = await new Client(a.endpoint).consumeSeatReservation(created.body.seat, ArenaState);
    const guest = await new Client(b.endpoint).consumeSeatReservation(seat.body.seat, ArenaState);
    players.push(new TestPlayer(host as ArenaRoomClient), new TestPlayer(guest as ArenaRoomClient));
    await waitFor("both in the private room", () => host.state.players.size === 2);

    const guess = (via: ServerProcess, code: string) => request(via.endpoint, "POST", `/api/private-rooms/${code}/seats`, me);
    const statuses = [];
    for (let i = 0; i < FAILED_JOINS + 1; i++) statuses.push((await guess(i % 2 ? a : b, `ZZZZZ${"23456789"[i]}`)).status);
    assert.deepEqual(statuses, [...Array(FAILED_JOINS).fill(404), 429]);
    await leaveAll();
  });

  it("SIGKILL of a process: its rooms leave every listing and lobby within 10 s; the other's players notice nothing", async () => {
    // A room on each process, with a player in each; B dies.
    const survivor = await roomOn(a, a, "OnA");
    const doomed = await roomOn(b, a, "OnB");
    const deadProc = b;
    const liveProc = a;
    const lobby = await new Client(liveProc.endpoint).joinOrCreate("lobby");
    const listed = new Set<string>();
    lobby.onMessage("rooms", (rooms: { roomId: string }[]) => {
      for (const r of rooms) listed.add(r.roomId);
    });
    lobby.onMessage("+", ([roomId]: [string]) => {
      listed.add(roomId);
    });
    lobby.onMessage("-", (roomId: string) => {
      listed.delete(roomId);
    });
    await waitFor("the lobby to list both", () => listed.has(survivor.room.roomId) && listed.has(doomed.room.roomId));
    let survivorClosed = false;
    survivor.room.onLeave(() => {
      survivorClosed = true;
    });
    survivor.controls.moveX = 1;
    survivor.play();

    const killedAt = Date.now();
    deadProc.child.kill("SIGKILL");
    assert.ok((await db.indexed(openRoomsKey(DEFAULT_MODE))).includes(doomed.room.roomId), "a free seat: in the index");
    await waitFor(
      "the dead process's room to leave the listing, the lobby and the index of rooms with free seats",
      async () =>
        !(await listing(liveProc)).some((r) => r.roomId === doomed.room.roomId) &&
        !listed.has(doomed.room.roomId) &&
        !(await db.indexed(openRoomsKey(DEFAULT_MODE))).includes(doomed.room.roomId),
      10_000,
    );
    const delistedMs = Date.now() - killedAt;
    assert.ok(delistedMs < 10_000, `delisted in ${delistedMs} ms`);
    console.log(`# dead process delisted in ${delistedMs} ms`);

    const patches = survivor.patches;
    await waitFor("the survivor's room to keep running", () => survivor.patches > patches + 10);
    assert.equal(survivorClosed, false);
    for (let i = 0; i < 6; i++) {
      const res = await request(liveProc.endpoint, "POST", "/matchmake/create/arena", me);
      assert.equal(res.status, 200);
      assert.equal(res.body.processId, ids.get(liveProc), "new rooms only on the live process");
      const room = await new Client(liveProc.endpoint).consumeSeatReservation(res.body, ArenaState);
      players.push(new TestPlayer(room as ArenaRoomClient));
    }
    await lobby.leave();
    players.splice(players.indexOf(doomed), 1);
    await leaveAll();
  });

  it("SIGTERM drains a process and the listings follow", async () => {
    const drained = await start();
    const stayer = a;
    const player = await roomOn(drained, drained, "Drained");
    const ownerOf = async () => (await listing(stayer)).find((r) => r.roomId === player.room.roomId)?.processId;
    let code = 0;
    player.room.onLeave((c) => {
      code = c;
    });
    drained.child.kill("SIGTERM");
    await waitFor("the player closed", () => code !== 0, 5000);
    assert.equal(code, CloseCode.SERVER_DRAINING);
    assert.deepEqual(await drained.exited, { code: 0, signal: null });
    assert.equal(await ownerOf(), undefined);
    players.splice(players.indexOf(player), 1);
  });
});
