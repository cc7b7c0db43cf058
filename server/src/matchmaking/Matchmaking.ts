import { randomInt } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { ErrorCode as ColyseusErrorCode, ServerError, createAuthContext, generateId, matchMaker, type IRoomCache } from "@colyseus/core";
import { DEFAULT_MODE, ROOM_NAME, isGameMode, type ErrorCode } from "@arena/shared";
import type { Settings } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../Metrics.ts";
import { Migration } from "../migration/Migration.ts";
import { clientAddress, compileTrust, type TrustFn } from "./clientAddress.ts";
import { sendError } from "./httpErrors.ts";
import { JoinCodes } from "./JoinCodes.ts";
import { RateLimits, type LimitKind } from "./RateLimits.ts";
import { RedisLink } from "./RedisLink.ts";
import { ProcessSweep } from "./ProcessSweep.ts";
import { QuickPlayQueue } from "./QuickPlayQueue.ts";
import { QuickPlayBatcher, type SeatBroker } from "./QuickPlayBatcher.ts";
import { OriginPolicy } from "./OriginPolicy.ts";

const LOBBY_CHANNEL = "$lobby"; // Colyseus's LobbyRoom channel (core/src/matchmaker/Lobby.ts)

/** What a client gets for a seat (Colyseus's seat reservation). */
type ISeatReservation = ReturnType<typeof matchMaker.buildSeatReservation>;

/** Quick play's join options, once the room's onAuth has normalised them. */
type JoinOptions = { mode?: unknown } & Record<string, unknown>;

/** Colyseus's matchmaker as quick play's batches use it. */
function colyseusSeats(settings: Settings, placing: <T>(create: () => Promise<T>) => Promise<T>): SeatBroker<JoinOptions, IRoomCache, ISeatReservation> {
  return {
    openRooms: async (mode) => {
      // A listed room with no one in it and no seat reserved is being disposed (autoDispose).
      const query = Promise.resolve(matchMaker.driver.query({ name: ROOM_NAME, locked: false, private: false, mode } as Partial<IRoomCache>, { clients: -1 }))
        .then((rooms) => rooms.filter((room) => room.clients > 0));
      if (settings.redisUrl === undefined) return query;
      // A room answers seat reservations on its Redis channel (`$<roomId>`, core's
      // getRoomChannel). A listed room without one (disposed, its listing not yet
      // removed, or its process dead before the sweep) would hold the batch, and the
      // cluster's turn, for the IPC timeout (2 s) before refusing: it is skipped.
      const [rooms, channels] = await Promise.all([query, matchMaker.presence.channels("$*")]);
      const answering = new Set(channels);
      return rooms.filter((room) => answering.has(`$${room.roomId}`));
    },
    createRooms: (options) => placing(() => Promise.allSettled(options.map((o) => matchMaker.createRoom(ROOM_NAME, o)))),
    reserve: (room, requests) => matchMaker.reserveMultipleSeatsFor(room, requests.map((r) => ({ sessionId: r.sessionId, options: r.options, auth: r.auth }))),
    answering: async (room) => {
      if (matchMaker.getLocalRoomById(room.roomId) !== undefined) return true;
      if (settings.redisUrl === undefined) return false;
      // The room's IPC channel (core's getRoomChannel) has a subscriber while the room lives.
      return (await matchMaker.presence.channels(`$${room.roomId}`)).length > 0;
    },
    seat: (room, sessionId) => matchMaker.buildSeatReservation(room, sessionId),
    capacity: (mode) => (isGameMode(mode) ? settings.capacity[mode] : settings.capacity[DEFAULT_MODE]),
    sessionId: () => generateId(),
  };
}

/**
 * Everything around Colyseus's matchmaker that this project adds: join
 * codes, per-address rate limits, the quick-play queue, the Redis watch
 * (fast 503s, recovery) and the sweep of dead processes. One per process.
 * The HTTP side in front of it (routes, bodies, CORS, sockets) is `HttpGate`.
 */
export class Matchmaking {
  readonly codes = new JoinCodes(() => matchMaker.presence);
  readonly limits: RateLimits;
  readonly redis: RedisLink | undefined;
  /** Match migration between processes (with Redis, unless MATCH_SNAPSHOT_MS=0). */
  readonly migration: Migration | undefined;
  /** Rooms of this process, and the join code of the private ones. */
  readonly #localRooms = new Map<string, string | undefined>();
  readonly #trust: TrustFn;
  readonly #sweep: ProcessSweep | undefined;
  /** The cluster's one quick-play decision at a time (in-process queue, Redis lock when scaled). */
  readonly #turns: QuickPlayQueue;
  /** Quick play, decided in batches, a turn each. */
  readonly quickPlay: QuickPlayBatcher<JoinOptions, IRoomCache, ISeatReservation>;
  readonly origins: OriginPolicy;
  /**
   * While quick play creates a batch's rooms side by side: how many of them
   * `placeRoom` has sent to each process so far (not listed yet). Emptied
   * when the last of those creations has answered.
   */
  readonly #batchPlacing = new Map<string, number>();
  #batchCreations = 0;

