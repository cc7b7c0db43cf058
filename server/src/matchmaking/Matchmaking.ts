import { randomInt } from "node:crypto";
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { matchMaker } from "@colyseus/core";
import { ROOM_NAME, type ErrorCode } from "@arena/shared";
import type { Settings } from "../config.ts";
import type { Logger } from "../logger.ts";
import { clientAddress, compileTrust, type TrustFn } from "./clientAddress.ts";
import { sendError } from "./httpErrors.ts";
import { JoinCodes } from "./JoinCodes.ts";
import { RateLimits, type LimitKind } from "./RateLimits.ts";
import { RedisLink } from "./RedisLink.ts";
import type { Metrics } from "../Metrics.ts";
import { ProcessSweep } from "./ProcessSweep.ts";
import { QuickPlayQueue } from "./QuickPlayQueue.ts";
import { OriginPolicy } from "./OriginPolicy.ts";

const LOBBY_CHANNEL = "$lobby"; // Colyseus's LobbyRoom channel (core/src/matchmaker/Lobby.ts)

/** Which limits each Colyseus matchmaking method spends. */
const LIMITS_BY_METHOD: Record<string, LimitKind[]> = {
  create: ["creates", "joins"],
  joinOrCreate: ["joins"],
  join: ["joins"],
  joinById: ["joins"],
  reconnect: ["joins"],
};

/**
 * Everything around Colyseus's matchmaker that this project adds: join
 * codes, per-address rate limits, the Redis watch (fast 503s, recovery) and
 * the sweep of dead processes. One per process.
 */
export class Matchmaking {
  readonly codes = new JoinCodes(() => matchMaker.presence);
  readonly limits: RateLimits;
  readonly redis: RedisLink | undefined;
  /** Rooms of this process, and the join code of the private ones. */
  readonly #localRooms = new Map<string, string | undefined>();
  readonly #trust: TrustFn;
  readonly #sweep: ProcessSweep | undefined;
  readonly #quickPlay: QuickPlayQueue;
  readonly origins: OriginPolicy;

  constructor(settings: Settings, readonly log: Logger, private readonly draining: () => boolean, private readonly metrics?: Metrics) {
    this.#trust = compileTrust(settings.trustedProxies);
    this.origins = new OriginPolicy(settings.allowedOrigins);
    if (settings.redisUrl !== undefined) {
      this.redis = new RedisLink(settings.redisUrl, log, () => this.restore());
      this.#sweep = new ProcessSweep(log, (roomId) => this.forgetRemoteRoom(roomId));
    }
    this.limits = new RateLimits(settings.rateLimits, this.redis?.client);
    this.#quickPlay = new QuickPlayQueue(this.redis?.client);
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
   * Puts this project's checks in front of Colyseus's `/matchmake/*` routes,
   * which Colyseus answers before any Express middleware: availability,
   * per-address limits, and failed joins by room id counted as failures.
   */
  installGate(http: HttpServer): void {
    this.gateUpgrades(http);
    const listeners = http.listeners("request") as ((req: IncomingMessage, res: ServerResponse) => void)[];
    http.removeAllListeners("request");
    http.on("request", (req: IncomingMessage, res: ServerResponse) => {
      this.time(req, res);
      this.gate(req, res).then(
        (handled) => { if (!handled) for (const listener of listeners) listener.call(http, req, res); },
        (err: unknown) => {
          this.log.error({ err }, "matchmaking gate failed");
          if (!res.headersSent) sendError(res, "matchmaking_unavailable");
        },
      );
    });
  }

  /**
   * WebSocket upgrades are limited per client address (from the socket, or
   * trusted proxies) before the transport sees them: a burst of connections
   * from one address gets 429 and costs nothing else.
   */
  private gateUpgrades(http: HttpServer): void {
    type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
    const listeners = http.listeners("upgrade") as UpgradeListener[];
    http.removeAllListeners("upgrade");
    http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on("error", () => {});
      this.limits.take("connections", this.addressOf(req)).then((wait) => {
        if (wait === null) {
          for (const listener of listeners) listener.call(http, req, socket, head);
          return;
        }
        const body = JSON.stringify({ code: 429, error: "rate_limited: Too many connections from your address.", errorCode: "rate_limited" });
        socket.end(`HTTP/1.1 429 Too Many Requests\r\nRetry-After: ${wait}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      }, () => socket.destroy());
    });
  }

  /** Matchmaking latency, from request to response, for /matchmake/* and the /api room routes. */
  private time(req: IncomingMessage, res: ServerResponse): void {
    if (this.metrics === undefined || req.method !== "POST" && !req.url?.startsWith("/api/rooms")) return;
    const [, prefix, method] = (req.url ?? "").split("?")[0].split("/");
    const label = prefix === "matchmake" ? method : prefix === "api" && /^(rooms|private-rooms)$/.test(method ?? "") ? `api:${method}` : undefined;
    if (label === undefined) return;
    const started = performance.now();
    res.once("finish", () => {
      this.metrics!.matchmaking.observe({ method: label, status: `${Math.floor(res.statusCode / 100)}xx` }, (performance.now() - started) / 1000);
    });
  }

  private async gate(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const [, prefix, method, target] = (req.url ?? "").split("?")[0].split("/");
    if ((prefix === "matchmake" || prefix === "api") && !this.origins.allows(req.headers.origin, req.headers.host)) {
      sendError(res, "origin_not_allowed");
      return true;
    }
    if (req.method !== "POST" || prefix !== "matchmake") return false;
    const unavailable = this.unavailable();
    if (unavailable !== null) {
      sendError(res, unavailable);
      return true;
    }
    const address = this.addressOf(req);
    if (method === "joinById") {
      const wait = await this.limits.exhausted("failedJoins", address);
      if (wait !== null) {
        sendError(res, "rate_limited", "Too many failed joins from your address. Wait before trying again.", wait);
        return true;
      }
      res.once("finish", () => {
        if (res.statusCode >= 400) void this.limits.take("failedJoins", address).catch(() => {});
      });
    }
    if (!(await this.allow(LIMITS_BY_METHOD[method] ?? ["joins"], address, res))) return true;
    if (method === "joinById") {
      // Colyseus answers these with its own status 522; give a plain 404 or 409.
      const [room] = await matchMaker.query({ roomId: decodeURIComponent(target ?? "") });
      if (room === undefined || room.private) {
        sendError(res, "unknown_room");
        return true;
      }
      if (room.locked) {
        sendError(res, "room_full");
        return true;
      }
    }
    if (method === "joinOrCreate") {
      const done = await this.#quickPlay.turn();
      res.once("close", done);
    }
    return false;
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
