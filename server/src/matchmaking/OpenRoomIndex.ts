import type { IRoomCache } from "@colyseus/core";
import { RedisDriver } from "@colyseus/redis-driver";
import { Query } from "@colyseus/redis-driver/Query";
import { Redis } from "ioredis";
import { DEFAULT_MODE, GAME_MODES, ROOM_NAME, readListing } from "@arena/shared";

/** The hash of the room listings (@colyseus/redis-driver's ROOMCACHES_KEY, not exported). */
const LISTINGS_KEY = "roomcaches";

/**
 * Takes out of the index (KEYS[2..], a sorted set per mode) the rooms (ARGV) no
 * longer listed (KEYS[1]), in one step: a room listed again meanwhile under
 * the same id (a match migration restores it on another process) is its new
 * owner's, which indexed it.
 */
const FORGET_UNLISTED = `
for _, roomId in ipairs(ARGV) do
  if redis.call("hexists", KEYS[1], roomId) == 0 then
    for i = 2, #KEYS do redis.call("zrem", KEYS[i], roomId) end
  end
end
return 0`;

/** The Redis sorted set of the rooms of a mode that quick play could seat a player in, each scored by its free player seats. */
export function openRoomsKey(mode: string): string {
  return `arena:quickplay:open:${mode}`;
}

/** A listed room's mode (its `filterBy` field, else its metadata's). */
export function modeOf(room: IRoomCache): string {
  const mode = (room as { mode?: unknown }).mode;
  return typeof mode === "string" ? mode : readListing(room, DEFAULT_MODE).mode;
}

/**
 * The player seats quick play could give in this listed room: none unless
 * it is a public, unlocked match with someone in it (a listed room with
 * nobody and no seat reserved is being disposed). The same test as quick
 * play's lookup (`openRooms` in Matchmaking.ts).
 */
export function freeSeatsOf(room: IRoomCache): number {
  if (room.name !== ROOM_NAME || room.locked || room.private || room.clients <= 0) return 0;
  const { players, capacity } = readListing(room, modeOf(room));
  return Math.max(0, capacity - players);
}

/**
 * Colyseus's Redis driver, keeping beside the listings, per mode, the
 * rooms quick play could seat a player in, each scored by its free player
 * seats (`freeSeatsOf`). Every write of a listing
 * goes through the driver of the room's own process (created, seats taken
 * or given back, locked, metadata, disposed), so the index follows the
 * listings; a dead process's rooms leave it when Colyseus cleans the
 * process up (its health check, which the sweep asks for).
 *
 * What it is for: quick play gives requests that fill rooms rooms of their
 * own without the cluster's turn, and sends to the turn only as many as
 * there are free seats in the mode's rooms (fullest first, there); asking
 * the index is one small Redis call (`freeSeats`), where the listings are
 * every room of the cluster.
 */
export class IndexedRedisDriver extends RedisDriver {
  readonly #client: Redis;

  constructor(url: string) {
    // Not auto-pipelined (RedisLink's connection is): ioredis aborts the unanswered
    // rest of an auto-pipeline when its connection drops, where it resends single
    // commands after reconnecting, and core awaits every listing write of a seat
    // (server/test/openRoomIndex.test.ts, "a listing write across a connection dropped").
    const client = new Redis(url);
    super(client);
    this.#client = client;
  }

  /** The free seats in rooms of `mode`, as the index has them, counted up to `upTo` (each indexed room has one at least). */
  async freeSeats(mode: string, upTo: number): Promise<number> {
    if (upTo <= 0) return 0;
    const scored = await this.#client.zrevrange(openRoomsKey(mode), 0, upTo - 1, "WITHSCORES");
    let free = 0;
    for (let i = 1; i < scored.length; i += 2) free += Math.max(1, Number(scored[i]) || 1);
    return Math.min(free, upTo);
  }

  /*
   * The row and its index entry go out back to back on the one connection,
   * in that order, and are awaited together: one round trip, as the row
   * alone took (core awaits every listing write of a seat reservation).
   * Core's driver sends the row before its first await, `room` updated.
   */
  override async persist(room: IRoomCache, create?: boolean): Promise<boolean> {
    const [persisted] = await Promise.all([super.persist(room, create), this.#index(room)]);
    return persisted;
  }

  override async update(room: IRoomCache, operations: Parameters<RedisDriver["update"]>[1]): Promise<boolean> {
    const [updated] = await Promise.all([super.update(room, operations), this.#index(room)]);
    return updated;
  }

  /**
   * Never throws: core's dispose awaits this first and stops there if it
   * throws (Room's #_dispose), so a room closed while Redis was unreachable
   * would never run onDispose nor stop its clock, and would tick, empty,
   * for as long as the process lives. Its row, left behind then, is dropped
   * once Redis is back (MatchMaker's `dropStaleListings`).
   */
  override async remove(roomId: string): Promise<boolean> {
    try {
      const removed = await super.remove(roomId);
      await this.#forget([roomId]);
      return removed;
    } catch {
      return false;
    }
  }

  /**
   * A query naming a room id reads that room's row alone. The base driver
   * reads every listing of the cluster (HGETALL) and filters them, and core
   * asks this way for each change a lobby is told of (`subscribeLobby`:
   * each join, leave, lock, creation of any listed room, on every process
   * hosting a lobby), as joinById's check does per request.
   */
  override async query(conditions: Partial<IRoomCache>, sortOptions?: Parameters<RedisDriver["query"]>[1]): Promise<IRoomCache[]> {
    const { roomId } = conditions;
    if (typeof roomId !== "string") return super.query(conditions, sortOptions);
    const row = (await this.findByIds([roomId])).get(roomId);
    // The base driver's own filter (Query), on the one row.
    return row === undefined ? [] : new Query(Promise.resolve([row]), conditions).all();
  }

  override async cleanup(processId: string): Promise<void> {
    const rooms = await this.query({ processId });
    await super.cleanup(processId);
    await this.#forget(rooms.map((room) => room.roomId));
  }

  /** Takes out of the index every room no longer listed (its removal from the index lost while Redis was unreachable). */
  async forgetUnlisted(): Promise<void> {
    for (const mode of Object.keys(GAME_MODES)) await this.#forget(await this.#client.zrange(openRoomsKey(mode), 0, -1));
  }

  async #index(room: IRoomCache): Promise<void> {
    if (room.name !== ROOM_NAME || !room.roomId) return;
    const key = openRoomsKey(modeOf(room));
    const free = freeSeatsOf(room);
    await (free > 0 ? this.#client.zadd(key, free, room.roomId) : this.#client.zrem(key, room.roomId));
  }

  /** Takes these rooms out of the index, those not listed again since (FORGET_UNLISTED). */
  async #forget(roomIds: string[]): Promise<void> {
    const ids = roomIds.filter((id) => typeof id === "string" && id !== "");
    if (ids.length === 0) return;
    const keys = [LISTINGS_KEY, ...Object.keys(GAME_MODES).map(openRoomsKey)];
    await this.#client.eval(FORGET_UNLISTED, keys.length, ...keys, ...ids);
  }
}
