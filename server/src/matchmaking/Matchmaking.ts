import { randomInt } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { ErrorCode as ColyseusErrorCode, ServerError } from "@colyseus/core";
import { DEFAULT_MODE, ROOM_NAME, isGameMode, isSpectating, type ErrorCode } from "@arena/shared";
import { ArenaError } from "../ArenaError.ts";
import type { Settings } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../Metrics.ts";
import { Migration } from "../migration/Migration.ts";
import { JoinCodes } from "./JoinCodes.ts";
import type { RoomCache, MatchMaker, SeatReservation } from "./MatchMaker.ts";
import { RedisLink } from "./RedisLink.ts";
import { ProcessSweep } from "./ProcessSweep.ts";
import { QuickPlayQueue } from "./QuickPlayQueue.ts";
import { QuickPlayBatcher, type SeatBroker } from "./QuickPlayBatcher.ts";
import { RoomPlacement } from "./RoomPlacement.ts";
import { freeSeatsOf } from "./OpenRoomIndex.ts";

const LOBBY_CHANNEL = "$lobby"; // Colyseus's LobbyRoom channel (core/src/matchmaker/Lobby.ts)

/** Rooms looked up per page for quick play's rests beyond one per seat wanted (each has a free seat at least): stand-ins for any that no longer answer. */
const SPARE_ROOMS = 16;
/**
 * The most listed rooms one lookup for quick play reads (pages until the
 * answering ones have the seats wanted): past it, more joins get new rooms
 * rather than the turn reading on (thousands of rooms of a dead process
 * ahead of every live one, before the sweep removes them).
 */
const OPEN_ROOMS_SCANNED = 5000;

/** Quick play's join options, once the room's onAuth has normalised them. */
type JoinOptions = { mode?: unknown } & Record<string, unknown>;

/** The matchmaker as quick play's batches use it. */
function seatBroker(matchMaker: MatchMaker, settings: Settings, placement: RoomPlacement): SeatBroker<JoinOptions, RoomCache, SeatReservation> {
  const createRooms = (options: readonly JoinOptions[]) =>
    placement.placingBatch(() => Promise.allSettled(options.map((o) => matchMaker.createRoom(ROOM_NAME, o))));
  return {
    openRooms: async (mode, seats) => {
      // Pages of the mode's rooms, fullest first, until the rooms that answer have the seats
      // wanted (each has one free at least), or the rooms end, or OPEN_ROOMS_SCANNED were read.
      const found = new Map<string, RoomCache>();
      let free = 0;
      const page = seats + SPARE_ROOMS;
      for (let from = 0; free < seats && from < OPEN_ROOMS_SCANNED; from += page) {
        // A room answers seat reservations on its Redis channel (`$<roomId>`, core's
        // getRoomChannel). A listed room without one (disposed, its listing not yet
        // removed, or its process dead before the sweep) would hold the batch, and the
        // cluster's turn, for the IPC timeout (2 s) before refusing: it is skipped.
        const { rooms, read, answering } = await matchMaker.openRooms(mode, from, page);
        for (const room of rooms) {
          if (found.has(room.roomId) || (answering !== undefined && !answering.has(room.roomId))) continue;
          found.set(room.roomId, room);
          free += freeSeatsOf(room);
        }
        if (read < page) break;
      }
      return [...found.values()];
    },
    freeSeats: (mode, upTo) => matchMaker.freeSeats(mode, upTo),
    createRooms,
    createFullRooms: async (options) => {
      // On this process while the processes host about as many matches each; placed like any other room when not.
      if (!(await placement.balancedHere().catch(() => false))) return createRooms(options);
      return Promise.allSettled(options.map((o) => placement.createHere(o, () => matchMaker.createRoom(ROOM_NAME, o))));
    },
    reserve: (room, requests) =>
      matchMaker.reserveSeats(
        room,
        requests.map((r) => ({ sessionId: r.sessionId, options: r.options, auth: r.auth })),
      ),
    answering: async (room) => {
      if (matchMaker.isLocal(room.roomId)) return true;
      if (settings.redisUrl === undefined) return false;
      // The room's IPC channel (core's getRoomChannel) has a subscriber while the room lives.
      return (await matchMaker.channels(`$${room.roomId}`)).length > 0;
    },
    seat: (room, sessionId) => matchMaker.seat(room, sessionId),
    capacity: (mode) => (isGameMode(mode) ? settings.capacity[mode] : settings.capacity[DEFAULT_MODE]),
    sessionId: () => matchMaker.sessionId(),
  };
}

/**
 * The matchmaking service: quick play, private rooms and their join codes,
 * where new rooms go, the registry of this process's rooms, and keeping
 * all that true across processes (the Redis watch and recovery, the sweep
 * of dead processes, match migration). One per process. It reaches
 * Colyseus's matchmaker only through `MatchMaker`. The HTTP side in front
 * of it (routes, bodies, CORS, limits, sockets) is in `../http`.
 */
