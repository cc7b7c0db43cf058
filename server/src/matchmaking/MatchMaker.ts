import type { IncomingMessage } from "node:http";
// Not exported from core's index; the module core's matchmaker throws it from (build/errors/SeatReservationError.mjs).
import { SeatReservationError } from "@colyseus/core/errors/SeatReservationError";
import {
  ErrorCode as ColyseusErrorCode,
  RoomInternalState,
  ServerError,
  createAuthContext,
  generateId,
  matchMaker,
  type IRoomCache,
  type Presence,
} from "@colyseus/core";
import { ROOM_NAME } from "@arena/shared";
import { coreOf } from "../rooms/coreRoom.ts";
import { IndexedRedisDriver, freeSeatsOf, fullestFirst, type OpenRoomsPage } from "./OpenRoomIndex.ts";

/** What a client gets for a seat (Colyseus's seat reservation: room, session id, process). */
export type SeatReservation = ReturnType<typeof matchMaker.buildSeatReservation>;

/** A listed room, as Colyseus's driver stores it (its listing row). */
export type RoomCache = IRoomCache;

/** One seat to reserve in a room: who, with which (validated) options and auth data. */
export interface SeatToReserve {
  sessionId: string;
  options: Record<string, unknown>;
  auth?: unknown;
}

/**
 * Everything the project's matchmaking asks of Colyseus's matchmaker, and
 * nothing else: the one seam between them. `colyseusMatchMaker` is the real
 * one (core's `matchMaker` singleton, its driver and its presence); tests of
 * placement, quick play and the HTTP gate use an in-memory one
 * (server/test/unit/MemoryMatchMaker.ts), as Colyseus's own tests run its
 * matchmaker on `LocalPresence` and `LocalDriver`.
 */
export interface MatchMaker {
  /** This process's id. */
  readonly processId: string;
  /** Shared key-value and pub/sub (join codes, lobby notices): Colyseus's Presence, Redis when scaled. */
  readonly presence: Presence;
  /** Listed rooms matching `conditions`, sorted by `sort` (the driver's query). */
  query(conditions: Partial<IRoomCache>, sort?: Record<string, 1 | -1>): Promise<RoomCache[]>;
  /** Free seats for quick play in the listed matches of `mode` (`freeSeatsOf`), counted up to `upTo`: the driver's index when scaled. */
  freeSeats(mode: string, upTo: number): Promise<number>;
  /**
   * A page of the listed matches of `mode` quick play could seat a player in
   * (`freeSeatsOf`), fullest first: from rank `from`, `count` at most;
   * `read` is how many ranks the page covered (fewer than `count`: no more).
   * The driver's index when scaled (those rooms' rows alone, and which of
   * them have a subscriber on their channel, read in the same step), every
   * listing filtered otherwise.
   */
  openRooms(mode: string, from: number, count: number): Promise<OpenRoomsPage>;
  /** Live processes: registered in the process stats and still subscribed to their channel. */
  liveProcesses(): Promise<string[]>;
  /** Pub/sub channels with a subscriber that match `pattern` (Redis PUBSUB CHANNELS). */
  channels(pattern: string): Promise<string[]>;
  /** Whether a room of this process has this id. */
  isLocal(roomId: string): boolean;
  /** Runs the room type's static `onAuth` on quick play's options, as Colyseus's joinOrCreate would; its result, or a ServerError. */
  authenticate(roomName: string, options: Record<string, unknown>, req: IncomingMessage): Promise<unknown>;
  /** Creates a room (on the process `selectProcessIdToCreateRoom` picks) and returns its listing. */
  createRoom(roomName: string, options: Record<string, unknown>): Promise<RoomCache>;
  /** Reserves seats in a room (local or remote); one boolean per request. */
  reserveSeats(room: RoomCache, requests: readonly SeatToReserve[]): Promise<boolean[]>;
  /** What a client gets for a reserved seat. */
  seat(room: RoomCache, sessionId: string): SeatReservation;
  /** A new session id. */
  sessionId(): string;
  /** Creates a room and a seat in it (the private room API). */
  create(roomName: string, options: Record<string, unknown>): Promise<SeatReservation>;
  /** A seat in a room by id (the private room API's seats by code). Throws `RoomRefusal` when the room is gone or locked. */
  joinById(roomId: string, options: Record<string, unknown>): Promise<SeatReservation>;
  /**
   * After a Redis outage: registers this process again and lists its rooms
   * as they are now (those Redis lost, and those whose rows the outage left
   * stale). Rows of rooms closed meanwhile go at the sweep (ProcessSweep).
   */
  reregister(): Promise<void>;
}

/** Why `joinById` found no seat: the room is not listed (any more), or it is full. */
export class RoomRefusal extends Error {
  constructor(
    readonly reason: "gone" | "locked",
    message: string,
  ) {
    super(message);
    this.name = "RoomRefusal";
  }
}

