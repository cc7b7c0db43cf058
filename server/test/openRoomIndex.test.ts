import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { initializeRoomCache, type IRoomCache } from "@colyseus/core";
import { DEFAULT_MODE, ROOM_NAME } from "@arena/shared";
import { IndexedRedisDriver, openRoomsKey } from "../src/matchmaking/OpenRoomIndex.ts";
import { redisSkipReason, useDatabase } from "@arena/testkit";

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