export class Matchmaking {
  readonly codes: JoinCodes;
  readonly redis: RedisLink | undefined;
  /** Match migration between processes (with Redis, unless MATCH_SNAPSHOT_MS=0). */
  readonly migration: Migration | undefined;
  /** Quick play, decided in batches, a turn each. */
  readonly quickPlay: QuickPlayBatcher<JoinOptions, RoomCache, SeatReservation>;
  /** Where new rooms go (Colyseus's selectProcessIdToCreateRoom). */
  readonly placement: RoomPlacement;
  /** Rooms of this process, and the join code of the private ones. */
  readonly #localRooms = new Map<string, string | undefined>();
  readonly #sweep: ProcessSweep | undefined;
  /** The cluster's one quick-play decision at a time (in-process queue, Redis lock when scaled). */
  readonly #turns: QuickPlayQueue;
  /** The matchmaker as quick play sees it: open rooms fullest first, seats. */
  readonly #broker: SeatBroker<JoinOptions, RoomCache, SeatReservation>;

  constructor(
    private readonly matchMaker: MatchMaker,
    settings: Settings,
    readonly log: Logger,
    metrics: Metrics,
    private readonly draining: () => boolean,
  ) {
    this.codes = new JoinCodes(() => matchMaker.presence);
    this.placement = new RoomPlacement(matchMaker, randomInt);
    if (settings.redisUrl !== undefined) {
      this.redis = new RedisLink(settings.redisUrl, log, () => this.restore());
      this.#sweep = new ProcessSweep(log, (roomId) => this.forgetRemoteRoom(roomId));
      if (settings.matchSnapshotMs > 0) {
        this.migration = new Migration(this.redis.client, settings, log, metrics, (roomId) => this.forgetRoom(roomId), draining);
      }
    }
    this.#turns = new QuickPlayQueue(settings.http.quickPlayTurnTimeoutMs, this.redis?.client);
    this.#broker = seatBroker(matchMaker, settings, this.placement);
    this.quickPlay = new QuickPlayBatcher(this.#broker, () => this.#turns.turn(), {
      maxWaitMs: settings.http.quickPlayTurnTimeoutMs,
      unavailable: () => this.unavailable(),
    });
    metrics.quickPlaySeats = () => this.quickPlay.counts;
  }

  /**
   * A quick-play seat (`POST /matchmake/joinOrCreate/arena`): the options
   * pass the room's `onAuth` first, as Colyseus's own joinOrCreate does
   * (it validates and normalises them), then wait for a batch.
   */
  async joinQuickPlay(options: unknown, req: IncomingMessage): Promise<SeatReservation> {
    const { body, auth, mode } = await this.#authenticate(options, req);
    return this.quickPlay.join(mode, body, auth);
  }

  /**
   * Colyseus's `join` (`POST /matchmake/join/arena`: an existing room, never
   * a new one), answered here: the fullest open room of the mode with a free
   * player seat, as quick play picks them. Core's own `join` takes the first
   * unlocked room, and a room full of players stays unlocked while it has
   * spectator seats (rooms/Spectators.ts). Throws Colyseus's 521 when no room
   * has a seat.
   */
  async joinExisting(options: unknown, req: IncomingMessage): Promise<SeatReservation> {
    const { body, auth, mode } = await this.#authenticate(options, req);
    // Each candidate has a free player seat by its listing (`freeSeatsOf`).
    for (const room of await this.#broker.openRooms(mode, 1)) {
      // A room that filled meanwhile, or went, refuses: try the next.
      const seat = await this.#seatIn(room, body, auth).catch(() => undefined);
      if (seat !== undefined) return seat;
    }
    throw new ServerError(ColyseusErrorCode.MATCHMAKE_INVALID_CRITERIA, "no rooms found with provided criteria");
  }

  /**
   * A seat in a listed room by its id (`POST /matchmake/joinById/arena/<id>`,
   * answered by the HTTP gate): the room's onAuth, then its reservation, which
   * judges the seat by role (rooms/Spectators.ts). A refusal is the project's
   * `room_full` or `spectators_full`; core's own joinById would answer a race
   * for the last seats with a bare 523, or 522 once the room locks.
   */
  async joinById(room: RoomCache, options: unknown, req: IncomingMessage): Promise<SeatReservation> {
    const { body, auth } = await this.#authenticate(options, req);
    const seat = await this.#seatIn(room, body, auth);
    if (seat === undefined) throw new ArenaError(isSpectating(body) ? "spectators_full" : "room_full");
    return seat;
  }

  /** The options through the room's static `onAuth` (which validates and normalises them in place), its auth data, and their mode. */
  async #authenticate(options: unknown, req: IncomingMessage): Promise<{ body: JoinOptions; auth: unknown; mode: string }> {
    const body = (options ?? {}) as JoinOptions;
    const result = await this.matchMaker.authenticate(ROOM_NAME, body, req);
    return { body, auth: result === true ? undefined : result, mode: isGameMode(body.mode) ? body.mode : DEFAULT_MODE };
  }

  /** One seat in `room`, as its reservation judges it; undefined when the room refuses. */
  async #seatIn(room: RoomCache, body: JoinOptions, auth: unknown): Promise<SeatReservation | undefined> {
    const sessionId = this.matchMaker.sessionId();
    const [reserved] = await this.matchMaker.reserveSeats(room, [{ sessionId, options: body, auth }]);
    return reserved ? this.matchMaker.seat(room, sessionId) : undefined;
  }

  /** A private room with a new join code, and its creator's seat in it. */
  async createPrivate(options: Record<string, unknown>): Promise<{ code: string; seat: SeatReservation }> {
    const code = await this.codes.claim();
    try {
      return { code, seat: await this.matchMaker.create(ROOM_NAME, { ...options, privateCode: code }) };
    } catch (error) {
      await this.codes.unclaim(code);
      throw error;
    }
  }

  /** The room a private room's (normalised) join code belongs to, or null. */
  roomOfCode(code: string): Promise<string | null> {
    return this.codes.roomOf(code);
  }

  /** A seat in a room by id (a private room's, found by its code). Throws `RoomRefusal` when it is full or gone. */
  seatIn(roomId: string, options: Record<string, unknown>): Promise<SeatReservation> {
    return this.matchMaker.joinById(roomId, options);
  }

  /** Public rooms of the listing (`GET /api/rooms`), and rooms by id (`joinById`'s check). */
  rooms(conditions: Partial<RoomCache>): Promise<RoomCache[]> {
    return this.matchMaker.query(conditions);
  }

  /** Whether this match is between processes right now (migration): its players wait and retry. */
  async migrating(roomId: string): Promise<boolean> {
    return (await this.migration?.migrating(roomId)) === true;
  }

  /** Redis as matchmaking sees it, for /api/health. */
  get redisState(): "unused" | "up" | "down" {
    return this.redis === undefined ? "unused" : this.redis.up ? "up" : "down";
  }

  async start(): Promise<void> {
    this.redis?.start();
    this.#sweep?.start();
    await this.migration?.start();
  }

  stop(): void {
    this.migration?.stop();
    this.#sweep?.stop();
    this.redis?.stop();
  }

  /** Why matchmaking cannot serve a request right now, or null. */
  unavailable(): ErrorCode | null {
    if (this.draining()) return "server_draining";
    if (this.redis !== undefined && !this.redis.up) return "matchmaking_unavailable";
    return null;
  }

  /** An ArenaRoom of this process was created (with its code if private). */
  async roomOpened(roomId: string, code: string | undefined): Promise<void> {
    this.#localRooms.set(roomId, code);
    if (code !== undefined) await this.codes.bind(code, roomId);
  }

  /**
   * An ArenaRoom of this process was disposed. `handedOver`: its match
   * moves to another process (migration), which keeps its join code.
   */
  async roomClosed(roomId: string, handedOver = false): Promise<void> {
    const code = this.#localRooms.get(roomId);
    this.#localRooms.delete(roomId);
    if (code !== undefined && !handedOver) await this.codes.releaseRoom(roomId);
  }

  /**
   * A room of a dead process. A match with a snapshot is left to migration,
   * which restores it (same id, same code) or forgets it; any other goes.
   */
  private async forgetRemoteRoom(roomId: string): Promise<void> {
    if (await this.migration?.has(roomId)) return;
    await this.forgetRoom(roomId);
  }

  /** A room that is gone for good: its code goes, and every lobby drops it. */
  private async forgetRoom(roomId: string): Promise<void> {
    await this.codes.releaseRoom(roomId);
    await this.matchMaker.presence.publish(LOBBY_CHANNEL, `${roomId},1`);
  }

  /**
   * After a Redis outage (possibly a restart that lost everything): register
   * this process again, re-list its rooms, re-bind its codes, and tell the
   * lobbies. (Rows of rooms closed meanwhile, whose removal was lost, go at
   * the next sweeps: ProcessSweep.)
   */
  private async restore(): Promise<void> {
    this.migration?.recheck();
    await this.matchMaker.reregister();
    for (const [roomId, code] of this.#localRooms) {
      if (code !== undefined) await this.codes.bind(code, roomId);
      else await this.matchMaker.presence.publish(LOBBY_CHANNEL, `${roomId},0`);
    }
    this.log.info({ rooms: this.#localRooms.size }, "registrations restored");
  }
}