/**
 * Core's `joinById` refuses a missing room and a locked one with the same
 * code (MATCHMAKE_INVALID_ROOM_ID, 522) and tells them apart only in its
 * text: `room "<id>" is locked` or `room "<id>" not found`
 * (core/src/MatchMaker.ts). Pinned against the real matchmaker by server/test/matchmaking.test.ts.
 */
export function roomRefusalOf(error: unknown): RoomRefusal | undefined {
  // A room full but not yet locked refuses the seat itself (core's reserveSeatFor).
  if (error instanceof SeatReservationError && / is already full\.$/.test(error.message)) return new RoomRefusal("locked", error.message);
  if (!(error instanceof ServerError) || error.code !== ColyseusErrorCode.MATCHMAKE_INVALID_ROOM_ID) return undefined;
  if (/ is locked$/.test(error.message)) return new RoomRefusal("locked", error.message);
  if (/ not found$/.test(error.message)) return new RoomRefusal("gone", error.message);
  return undefined;
}

type AuthenticatedRoomClass = { onAuth(token: string | undefined, options: unknown, context: unknown): Promise<unknown> };

/** The real matchmaker: core's `matchMaker` singleton, once the server is defined. */
export const colyseusMatchMaker: MatchMaker = {
  get processId() {
    return matchMaker.processId;
  },
  get presence() {
    return matchMaker.presence;
  },
  query: async (conditions, sort) => matchMaker.driver.query(conditions, sort),
  async freeSeats(mode, upTo) {
    const driver = matchMaker.driver;
    if (driver instanceof IndexedRedisDriver) return driver.freeSeats(mode, upTo);
    // One process: its listings are in memory.
    const rooms = await driver.query({ name: ROOM_NAME, mode } as Partial<IRoomCache>);
    return Math.min(
      upTo,
      rooms.reduce((free, room) => free + freeSeatsOf(room), 0),
    );
  },
  async openRooms(mode, from, count) {
    const driver = matchMaker.driver;
    if (driver instanceof IndexedRedisDriver) return driver.openRooms(mode, from, count);
    const rooms = await driver.query({ name: ROOM_NAME, mode } as Partial<IRoomCache>);
    const page = fullestFirst(rooms.filter((room) => freeSeatsOf(room) > 0)).slice(from, from + count);
    return { rooms: page, read: page.length };
  },
  async liveProcesses() {
    const [stats, channels] = await Promise.all([matchMaker.stats.fetchAll(), matchMaker.presence.channels("p:*")]);
    // Registered in this deployment's database (Redis pub/sub channels are
    // shared by every database of a server) and still subscribed.
    const subscribed = new Set(channels.map((c) => c.slice(2)));
    return stats.map((s) => s.processId).filter((id) => subscribed.has(id));
  },
  channels: (pattern) => matchMaker.presence.channels(pattern),
  isLocal: (roomId) => matchMaker.getLocalRoomById(roomId) !== undefined,
  async authenticate(roomName, options, req) {
    const roomClass = matchMaker.getRoomClass(roomName) as unknown as AuthenticatedRoomClass;
    const context = createAuthContext({ headers: req.headers as Record<string, string>, req });
    const result = await roomClass.onAuth(context.token, options, context);
    if (result === false || result === null || result === undefined) throw new ServerError(ColyseusErrorCode.AUTH_FAILED, "onAuth failed");
    return result;
  },
  createRoom: (roomName, options) => matchMaker.createRoom(roomName, options),
  reserveSeats: (room, requests) =>
    matchMaker.reserveMultipleSeatsFor(
      room,
      requests.map((r) => ({ sessionId: r.sessionId, options: r.options, auth: r.auth })),
    ),
  seat: (room, sessionId) => matchMaker.buildSeatReservation(room, sessionId),
  sessionId: () => generateId(),
  create: (roomName, options) => matchMaker.create(roomName, options),
  async joinById(roomId, options) {
    try {
      return await matchMaker.joinById(roomId, options);
    } catch (error) {
      throw roomRefusalOf(error) ?? error;
    }
  },
  async reregister() {
    await matchMaker.stats.persist(true);
    await matchMaker.restoreMissingRoomCaches();
    // Rows Redis kept name this process's rooms as they were when a write was lost (players who
    // left or came, a lock, the metadata): each is written again as its room is now.
    const rows = await matchMaker.driver.query({ processId: matchMaker.processId });
    await Promise.all(
      rows.map(async ({ roomId }) => {
        const room = matchMaker.getLocalRoomById(roomId);
        if (room !== undefined && coreOf(room)._internalState === RoomInternalState.CREATED) await matchMaker.driver.persist(coreOf(room)._listing);
      }),
    );
  },
};
