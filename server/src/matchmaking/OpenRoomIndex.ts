import type { IRoomCache } from "@colyseus/core";
import { RedisDriver } from "@colyseus/redis-driver";
import { Redis } from "ioredis";
import { DEFAULT_MODE, GAME_MODES, ROOM_NAME, readListing } from "@arena/shared";

/** The hash of the room listings (@colyseus/redis-driver's ROOMCACHES_KEY, not exported). */
const LISTINGS_KEY = "roomcaches";

/**
 * Takes out of the index (KEYS[2..], a set per mode) the rooms (ARGV) no
 * longer listed (KEYS[1]), in one step: a room listed again meanwhile under
 * the same id (a match migration restores it on another process) is its new
 * owner's, which indexed it.
 */
const FORGET_UNLISTED = `
for _, roomId in ipairs(ARGV) do
  if redis.call("hexists", KEYS[1], roomId) == 0 then
    for i = 2, #KEYS do redis.call("srem", KEYS[i], roomId) end
  end
end
return 0`;

/** The Redis set of the rooms of a mode that quick play could seat a player in. */
export function openRoomsKey(mode: string): string {
  return `arena:quickplay:open:${mode}`;
}

/** A listed room's mode (its `filterBy` field, else its metadata's). */
export function modeOf(room: IRoomCache): string {
  const mode = (room as { mode?: unknown }).mode;
  return typeof mode === "string" ? mode : readListing(room, DEFAULT_MODE).mode;
}

/**
 * Whether quick play could seat a player in this listed room: a public,
 * unlocked match with someone in it (a listed room with nobody and no seat
 * reserved is being disposed) and a free player seat. The same test as
 * quick play's lookup (`openRooms` in Matchmaking.ts).
 */
export function isOpenForQuickPlay(room: IRoomCache): boolean {
  if (room.name !== ROOM_NAME || room.locked || room.private || room.clients <= 0) return false;
  const { players, capacity } = readListing(room, modeOf(room));
  return players < capacity;
}

/**
 * Colyseus's Redis driver, keeping beside the listings, per mode, the set
 * of rooms quick play could seat a player in (`isOpenForQuickPlay`). Every
 * write of a listing goes through the driver of the room's own process
 * (created, seats taken or given back, locked, metadata, disposed), so the
 * set follows the listings; a dead process's rooms leave it when Colyseus
 * cleans the process up (its health check, which the sweep asks for).
 *
 * What it is for: quick play gives a group of requests that fills a room a
 * room of its own without the cluster's turn, but only while no room of
 * the mode has a free seat (fullest first); asking this set is one small
 * Redis call, where the listings are every room of the cluster.
 */
export class IndexedRedisDriver extends RedisDriver {
  readonly #client: Redis;

  constructor(url: string) {
    const client = new Redis(url);
    super(client);
    this.#client = client;
  }

  /** Whether a room of `mode` may have a free seat for quick play. */
  async hasOpenRoom(mode: string): Promise<boolean> {
    return (await this.#client.scard(openRoomsKey(mode))) > 0;
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

  override async cleanup(processId: string): Promise<void> {
    const rooms = await this.query({ processId });
    await super.cleanup(processId);
    await this.#forget(rooms.map((room) => room.roomId));
  }

  /** Takes out of the index every room no longer listed (its removal from the index lost while Redis was unreachable). */
  async forgetUnlisted(): Promise<void> {
    for (const mode of Object.keys(GAME_MODES)) await this.#forget(await this.#client.smembers(openRoomsKey(mode)));
  }

  async #index(room: IRoomCache): Promise<void> {
    if (room.name !== ROOM_NAME || !room.roomId) return;
    const key = openRoomsKey(modeOf(room));
    await (isOpenForQuickPlay(room) ? this.#client.sadd(key, room.roomId) : this.#client.srem(key, room.roomId));
  }

  /** Takes these rooms out of the index, those not listed again since (FORGET_UNLISTED). */
  async #forget(roomIds: string[]): Promise<void> {
    const ids = roomIds.filter((id) => typeof id === "string" && id !== "");
    if (ids.length === 0) return;
    const keys = [LISTINGS_KEY, ...Object.keys(GAME_MODES).map(openRoomsKey)];
    await this.#client.eval(FORGET_UNLISTED, keys.length, ...keys, ...ids);
  }
}
