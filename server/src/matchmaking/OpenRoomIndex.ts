import { initializeRoomCache, type IRoomCache } from "@colyseus/core";
import { RedisDriver } from "@colyseus/redis-driver";
import { Query } from "@colyseus/redis-driver/Query";
import { Redis } from "ioredis";
import { DEFAULT_MODE, GAME_MODES, ROOM_NAME, readListing } from "@arena/shared";

/** A page of quick play's candidates (`IndexedRedisDriver.openRooms`, MatchMaker's `openRooms`). */
export interface OpenRoomsPage {
  rooms: IRoomCache[];
  /** Index entries (or listings) the page covered. */
  read: number;
  /** Of the page's rooms, those whose channel has a subscriber (their process is live); undefined on one process, where all do. */
  answering?: ReadonlySet<string>;
}

/** The hash of the room listings (@colyseus/redis-driver's ROOMCACHES_KEY, not exported). */
const LISTINGS_KEY = "roomcaches";

/** The most rooms one page of quick play's candidates reads (`openRooms`). */
const MAX_OPEN_ROOMS = 1000;

/** Every mode's open-room set, the keys of the scripts that take a room out of all of them. */
const allModeKeys = (): string[] => Object.keys(GAME_MODES).map(openRoomsKey);

/**
 * The scripts (ioredis `defineCommand`: EVALSHA, EVAL on a connection's
 * first use or after Redis lost its scripts). Each is one command, so a
 * connection dropped before its answer resends it whole: ioredis aborts the
 * unanswered rest of a pipeline, not a single command.
 */
const SCRIPTS = {
  /** A listing's row removed (KEYS[1], ARGV[1] = roomId) and the room out of every mode's index (KEYS[2..]); 1 if it was listed. */
  arenaRemoveListing: {
    lua: `
local removed = redis.call("hdel", KEYS[1], ARGV[1])
for i = 2, #KEYS do redis.call("zrem", KEYS[i], ARGV[1]) end
return removed`,
  },
  /**
   * The listing rows (KEYS[1]) of ARGV[2] rooms of a mode's index (KEYS[2])
   * from rank ARGV[1], fewest free seats first (nil for a room not listed),
   * and PUBSUB NUMSUB of their channels (`$<roomId>`, core's getRoomChannel:
   * a room answers seat reservations there while it lives).
   */
  arenaOpenRooms: {
    numberOfKeys: 2,
    lua: `
local ids = redis.call("zrange", KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[1]) + tonumber(ARGV[2]) - 1)
if #ids == 0 then return {{}, {}} end
local channels = {}
for i, id in ipairs(ids) do channels[i] = "$" .. id end
return {redis.call("hmget", KEYS[1], unpack(ids)), redis.call("pubsub", "numsub", unpack(channels))}`,
  },
  /**
   * Takes out of the index (KEYS[2..], a sorted set per mode) the rooms (ARGV) no
   * longer listed (KEYS[1]), in one step: a room listed again meanwhile under
   * the same id (a match migration restores it on another process) is its new
   * owner's, which indexed it.
   */
  arenaForgetUnlisted: {
    lua: `
for _, roomId in ipairs(ARGV) do
  if redis.call("hexists", KEYS[1], roomId) == 0 then
    for i = 2, #KEYS do redis.call("zrem", KEYS[i], roomId) end
  end
end
return 0`,
  },
} as const;

/** The connection with the scripts defined on it (ioredis types them only at run time). */
type ScriptedRedis = Redis & {
  arenaRemoveListing(keyCount: number, ...keysThenRoomId: string[]): Promise<number>;
  arenaOpenRooms(listings: string, openRooms: string, from: number, count: number): Promise<[(string | null)[], (string | number)[]]>;
  arenaForgetUnlisted(keyCount: number, ...keysThenRoomIds: string[]): Promise<number>;
};

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
 * nobody and no seat reserved is being disposed). What puts a room in the
 * index, and quick play's test of a candidate (`openRooms`).
 */
export function freeSeatsOf(room: IRoomCache): number {
  if (room.name !== ROOM_NAME || room.locked || room.private || room.clients <= 0) return 0;
  const { players, capacity } = readListing(room, modeOf(room));
  return Math.max(0, capacity - players);
}

