import assert from "node:assert/strict";
import net from "node:net";
import { after, afterEach, before, describe, it } from "node:test";
import { initializeRoomCache, type IRoomCache } from "@colyseus/core";
import { Client } from "@colyseus/sdk";
import { ArenaState, DEFAULT_MODE, PROTOCOL_VERSION, ROOM_NAME } from "@arena/shared";
import { RedisDriver } from "@colyseus/redis-driver";
import { IndexedRedisDriver, openRoomsKey } from "../src/matchmaking/OpenRoomIndex.ts";
import { Redis } from "ioredis";
import {
  type ArenaRoomClient,
  freePort,
  redisSkipReason,
  request,
  type ServerProcess,
  spawnServer,
  TcpProxy,
  TestPlayer,
  useDatabase,
  waitFor,
} from "@arena/testkit";

/** A proxy to Redis that, once told, passes the first answer line of Redis's next chunk, then drops the connection (a network blip in mid-batch). */
class CuttingProxy {
  cuts = 0;
  #armed = false;
  private constructor(readonly server: net.Server) {}

  static async start(redisUrl: string): Promise<CuttingProxy> {
    const { hostname, port } = new URL(redisUrl);
    const server = net.createServer();
    const proxy = new CuttingProxy(server);
    server.on("connection", (client) => {
      const upstream = net.connect(Number(port || 6379), hostname);
      for (const socket of [client, upstream]) socket.on("error", () => {});
      client.pipe(upstream);
      upstream.on("data", (chunk: Buffer) => {
        if (!proxy.#armed) return void client.write(chunk);
        proxy.#armed = false;
        proxy.cuts++;
        client.write(chunk.subarray(0, chunk.indexOf("\r\n") + 2), () => {
          client.destroy();
          upstream.destroy();
        });
      });
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  cutAfterFirstAnswer(): void {
    this.#armed = true;
  }

  close(): void {
    this.server.close();
  }
}

/** Empties a test database between tests. */
async function redisFlush(url: string): Promise<void> {
  const redis = new Redis(url);
  try {
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

const skip = await redisSkipReason();
if (skip) console.log(`# skipping the open-room index tests: ${skip}`);

/** This file's own database on the shared Redis. */
const DB = 15;
const CAPACITY = 8;

/** Commands MONITOR sees on this file's database, the scripts' own left out: each as its arguments, the command first. */
async function watchCommands(url: string): Promise<{ sent: string[][]; stop(): void }> {
  const monitor = await new Redis(url).monitor();
  const sent: string[][] = [];
  monitor.on("monitor", (_time: string, args: string[], source: string, database: string) => {
    if (Number(database) === DB && source !== "lua") sent.push(args);
  });
  return { sent, stop: () => monitor.disconnect() };
}

/** A listing row as core writes it for an arena room of `processId` with `clients` players. */
function listing(roomId: string, processId: string, clients: number): IRoomCache {
  return initializeRoomCache({
    name: ROOM_NAME,
    roomId,
    processId,
    clients,
    maxClients: CAPACITY + 2,
    locked: false,
    private: false,
    mode: DEFAULT_MODE,
    metadata: { mode: DEFAULT_MODE, capacity: CAPACITY, spectators: 0, maxSpectators: 2 },
  } as Partial<IRoomCache>);
}

/**
 * The index of rooms with a free seat, against a real Redis: each process's
 * driver writes it beside the listings, so what a driver does to one room
 * must not undo what another process's driver did to it since.
 */
describe("IndexedRedisDriver, the index of rooms with a free seat", { skip }, () => {
  let db: Awaited<ReturnType<typeof useDatabase>>;
  const drivers: IndexedRedisDriver[] = [];
  const driver = () => {
    const made = new IndexedRedisDriver(db.url);
    drivers.push(made);
    return made;
  };

  before(async () => {
    db = await useDatabase(DB);
  });
  after(async () => {
    await Promise.all(drivers.map((d) => d.shutdown()));
    await db.flush();
  });

  it("a dead process's clean-up leaves in the index a room another process listed again meanwhile (a match migration restores it under its id)", async () => {
    const sweeper = driver();
    const restorer = driver();
    // A room of process A with free seats, in the index.
    await sweeper.persist(listing("R", "A", 3), true);
    assert.deepEqual(await db.indexed(openRoomsKey(DEFAULT_MODE)), ["R"]);

    // A is dead. While this driver cleans A up, B restores A's match under the same room id
    // (Migration.restore: the dead owner's row removed, the new room listed), with free seats.
    const query = sweeper.query.bind(sweeper);
    let lookups = 0;
    sweeper.query = async (conditions, sort) => {
      const rows = await query(conditions, sort);
      if (++lookups === 1) {
        await restorer.remove("R");
        await restorer.persist(listing("R", "B", 3), true);
      }
      return rows;
    };
    await sweeper.cleanup("A");

    const row = await sweeper.findOne({ roomId: "R" });
    assert.equal(row?.processId, "B", "B's room is listed");
    assert.ok((await sweeper.freeSeats(DEFAULT_MODE, 8)) > 0, "B's room has free seats: quick play must not make new rooms past it");
    assert.deepEqual(await db.indexed(openRoomsKey(DEFAULT_MODE)), ["R"]);
  });

  it("a query naming a room id reads that row alone (the lobby asks so at every room change), and answers as core's driver does", async () => {
    const indexed = driver();
    const plain = new RedisDriver(db.url);
    try {
      await indexed.persist(listing("R1", "A", 3), true);
      await indexed.persist(listing("R2", "B", 5), true);
      const cases: Partial<IRoomCache>[] = [
        { roomId: "R1" },
        { roomId: "R2", processId: "B" },
        { roomId: "R2", processId: "A" },
        { roomId: "R1", mode: DEFAULT_MODE } as Partial<IRoomCache>,
        { roomId: "R1", mode: "teams" } as Partial<IRoomCache>,
        { roomId: "gone" },
      ];
      for (const conditions of cases) assert.deepEqual(await indexed.query(conditions), await plain.query(conditions), JSON.stringify(conditions));
      assert.deepEqual(
        (await indexed.query({ roomId: "R1" })).map((r) => [r.roomId, r.clients]),
        [["R1", 3]],
      );
      // What the driver sends Redis for it, seen by MONITOR on this database alone: no read of every listing.
      const watch = await watchCommands(db.url);
      const sent = () => watch.sent.map((args) => args.join(" ").toLowerCase());
      try {
        await indexed.query({ roomId: "R2" });
        await indexed.query({ processId: "A" });
        await waitFor("MONITOR to show both queries", async () => sent().some((c) => c.startsWith("hgetall")) || undefined, 5000);
      } finally {
        watch.stop();
      }
      assert.deepEqual(
        sent().filter((c) => c.startsWith("hmget") || c.startsWith("hgetall")),
        ["hmget roomcaches R2".toLowerCase(), "hgetall roomcaches"],
      );
    } finally {
      await plain.shutdown();
    }
  });

  it("a listing's row and its index entry leave in one write to the socket (one system call, not two)", async () => {
    const writer = driver();
    await writer.freeSeats(DEFAULT_MODE, 1); // connected
    // The driver's connection (core's RedisDriver keeps it as `_client`) and its socket's writes, as Node's Writable makes them.
    const socket = (writer as unknown as { _client: Redis })._client.stream as unknown as {
      _write(...args: unknown[]): void;
      _writev(...args: unknown[]): void;
    };
    const writes: number[] = [];
    const write = socket._write.bind(socket);
    const writev = socket._writev.bind(socket);
    socket._write = (...args) => {
      writes.push(1);
      write(...args);
    };
    socket._writev = (chunks: unknown, ...rest) => {
      writes.push((chunks as unknown[]).length);
      writev(chunks, ...rest);
    };
    const room = listing("CORKED", "A", 3);
    await writer.persist(room, true);
    await writer.update(room, { $inc: { clients: 1 } });
    assert.deepEqual(writes, [2, 2], "each write: the row and the index entry in one writev");
    assert.ok((await db.indexed(openRoomsKey(DEFAULT_MODE))).includes("CORKED"));
    await writer.remove("CORKED");
  });

  it("a room's updates in one run of the event loop (its seats reserved together) are one write of the row as the last left it; a removal or a read in that run comes after it", async () => {
    const writer = driver();
    const room = listing("BATCH", "A", 0);
    await writer.persist(room, true);
    const watch = await watchCommands(db.url);
    const sent = () => watch.sent.filter((args) => args.includes("BATCH")).map((args) => args.slice(0, 2).join(" ").toLowerCase());
    try {
      // As core's _reserveMultipleSeats: one update per seat, in one synchronous run.
      const seats = [1, 2, 3, 4, 5].map(() => writer.update(room, { $inc: { clients: 1 }, $set: { locked: false } }));
      assert.equal(room.clients, 5, "each update applied to the listing at once");
      assert.deepEqual(await Promise.all(seats), [true, true, true, true, true]);
      assert.equal((await writer.findOne({ roomId: "BATCH" }))?.clients, 5);
      const reader = new Redis(db.url);
      assert.equal(await reader.zscore(openRoomsKey(DEFAULT_MODE), "BATCH"), "3", "its index entry: 3 free seats");
      reader.disconnect();

      // An update, then a read and the removal in the same run: sent in that order (no row left behind).
      const left = writer.update(room, { $inc: { clients: -1 } });
      const read = writer.findOne({ roomId: "BATCH" });
      const removed = writer.remove("BATCH");
      assert.equal((await read)?.clients, 4, "the read sees the update made before it");
      assert.deepEqual([await left, await removed], [true, true]);
      assert.equal(await writer.findOne({ roomId: "BATCH" }), undefined);
      await waitFor("MONITOR to show the removal", async () => sent().some((c) => c.startsWith("eval")) || undefined, 5000);
      assert.deepEqual(
        sent().filter((c) => c.startsWith("hset")),
        ["hset roomcaches", "hset roomcaches"],
        "one row write for the five seats, one for the leave",
      );
    } finally {
      watch.stop();
    }
  });

  it("a room's listing removed twice at once (core's Room dispose and its matchmaker's) is one script sent, and gone", async () => {
    const writer = driver();
    await writer.persist(listing("TWICE", "A", 3), true);
    const watch = await watchCommands(db.url);
    const sent = () => watch.sent.filter((args) => args.includes("TWICE")).map((args) => args[0].toLowerCase());
    const marked = () => watch.sent.some((args) => args.includes("MARK"));
    try {
      assert.deepEqual(await Promise.all([writer.remove("TWICE"), writer.remove("TWICE")]), [true, true]);
      await writer.persist(listing("MARK", "A", 3), true); // sent after the removals on the same connection
      await waitFor("MONITOR to show the write after the removals", async () => marked() || undefined, 5000);
      assert.equal(await writer.findOne({ roomId: "TWICE" }), undefined);
      assert.equal(sent().filter((c) => c.startsWith("eval")).length, 1, `one removal script for the two calls (sent: ${sent().join(", ")})`);
      // Once answered, a later removal (a room listed again under the id, then disposed) is sent again.
      assert.equal(await writer.remove("TWICE"), false);
      await waitFor("MONITOR to show the second removal", async () => sent().length > 1 || undefined, 5000);
    } finally {
      watch.stop();
      await writer.remove("MARK");
    }
  });

  it("a row written while its removal is in flight is removed by the next removal (not answered by the one in flight), and a shutdown sends pending writes first", async () => {
    const writer = driver();
    const room = listing("AGAIN", "A", 3);
    await writer.persist(room, true);
    const first = writer.remove("AGAIN"); // sent
    const rewritten = writer.persist(room); // after it on the connection
    const second = writer.remove("AGAIN");
    assert.deepEqual(await Promise.all([first, rewritten, second]), [true, true, true]);
    assert.equal(await writer.findOne({ roomId: "AGAIN" }), undefined, "no row left behind");
    assert.ok(!(await db.indexed(openRoomsKey(DEFAULT_MODE))).includes("AGAIN"), "nor an index entry");

    const closing = new IndexedRedisDriver(db.url);
    const last = listing("LAST", "A", 3);
    await closing.persist(last, true);
    const updated = closing.update(last, { $inc: { clients: 1 } });
    await closing.shutdown();
    assert.equal(await updated, true, "the update went out before QUIT");
    assert.equal((await writer.findOne({ roomId: "LAST" }))?.clients, 4);
    await writer.remove("LAST");
  });

  it("an arena room's index entry follows its row through every write (created, seats taken and given back, locked, removed); a lobby's row is not indexed", async () => {
    await redisFlush(db.url); // the rooms of the tests before
    const writer = driver();
    const open = openRoomsKey(DEFAULT_MODE);
    const room = listing("W", "A", 7);
    await writer.persist(room, true);
    assert.deepEqual(await db.indexed(open), ["W"]);
    await writer.update(room, { $inc: { clients: 1 } });
    assert.equal(room.clients, 8, "core's operations applied to the room");
    assert.deepEqual(await db.indexed(open), [], "full: out of the index");
    await writer.update(room, { $inc: { clients: -2 } });
    assert.deepEqual(await db.indexed(open), ["W"]);
    await writer.update(room, { $set: { locked: true } });
    assert.deepEqual(await db.indexed(open), [], "locked: out of the index");
    assert.deepEqual(
      (await writer.query({ roomId: "W" })).map((r) => [r.clients, r.locked]),
      [[6, true]],
    );
    await writer.update(room, { $set: { locked: false } });
    assert.deepEqual(await db.indexed(open), ["W"]);
    assert.equal(await writer.remove("W"), true);
    assert.deepEqual(await db.indexed(open), []);
    assert.deepEqual(await writer.query({ roomId: "W" }), []);
    assert.equal(await writer.remove("W"), false, "not listed any more");

    const lobby = initializeRoomCache({ name: "lobby", roomId: "L", processId: "A", clients: 0, maxClients: 100 } as Partial<IRoomCache>);
    await writer.persist(lobby, true);
    await writer.update(lobby, { $inc: { clients: 1 } });
    assert.equal((await writer.query({ roomId: "L" }))[0]?.clients, 1);
    assert.deepEqual(await db.indexed(open), []);
  });

  it("quick play's candidates are the index's rooms, fullest first, read a page at a time row by row (no read of every listing)", async () => {
    await redisFlush(db.url);
    const reader = driver();
    const open = openRoomsKey(DEFAULT_MODE);
    await reader.persist(listing("A1", "A", 2), true); // 6 free
    await reader.persist(listing("A2", "A", 7), true); // 1 free
    await reader.persist(listing("A3", "B", 5), true); // 3 free
    await reader.persist(listing("FULL", "B", CAPACITY), true); // not indexed
    await reader.persist({ ...listing("TEAMS", "A", 1), mode: "teams", metadata: { mode: "teams", capacity: CAPACITY } } as IRoomCache, true);
    // An index entry whose row is gone (a removal from the index lost), and one whose row has no free seat now
    // (written by a driver that does not index: an older process).
    const raw = new Redis(db.url);
    try {
      await raw.zadd(open, 1, "GONE");
      await raw.zadd(open, 1, "STALE");
      await raw.hset("roomcaches", "STALE", JSON.stringify(listing("STALE", "A", CAPACITY)));
    } finally {
      raw.disconnect();
    }
    const watch = await watchCommands(db.url);
    const sent = () => watch.sent.map((args) => args[0].toLowerCase());
    try {
      const page = async (mode: string, from: number, count: number) => {
        const { rooms, read } = await reader.openRooms(mode, from, count);
        return [rooms.map((r) => r.roomId), read];
      };
      // The index, by score then id: A2 (1), GONE (1), STALE (1), A3 (3), A1 (6).
      assert.deepEqual(await page(DEFAULT_MODE, 0, 10), [["A2", "A3", "A1"], 5], "the index ended: 5 read of 10");
      assert.deepEqual(await page(DEFAULT_MODE, 0, 3), [["A2"], 3], "A2, GONE, STALE: those with no free seat listed left out");
      assert.deepEqual(await page(DEFAULT_MODE, 3, 3), [["A3", "A1"], 2]);
      assert.deepEqual(await page(DEFAULT_MODE, 5, 3), [[], 0]);
      assert.deepEqual(await page(DEFAULT_MODE, 0, 0), [[], 0]);
      assert.deepEqual(await page("teams", 0, 10), [["TEAMS"], 1]);
      await waitFor("MONITOR to show the lookups", async () => sent().filter((c) => c.startsWith("eval")).length >= 5 || undefined, 5000);
    } finally {
      watch.stop();
    }
    assert.ok(!sent().includes("hgetall"), sent().join(" "));
  });

  it("says, in the same lookup, which of its rooms have a subscriber on their channel", async () => {
    const reader = driver();
    await reader.persist(listing("LIVE", "A", 2), true);
    await reader.persist(listing("DEAD", "B", 1), true); // its process gone: nobody on its channel
    const subscriber = new Redis(db.url);
    try {
      await subscriber.subscribe("$LIVE");
      // (Other tests' rooms are in the index too, with nobody on their channels.)
      const { rooms, answering } = await reader.openRooms(DEFAULT_MODE, 0, 1000);
      assert.deepEqual(
        rooms.map((r) => r.roomId).filter((id) => id === "LIVE" || id === "DEAD"),
        ["LIVE", "DEAD"],
        "fullest first",
      );
      assert.deepEqual([...(answering ?? [])], ["LIVE"]);
      assert.deepEqual([...((await reader.openRooms(DEFAULT_MODE, 0, 0)).answering ?? [])], []);
    } finally {
      subscriber.disconnect();
    }
  });

  it("a listing write across a connection dropped after Redis's first answer lands whole, and resolves (the driver resends what was not answered)", async () => {
    const cutter = await CuttingProxy.start(db.url);
    const cutDriver = new IndexedRedisDriver(`redis://127.0.0.1:${cutter.port}/${DB}`);
    try {
      await cutDriver.has("warm-up");
      // A first write on this connection before the cut.
      await cutDriver.persist(listing("WARM", "A", 1), true);
      cutter.cutAfterFirstAnswer();
      // Two rooms' writes leave in one turn, as core's seat reservations send them.
      await Promise.all([cutDriver.persist(listing("CUT", "A", 3), true), cutDriver.persist(listing("CUT2", "A", 2), true)]);
      assert.equal(cutter.cuts, 1);
      assert.ok((await db.indexed(openRoomsKey(DEFAULT_MODE))).includes("CUT"));
      assert.ok((await db.indexed(openRoomsKey(DEFAULT_MODE))).includes("CUT2"));
      assert.equal((await driver().query({ roomId: "CUT" }))[0]?.clients, 3);
      assert.equal((await driver().query({ roomId: "CUT2" }))[0]?.clients, 2);
    } finally {
      await cutDriver.shutdown();
      cutter.close();
    }
  });
});

/**
 * Rows and index entries that outlive what they say, with a real server: a
 * row naming a live process of a room it no longer has (its removal lost,
 * or a write after it) is removed by nothing else than that process, and
 * while it says a seat is free the index does too, which sends every group
 * that would fill a room of its own to the cluster's turn instead.
 */
describe("the open-room index with a server: what an outage or a lost write leaves behind", { skip }, () => {
  const ROOM = 4;
  let db: Awaited<ReturnType<typeof useDatabase>>;
  let proxy: TcpProxy;
  let server: ServerProcess | undefined;
  const players: TestPlayer[] = [];

  const me = (name: string) => ({ name, protocol: PROTOCOL_VERSION });
  async function start(redisUrl: string): Promise<ServerProcess> {
    const port = await freePort();
    server = await spawnServer({
      MATCH_SNAPSHOT_MS: "0",
      PORT: String(port),
      PUBLIC_ADDRESS: `127.0.0.1:${port}`,
      REDIS_URL: redisUrl,
      ROOM_CAPACITY: String(ROOM),
    });
    return server;
  }
  async function join(name: string, method: "joinOrCreate" | "create" = "joinOrCreate"): Promise<TestPlayer> {
    const player = new TestPlayer((await new Client(server!.endpoint)[method]("arena", me(name), ArenaState)) as ArenaRoomClient);
    players.push(player);
    return player;
  }
  async function leave(player: TestPlayer): Promise<void> {
    players.splice(players.indexOf(player), 1);
    await player.leave();
  }
  const listed = async () =>
    ((await request(server!.endpoint, "GET", "/api/rooms")).body.rooms as { roomId: string; players: number }[]).map((r) => [r.roomId, r.players]);
  const open = () => db.indexed(openRoomsKey(DEFAULT_MODE));
  /** Quick-play seats this server gave in rooms of their own, without the cluster's turn. */
  async function ownRoomSeats(): Promise<number> {
    const text = await (await fetch(`${server!.metricsEndpoint}/metrics`)).text();
    return Number(/arena_quickplay_seats_total\{decided="own_room"\} (\d+)/.exec(text)?.[1] ?? 0);
  }
  /**
   * Three rooms' worth of quick plays at once through the server: exactly
   * three full rooms, and a room's worth at least seated in rooms of their
   * own without the cluster's turn, which none is while the index says a
   * room has a free seat.
   */
  async function groupWithoutTurn(): Promise<void> {
    const before = await ownRoomSeats();
    const burst = await Promise.all(Array.from({ length: 3 * ROOM }, (_, i) => join(`G${i}`)));
    assert.equal(new Set(burst.map((p) => p.room.roomId)).size, 3);
    assert.ok((await ownRoomSeats()) - before >= ROOM, "a room's worth seated in a room of their own, without the turn");
  }
  /** Waits for `read` to give `expected`; fails with what it gave last. */
  async function settles<T>(what: string, read: () => Promise<T>, expected: T, ms = 10_000): Promise<void> {
    let last: T | undefined;
    await waitFor(
      what,
      async () => {
        last = await read();
        return JSON.stringify(last) === JSON.stringify(expected);
      },
      ms,
    ).catch(() => assert.deepEqual(last, expected, what));
  }

  before(async () => {
    db = await useDatabase(DB);
    proxy = await TcpProxy.start(Number(new URL(db.url).port || 6379));
  });
  afterEach(async () => {
    await Promise.all(players.splice(0).map((p) => p.leave().catch(() => {})));
    await server?.stop();
    server = undefined;
    await redisFlush(db.url);
  });
  after(async () => {
    await proxy.stop();
    await db.flush();
  });

  it("Redis unreachable (connections refused) past the driver's retries (about 10 s), then back with its data: rooms are listed and indexed as they are, a room closed meanwhile goes, a room with seats again is filled first", async () => {
    await start(db.url.replace(/:\d+\//, `:${proxy.port}/`));
    // A full room, and a room with one player.
    const full: TestPlayer[] = [];
    for (let i = 0; i < ROOM; i++) full.push(await join(`F${i}`));
    const lone = await join("L", "create");
    const fullId = full[0].room.roomId;
    await settles("only the lone player's room in the index", open, [lone.room.roomId]);

    await proxy.refuse();
    await waitFor("Redis seen down", async () => (await request(server!.endpoint, "GET", "/api/health")).body.redis === "down");
    // While it is away: the lone player leaves (the room closes), and a player of the full room leaves.
    await leave(lone);
    await leave(full[ROOM - 1]);
    await waitFor("the room closed", async () => (await request(server!.endpoint, "GET", "/api/health")).body.rooms === 1);
    // Core's listing writes for both fail once the driver's client gives up on them (about 10 s).
    const failed = () => server!.logs.filter((l) => l.msg === "unhandled promise rejection").length;
    await waitFor("the listing writes of the outage failed", () => failed() >= 2, 25_000);
    await proxy.reopen();
    await waitFor("registrations restored", () => server!.logs.some((l) => l.msg === "registrations restored"), 10_000);

    await settles("the closed room no longer listed, the other listing its players", listed, [[fullId, ROOM - 1]]);
    await settles("the index: the room with a free seat, and only it", open, [fullId]);
    // The closed room is gone from the process too: one room ticks (30 Hz), not two.
    const ticks = async () => Number(/arena_tick_duration_seconds_count (\d+)/.exec(await (await fetch(`${server!.metricsEndpoint}/metrics`)).text())?.[1]);
    const [t0, at0] = [await ticks(), performance.now()];
    await waitFor("two seconds of ticks", () => performance.now() - at0 >= 2000);
    const perSecond = ((await ticks()) - t0) / ((performance.now() - at0) / 1000);
    assert.ok(perSecond < 45, `${perSecond.toFixed(0)} ticks a second: the closed room still runs`);
    // Fullest first: the free seat is taken before a room is made; then no room has one.
    assert.equal((await join("N")).room.roomId, fullId);
    await groupWithoutTurn();
  });

  it("a live room with a free seat is found past more rooms of a dead process than one page holds (before the sweep), by join and by quick play", async () => {
    await start(db.url);
    const live = await join("Live", "create");
    const row = JSON.parse((await db.hget("roomcaches", live.room.roomId))!) as IRoomCache;
    // A dead process's rooms, each one seat short: fuller than the live room, so first in the index.
    const redis = new Redis(db.url);
    try {
      for (let i = 0; i < 40; i++) {
        const roomId = `DEAD${String(i).padStart(3, "0")}`;
        await redis.hset("roomcaches", roomId, JSON.stringify({ ...row, roomId, processId: "dead-process", clients: ROOM - 1 }));
        await redis.zadd(openRoomsKey(DEFAULT_MODE), 1, roomId);
      }
    } finally {
      redis.disconnect();
    }
    const seat = await request(server!.endpoint, "POST", "/matchmake/join/arena", me("J"));
    assert.equal(seat.status, 200, JSON.stringify(seat.body));
    assert.equal(seat.body.roomId, live.room.roomId, "join: the live room");
    assert.equal((await join("Q")).room.roomId, live.room.roomId, "quick play: the live room, not a new one");
    assert.notEqual(await db.hget("roomcaches", "DEAD000"), null, "the dead rooms were still listed");
  });

  it("a row naming the process of a room it does not have (a write that came after the room's removal) is removed, and its index entry with it", async () => {
    await start(db.url);
    const processId = (await request(server!.endpoint, "GET", "/api/health")).body.processId as string;
    const redis = new Redis(db.url);
    try {
      // As core writes a row: here, of a room with a free seat that this process no longer has.
      await redis.hset("roomcaches", "ghost", JSON.stringify(listing("ghost", processId, 1)));
      await redis.zadd(openRoomsKey(DEFAULT_MODE), 1, "ghost");
    } finally {
      redis.disconnect();
    }
    await settles("the row gone", listed, []);
    await settles("its index entry gone", open, []);
    await groupWithoutTurn();
  });
});