  constructor(settings: Settings, readonly log: Logger, metrics: Metrics, private readonly draining: () => boolean) {
    this.#trust = compileTrust(settings.trustedProxies);
    this.origins = new OriginPolicy(settings.allowedOrigins);
    if (settings.redisUrl !== undefined) {
      this.redis = new RedisLink(settings.redisUrl, log, () => this.restore());
      this.#sweep = new ProcessSweep(log, (roomId) => this.forgetRemoteRoom(roomId));
      if (settings.matchSnapshotMs > 0) {
        this.migration = new Migration(this.redis.client, settings, log, metrics, (roomId) => this.forgetRoom(roomId), draining);
      }
    }
    this.limits = new RateLimits(settings.rateLimits, this.redis?.client);
    this.#turns = new QuickPlayQueue(settings.http.quickPlayTurnTimeoutMs, this.redis?.client);
    this.quickPlay = new QuickPlayBatcher(colyseusSeats(settings, (create) => this.placingBatch(create)), () => this.#turns.turn(), {
      maxWaitMs: settings.http.quickPlayTurnTimeoutMs,
      unavailable: () => this.unavailable(),
    });
  }

  /**
   * A quick-play seat (`POST /matchmake/joinOrCreate/arena`): the options
   * pass the room's `onAuth` first, as Colyseus's own joinOrCreate does
   * (it validates and normalises them), then wait for a batch.
   */
  async joinQuickPlay(options: unknown, req: IncomingMessage): Promise<ISeatReservation> {
    const roomClass = matchMaker.getRoomClass(ROOM_NAME) as unknown as { onAuth(token: string | undefined, options: unknown, context: unknown): Promise<unknown> };
    const context = createAuthContext({ headers: req.headers as Record<string, string>, req });
    const body = (options ?? {}) as JoinOptions;
    const result = await roomClass.onAuth(context.token, body, context);
    if (result === false || result === null || result === undefined) throw new ServerError(ColyseusErrorCode.AUTH_FAILED, "onAuth failed");
    const mode = isGameMode(body.mode) ? body.mode : DEFAULT_MODE;
    return this.quickPlay.join(mode, body, result === true ? undefined : result);
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

  addressOf(req: IncomingMessage): string {
    return clientAddress(req, this.#trust);
  }

  /** Spends the limits; answers 429 and returns false when one is used up. */
  async allow(kinds: readonly LimitKind[], address: string, res: ServerResponse): Promise<boolean> {
    for (const kind of kinds) {
      const wait = await this.limits.take(kind, address);
      if (wait !== null) {
        sendError(res, "rate_limited", undefined, wait);
        this.log.warn({ address, limit: kind }, "rate limited");
        return false;
      }
    }
    return true;
  }

  /**
   * Which process creates the next room (Colyseus's selectProcessIdToCreateRoom).
   * A lobby is created where it was asked for, so each process serves its own
   * lobby. A match goes to the live process hosting the fewest matches, ties
   * broken at random. Live means subscribed to its Redis channel, so a process
   * that just died is never picked, even before the sweep removes it. Counts
   * come from the room listings, which change with every room, not from
   * Colyseus's process stats, which are written at most once a second and
   * would send a burst of new rooms to the same process.
   */
  async placeRoom(roomName: string): Promise<string> {
    if (roomName !== ROOM_NAME) return matchMaker.processId;
    const [stats, channels, rooms] = await Promise.all([
      matchMaker.stats.fetchAll(), matchMaker.presence.channels("p:*"), matchMaker.driver.query({ name: ROOM_NAME }),
    ]);
    // Registered in this deployment's database (Redis pub/sub channels are
    // shared by every database of a server) and still subscribed.
    const live = new Set(channels.map((c) => c.slice(2)));
    const matches = new Map(stats.filter((s) => live.has(s.processId)).map((s) => [s.processId, 0]));
    for (const room of rooms) {
      const count = matches.get(room.processId);
      if (count !== undefined) matches.set(room.processId, count + 1);
    }
    // Rooms a batch is creating right now are not listed yet.
    for (const [processId, count] of this.#batchPlacing) {
      const listed = matches.get(processId);
      if (listed !== undefined) matches.set(processId, listed + count);
    }
    if (matches.size === 0) return matchMaker.processId;
    const fewest = Math.min(...matches.values());
    const best = [...matches].filter(([, count]) => count === fewest).map(([id]) => id);
    const chosen = best[randomInt(best.length)];
    if (this.#batchCreations > 0) this.#batchPlacing.set(chosen, (this.#batchPlacing.get(chosen) ?? 0) + 1);
    return chosen;
  }

  /** Runs a batch's room creations with `placeRoom` counting the rooms they place until all have answered. */
  private async placingBatch<T>(create: () => Promise<T>): Promise<T> {
    this.#batchCreations++;
    try {
      return await create();
    } finally {
      if (--this.#batchCreations === 0) this.#batchPlacing.clear();
    }
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
    await matchMaker.presence.publish(LOBBY_CHANNEL, `${roomId},1`);
  }

  /**
   * After a Redis outage (possibly a restart that lost everything): register
   * this process again, re-list its rooms, re-bind its codes, and tell the
   * lobbies.
   */
  private async restore(): Promise<void> {
    this.migration?.recheck();
    await matchMaker.stats.persist(true);
    await matchMaker.restoreMissingRoomCaches();
    for (const [roomId, code] of this.#localRooms) {
      if (code !== undefined) await this.codes.bind(code, roomId);
      else await matchMaker.presence.publish(LOBBY_CHANNEL, `${roomId},0`);
    }
    this.log.info({ rooms: this.#localRooms.size }, "registrations restored");
  }
}