/** Core's listing operations applied to the listing, as its Redis driver applies them before writing the row (`RedisDriver.update`). */
function applyOperations(room: IRoomCache, operations: Parameters<RedisDriver["update"]>[1]): void {
  const fields = room as unknown as Record<string, unknown>;
  for (const [field, value] of Object.entries(operations.$set ?? {})) fields[field] = value;
  for (const [field, by] of Object.entries(operations.$inc ?? {})) fields[field] = (fields[field] as number) + (by as number);
}

/** Rooms fullest first: fewest free seats (`freeSeatsOf`) first, as the index orders them. */
export function fullestFirst(rooms: readonly IRoomCache[]): IRoomCache[] {
  return rooms
    .map((room) => ({ room, free: freeSeatsOf(room) }))
    .sort((a, b) => a.free - b.free)
    .map(({ room }) => room);
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
  readonly #client: ScriptedRedis;
  /** Listing writes waiting for the end of this run of the event loop, by room id (`update`). */
  readonly #pending = new Map<string, { room: IRoomCache; written: Promise<boolean>; resolve: (written: boolean) => void; reject: (error: unknown) => void }>();
  /** Listing removals in flight, by room id (`remove`). */
  readonly #removing = new Map<string, Promise<boolean>>();

  constructor(url: string) {
    // Not auto-pipelined (RedisLink's connection is): ioredis aborts the unanswered
    // rest of an auto-pipeline when its connection drops, where it resends single
    // commands after reconnecting, and core awaits every listing write of a seat
    // (server/test/openRoomIndex.test.ts, "a listing write across a connection dropped").
    const client = new Redis(url);
    for (const [name, script] of Object.entries(SCRIPTS)) client.defineCommand(name, script);
    super(client);
    this.#client = client as ScriptedRedis;
  }

  /** The free seats in rooms of `mode`, as the index has them, counted up to `upTo` (each indexed room has one at least). */
  async freeSeats(mode: string, upTo: number): Promise<number> {
    if (upTo <= 0) return 0;
    this.#sendAllPending();
    const scored = await this.#client.zrevrange(openRoomsKey(mode), 0, upTo - 1, "WITHSCORES");
    let free = 0;
    for (let i = 1; i < scored.length; i += 2) free += Math.max(1, Number(scored[i]) || 1);
    return Math.min(free, upTo);
  }

  /**
   * A page of quick play's candidates in `mode`: the index's rooms from rank
   * `from`, fullest first (fewest free seats), `count` of them at most (up
   * to 1,000), as their listing rows say now (a row that no longer has a
   * free seat is left out); `read` is how many index entries the page
   * covered (fewer than `count`: the index ended); `answering`, which of
   * those rooms have a subscriber on their channel (pub/sub channels are
   * the Redis server's, not a database's). One round trip that
   * reads those rows alone, where a query reads every listing of the
   * cluster.
   */
  async openRooms(mode: string, from: number, count: number): Promise<OpenRoomsPage> {
    if (count <= 0) return { rooms: [], read: 0, answering: new Set() };
    this.#sendAllPending();
    const [rows, subscribers] = await this.#client.arenaOpenRooms(LISTINGS_KEY, openRoomsKey(mode), Math.max(0, from), Math.min(count, MAX_OPEN_ROOMS));
    const rooms: IRoomCache[] = [];
    for (const row of rows) {
      if (typeof row !== "string") continue; // indexed, no longer listed
      const room = initializeRoomCache(JSON.parse(row) as Partial<IRoomCache>);
      if (freeSeatsOf(room) > 0 && modeOf(room) === mode) rooms.push(room);
    }
    const answering = new Set<string>();
    for (let i = 0; i + 1 < subscribers.length; i += 2) if (Number(subscribers[i + 1]) > 0) answering.add(String(subscribers[i]).slice(1));
    return { rooms, read: rows.length, answering };
  }

  /*
   * The row and its index entry go out back to back on the one connection,
   * in that order, in one write to the socket (corked: each write is a
   * system call, which on these machines costs more than Redis's work), and
   * are awaited together: one round trip, as the row alone took (core awaits
   * every listing write of a seat reservation).
   * Two plain commands, not a script: a script (tried) costs Redis, which
   * every process shares, three times their time (`INFO commandstats`).
   */
  override async persist(room: IRoomCache, create?: boolean): Promise<boolean> {
    this.#sendPending(room.roomId);
    this.#removing.delete(room.roomId); // written after a removal in flight: a later removal is sent again
    const [persisted] = await this.#together(() => [super.persist(room, create), this.#index(room)]);
    return persisted;
  }

  /**
   * Applies `operations` to the room's listing at once, as core's driver
   * does, and writes the row at the end of this run of the event loop (a
   * microtask): a room's updates made in one run, such as its seats
   * reserved together (core's `_reserveMultipleSeats` updates the listing
   * once per seat, each write the whole row), are one write of the row as
   * the last left it, which each of them awaits. Anything else this driver
   * sends for the room, and any read, sends it first, so its order on the
   * connection is kept.
   */
  override update(room: IRoomCache, operations: Parameters<RedisDriver["update"]>[1]): Promise<boolean> {
    applyOperations(room, operations);
    const pending = this.#pending.get(room.roomId);
    if (pending !== undefined && pending.room === room) return pending.written;
    this.#sendPending(room.roomId); // another listing object under the id (a restored match): the older goes first
    let resolve!: (written: boolean) => void;
    let reject!: (error: unknown) => void;
    const written = new Promise<boolean>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.#pending.set(room.roomId, { room, written, resolve, reject });
    queueMicrotask(() => this.#sendPending(room.roomId));
    return written;
  }

  /** Sends the room's pending listing write now, if it has one. */
  #sendPending(roomId: string): void {
    const pending = this.#pending.get(roomId);
    if (pending === undefined) return;
    this.#pending.delete(roomId);
    this.#removing.delete(roomId); // as in persist
    this.#together(() => [super.persist(pending.room), this.#index(pending.room)]).then(([written]) => pending.resolve(written), pending.reject);
  }

  /** Sends every pending listing write now (before a read: the connection answers in order). */
  #sendAllPending(): void {
    for (const roomId of [...this.#pending.keys()]) this.#sendPending(roomId);
  }

  override shutdown(): Promise<void> {
    this.#sendAllPending(); // before QUIT
    return super.shutdown();
  }

  override has(roomId: string): Promise<boolean> {
    this.#sendAllPending();
    return super.has(roomId);
  }

  override findByIds(roomIds: string[]): ReturnType<RedisDriver["findByIds"]> {
    this.#sendAllPending();
    return super.findByIds(roomIds);
  }

  override findOne(conditions: Partial<IRoomCache>, sortOptions?: Parameters<RedisDriver["findOne"]>[1]): ReturnType<RedisDriver["findOne"]> {
    this.#sendAllPending();
    return super.findOne(conditions, sortOptions);
  }

  /** Sends what `send` sends now in one write of the connection's socket (when connected; queued commands go as ioredis sends them). */
  #together(send: () => [Promise<boolean>, Promise<void>]): Promise<[boolean, void]> {
    const stream = this.#client.stream as Redis["stream"] | undefined; // none before the first connection
    stream?.cork();
    try {
      return Promise.all(send());
    } finally {
      stream?.uncork();
    }
  }

  /**
   * Never throws: core's dispose awaits this first and stops there if it
   * throws (Room's #_dispose), so a room closed while Redis was unreachable
   * would never run onDispose nor stop its clock, and would tick, empty,
   * for as long as the process lives. Its row, left behind then, is dropped
   * once Redis is back (MatchMaker's `dropStaleListings`). Removals of one
   * room at once are one.
   */
  override remove(roomId: string): Promise<boolean> {
    this.#sendPending(roomId);
    // Core removes a disposed room's listing twice at once (its Room's dispose and
    // its matchmaker's disposeRoom): the second call shares the first's script.
    const inFlight = this.#removing.get(roomId);
    if (inFlight !== undefined) return inFlight;
    const removing: Promise<boolean> = this.#removeListing(roomId).finally(() => {
      if (this.#removing.get(roomId) === removing) this.#removing.delete(roomId);
    });
    this.#removing.set(roomId, removing);
    return removing;
  }

  async #removeListing(roomId: string): Promise<boolean> {
    try {
      const keys = [LISTINGS_KEY, ...allModeKeys()];
      return (await this.#client.arenaRemoveListing(keys.length, ...keys, roomId)) > 0;
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
    this.#sendAllPending();
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

  /** Takes these rooms out of the index, those not listed again since (`arenaForgetUnlisted`). */
  async #forget(roomIds: string[]): Promise<void> {
    const ids = roomIds.filter((id) => typeof id === "string" && id !== "");
    if (ids.length === 0) return;
    const keys = [LISTINGS_KEY, ...allModeKeys()];
    await this.#client.arenaForgetUnlisted(keys.length, ...keys, ...ids);
  }
}
