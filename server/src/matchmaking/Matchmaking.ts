import { randomInt } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { matchMaker } from "@colyseus/core";
import { ROOM_NAME, type ErrorCode } from "@arena/shared";
import type { Settings } from "../config.ts";
import type { Logger } from "../logger.ts";
import { clientAddress, compileTrust, type TrustFn } from "./clientAddress.ts";
import { sendError } from "./httpErrors.ts";
import { JoinCodes } from "./JoinCodes.ts";
import { RateLimits, type LimitKind } from "./RateLimits.ts";
import { RedisLink } from "./RedisLink.ts";
import { ProcessSweep } from "./ProcessSweep.ts";
import { QuickPlayQueue } from "./QuickPlayQueue.ts";
import { OriginPolicy } from "./OriginPolicy.ts";

const LOBBY_CHANNEL = "$lobby"; // Colyseus's LobbyRoom channel (core/src/matchmaker/Lobby.ts)

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
  /** Rooms of this process, and the join code of the private ones. */
  readonly #localRooms = new Map<string, string | undefined>();
  readonly #trust: TrustFn;
  readonly #sweep: ProcessSweep | undefined;
  readonly quickPlay: QuickPlayQueue;
  readonly origins: OriginPolicy;

  constructor(settings: Settings, readonly log: Logger, private readonly draining: () => boolean) {
    this.#trust = compileTrust(settings.trustedProxies);
    this.origins = new OriginPolicy(settings.allowedOrigins);
    if (settings.redisUrl !== undefined) {
      this.redis = new RedisLink(settings.redisUrl, log, () => this.restore());
      this.#sweep = new ProcessSweep(log, (roomId) => this.forgetRemoteRoom(roomId));
    }
    this.limits = new RateLimits(settings.rateLimits, this.redis?.client);
    this.quickPlay = new QuickPlayQueue(settings.http.quickPlayTurnTimeoutMs, this.redis?.client);
  }

  start(): void {
    this.redis?.start();
    this.#sweep?.start();
  }

  stop(): void {
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
    if (matches.size === 0) return matchMaker.processId;
    const fewest = Math.min(...matches.values());
    const best = [...matches].filter(([, count]) => count === fewest).map(([id]) => id);
    return best[randomInt(best.length)];
  }

  /** An ArenaRoom of this process was created (with its code if private). */
  async roomOpened(roomId: string, code: string | undefined): Promise<void> {
    this.#localRooms.set(roomId, code);
    if (code !== undefined) await this.codes.bind(code, roomId);
  }

  async roomClosed(roomId: string): Promise<void> {
    const code = this.#localRooms.get(roomId);
    this.#localRooms.delete(roomId);
    if (code !== undefined) await this.codes.releaseRoom(roomId);
  }

  /** A room of a dead process: its code goes, and every lobby drops it. */
  private async forgetRemoteRoom(roomId: string): Promise<void> {
    await this.codes.releaseRoom(roomId);
    await matchMaker.presence.publish(LOBBY_CHANNEL, `${roomId},1`);
  }

  /**
   * After a Redis outage (possibly a restart that lost everything): register
   * this process again, re-list its rooms, re-bind its codes, and tell the
   * lobbies.
   */
  private async restore(): Promise<void> {
    await matchMaker.stats.persist(true);
    await matchMaker.restoreMissingRoomCaches();
    for (const [roomId, code] of this.#localRooms) {
      if (code !== undefined) await this.codes.bind(code, roomId);
      else await matchMaker.presence.publish(LOBBY_CHANNEL, `${roomId},0`);
    }
    this.log.info({ rooms: this.#localRooms.size }, "registrations restored");
  }
}
