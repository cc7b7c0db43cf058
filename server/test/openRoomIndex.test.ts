import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { initializeRoomCache, type IRoomCache } from "@colyseus/core";
import { Client } from "@colyseus/sdk";
import { ArenaState, DEFAULT_MODE, PROTOCOL_VERSION, ROOM_NAME } from "@arena/shared";
import { IndexedRedisDriver, openRoomsKey } from "../src/matchmaking/OpenRoomIndex.ts";
import { type ArenaRoomClient, freePort, redisSkipReason, request, spawnServer, TcpProxy, TestPlayer, useDatabase, waitFor } from "@arena/testkit";

const skip = await redisSkipReason();
if (skip) console.log(`# skipping the open-room index tests: ${skip}`);

/** This file's own database on the shared Redis. */
const DB = 15;
const CAPACITY = 8;

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
    assert.deepEqual(await db.smembers(openRoomsKey(DEFAULT_MODE)), ["R"]);

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
    assert.ok(await sweeper.hasOpenRoom(DEFAULT_MODE), "B's room has free seats: quick play must not make new rooms past it");
    assert.deepEqual(await db.smembers(openRoomsKey(DEFAULT_MODE)), ["R"]);
  });
});

/**
 * Redis unreachable (connections refused) for longer than the driver's
 * client retries a command (about 10 s), then back with its data (a
 * network cut, not a restart):
 * the listing writes of the outage were lost, so the listings and the index
 * say what the rooms were before it.
 */
describe("the open-room index after a Redis outage that kept the data", { skip }, () => {
  const ROOM = 4;
  let db: Awaited<ReturnType<typeof useDatabase>>;
  let proxy: TcpProxy;
  const players: TestPlayer[] = [];

  before(async () => {
    db = await useDatabase(DB);
    const redisPort = Number(new URL(db.url).port || 6379);
    proxy = await TcpProxy.start(redisPort);
  });
  after(async () => {
    await Promise.all(players.map((p) => p.leave().catch(() => {})));
    await proxy.stop();
    await db.flush();
  });

  it("rooms that changed while Redis was away are listed and indexed as they are once it is back: a room gone is out, a room with seats again is filled first", async () => {
    const port = await freePort();
    const server = await spawnServer({
      MATCH_SNAPSHOT_MS: "0",
      PORT: String(port),
      PUBLIC_ADDRESS: `127.0.0.1:${port}`,
      REDIS_URL: db.url.replace(/:\d+\//, `:${proxy.port}/`),
      ROOM_CAPACITY: String(ROOM),
    });
    try {
      const me = (name: string) => ({ name, protocol: PROTOCOL_VERSION });
      const join = async (name: string, method: "joinOrCreate" | "create" = "joinOrCreate") => {
        const player = new TestPlayer((await new Client(server.endpoint)[method]("arena", me(name), ArenaState)) as ArenaRoomClient);
        players.push(player);
        return player;
      };
      const leave = async (player: TestPlayer) => {
        players.splice(players.indexOf(player), 1);
        await player.leave();
      };
      const listed = async () => (await request(server.endpoint, "GET", "/api/rooms")).body.rooms as { roomId: string; players: number }[];
      const open = () => db.smembers(openRoomsKey(DEFAULT_MODE));
      const ownRoomSeats = async () => {
        const text = await (await fetch(`${server.metricsEndpoint}/metrics`)).text();
        return Number(/arena_quickplay_seats_total\{decided="own_room"\} (\d+)/.exec(text)?.[1] ?? 0);
      };

      // A full room, and a room with one player.
      const full: TestPlayer[] = [];
      for (let i = 0; i < ROOM; i++) full.push(await join(`F${i}`));
      const lone = await join("L", "create");
      const fullId = full[0].room.roomId;
      const goneId = lone.room.roomId;
      await waitFor("only the lone player's room in the index", async () => (await open()).join() === goneId);

      await proxy.refuse();
      await waitFor("Redis seen down", async () => (await request(server.endpoint, "GET", "/api/health")).body.redis === "down");
      // While it is away: the lone player leaves (the room closes), and a player of the full room leaves.
      const failed = () => server.logs.filter((l) => l.msg === "unhandled promise rejection").length;
      await leave(lone);
      await leave(full[ROOM - 1]);
      await waitFor("the room closed", async () => (await request(server.endpoint, "GET", "/api/health")).body.rooms === 1);
      // Core's listing writes for both fail once the driver's client gives up on them (about 10 s).
      await waitFor("the listing writes of the outage failed", () => failed() >= 2, 25_000);
      await proxy.reopen();
      await waitFor("registrations restored", () => server.logs.some((l) => l.msg === "registrations restored"), 10_000);

      await waitFor(
        "the closed room no longer listed, the other listing its players",
        async () => JSON.stringify((await listed()).map((r) => [r.roomId, r.players])) === JSON.stringify([[fullId, ROOM - 1]]),
        5000,
      ).catch(async () =>
        assert.deepEqual(
          (await listed()).map((r) => [r.roomId, r.players]),
          [[fullId, ROOM - 1]],
        ),
      );
      await waitFor("the index: the room with a free seat, and only it", async () => (await open()).join() === fullId, 5000).catch(async () =>
        assert.deepEqual(await open(), [fullId]),
      );
      // The closed room is gone from the process too: one room ticks (30 Hz), not two.
      const ticks = async () => Number(/arena_tick_duration_seconds_count (\d+)/.exec(await (await fetch(`${server.metricsEndpoint}/metrics`)).text())?.[1]);
      const [t0, at0] = [await ticks(), performance.now()];
      await waitFor("two seconds of ticks", () => performance.now() - at0 >= 2000);
      const perSecond = ((await ticks()) - t0) / ((performance.now() - at0) / 1000);
      assert.ok(perSecond < 45, `${perSecond.toFixed(0)} ticks a second: the closed room still runs`);
      // Fullest first: the free seat is taken before a room is made.
      const next = await join("N");
      assert.equal(next.room.roomId, fullId);
      // No room has a free seat now: a group that fills one gets it without the cluster's turn.
      const before = await ownRoomSeats();
      const group = await Promise.all(Array.from({ length: ROOM }, (_, i) => join(`G${i}`)));
      assert.equal(new Set(group.map((p) => p.room.roomId)).size, 1);
      assert.equal((await ownRoomSeats()) - before, ROOM, "seated in a room of their own, without the turn");
    } finally {
      await Promise.all(players.splice(0).map((p) => p.leave().catch(() => {})));
      await server.stop();
    }
  });
});
