import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import { ErrorCode as ColyseusErrorCode, ServerError } from "@colyseus/core";
import { COLYSEUS_STATUS, DEFAULT_MODE, ErrorCode, ROOM_NAME, countIn, isSpectating, readListing, type ErrorCode as ErrorCodeName } from "@arena/shared";
import { ArenaError } from "../ArenaError.ts";
import type { HttpSettings } from "../config.ts";
import type { Metrics } from "../Metrics.ts";
import { errorJson, sendError, sendErrorJson } from "./httpErrors.ts";
import type { Matchmaking } from "../matchmaking/Matchmaking.ts";
import type { Admission } from "./Admission.ts";
import { QuickPlayRefused } from "../matchmaking/QuickPlayBatcher.ts";
import type { LimitKind } from "./RateLimits.ts";
import { discardSmallBody, hasBody, readJsonBody, stopReading } from "./requestBody.ts";
import { latencyLabel, routeOf, type MatchmakeMethod, type RequestRoute } from "./requestRoute.ts";
import { UpgradeGate } from "./UpgradeGate.ts";

/** Which limits each Colyseus matchmaking method spends. */
const LIMITS_BY_METHOD: Record<MatchmakeMethod, LimitKind[]> = {
  create: ["creates", "joins"],
  joinOrCreate: ["joins"],
  join: ["joins"],
  joinById: ["joins"],
  reconnect: ["joins"],
};

/** How long a client whose request body was left unread has to read its answer before the connection is cut. */
const UNREAD_LINGER_MS = 1000;

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The game port's HTTP side, in front of Colyseus's router and Express, which
 * Colyseus's own `/matchmake/*` routes reach first: every request is routed
 * once on the path its router will use (`routeOf`), bodies of `/matchmake`
 * and `/api` are read here with one size limit and deadline, CORS headers
 * go to allowed origins only, and matchmaking requests pass availability,
 * per-address limits and the quick-play queue. WebSocket upgrades go through
 * `UpgradeGate`.
 */
export class HttpGate {
  readonly #upgrades: UpgradeGate;

  constructor(
    private readonly matchmaking: Matchmaking,
    private readonly admission: Admission,
    private readonly settings: HttpSettings,
    private readonly metrics?: Metrics,
  ) {
    this.#upgrades = new UpgradeGate(admission, settings.maxSocketsPerAddress);
  }

  /** Wraps the server's request and upgrade listeners (after Colyseus has installed its own). */
  install(http: HttpServer): void {
    this.#upgrades.install(http);
    const listeners = http.listeners("request") as RequestListener[];
    http.removeAllListeners("request");
    http.on("request", (req: IncomingMessage, res: ServerResponse) => {
      const route = routeOf(req);
      this.time(route, req, res);
      this.gate(route, req, res).then(
        (handled) => {
          if (!handled) for (const listener of listeners) listener.call(http, req, res);
        },
        (err: unknown) => {
          this.admission.log.error({ err }, "matchmaking gate failed");
          if (!res.headersSent) sendError(res, "matchmaking_unavailable");
        },
      );
    });
  }

  /** Answers the request itself and returns true, or returns false to pass it on. */
  private async gate(route: RequestRoute, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (route.kind === "refused") {
      return this.refuse(req, res, route.code, route.code === "bad_request" ? "The request's path (with its Host) is not in normal form." : undefined);
    }
    if (route.kind !== "other" && !this.crossOrigin(req, res)) return true;
    // Only POSTs to /matchmake and /api carry a body; anywhere else one is refused unread.
    if (route.kind === "other" || req.method !== "POST") {
      if (hasBody(req)) return this.refuse(req, res, "payload_too_large", "This route takes no request body.");
      return route.kind === "matchmake" ? this.refuse(req, res, "not_found") : false;
    }
    if (route.kind === "matchmake") {
      const unavailable = this.matchmaking.unavailable();
      if (unavailable !== null) return this.refuse(req, res, unavailable);
    }
    const outcome = await readJsonBody(req, this.settings.requestBodyTimeoutMs);
    if (!outcome.ok) return this.refuse(req, res, outcome.code, outcome.detail);
    // @colyseus/better-call's getRequest (Colyseus's router) uses an existing `req.body` instead of reading the stream.
    (req as IncomingMessage & { body?: unknown }).body = outcome.value;
    return route.kind === "matchmake" ? this.matchmake(route, req, res) : false;
  }

  /**
   * Answers with an error. A small body (a declared length within the limit)
   * that arrives within UNREAD_LINGER_MS is read to its end and dropped
   * first, so the client may reuse the connection: a client sends one right
   * behind its headers. Any other body left unread (larger, undeclared,
   * slower, or one whose deadline has already passed: `request_timeout`) is
   * held back by TCP, not read and discarded (which Node would otherwise do
   * after the answer, all 40 MB of it); closing at once would reset the
   * connection under a client still sending, which then never sees its
   * answer, so it gets UNREAD_LINGER_MS to read it before the connection is
   * cut. Either way a refusal holds a connection at most twice that.
   */
  private refuse(req: IncomingMessage, res: ServerResponse, code: ErrorCodeName, detail?: string): true {
    const cut = () =>
      stopReading(req, () => {
        if (!req.complete) {
          // Cut only if the body is still not all here by then: a short rest that arrived after all (read into the
          // parser's buffer) leaves the connection as good as any, and the client may be using it again.
          res.once("finish", () => setTimeout(() => req.complete || req.socket.destroy(), UNREAD_LINGER_MS).unref());
        }
        sendError(res, code, detail);
      });
    if (code === "request_timeout") cut();
    else discardSmallBody(req, UNREAD_LINGER_MS, (whole) => (whole ? sendError(res, code, detail) : cut()));
    return true;
  }

  /**
   * CORS for the routes a browser client calls (/matchmake, /api): a page of
   * an allowed origin (OriginPolicy) gets exactly its origin back, with
   * credentials allowed since the SDK sends its requests with
   * `credentials: "include"` (the server sets no cookies, so they carry
   * nothing); other sites' pages get 403. Preflights are answered here.
   * Returns false when the request is answered.
   */
  private crossOrigin(req: IncomingMessage, res: ServerResponse): boolean {
    const origin = req.headers.origin;
    if (!this.admission.origins.allows(origin, req.headers.host)) {
      this.refuse(req, res, "origin_not_allowed");
      return false;
    }
    res.setHeader("vary", "Origin");
    if (origin !== undefined && origin !== "") {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("access-control-allow-credentials", "true");
    }
    if (req.method !== "OPTIONS") return true;
    if (hasBody(req)) {
      this.refuse(req, res, "payload_too_large", "This route takes no request body.");
      return false;
    }
    res
      .writeHead(204, {
        "access-control-allow-methods": "GET, POST",
        "access-control-allow-headers": "content-type",
        "access-control-max-age": "600",
      })
      .end();
    return false;
  }

  /** Limits, failed joins by id, and the quick-play turn, once the whole body is here. */
  private async matchmake(route: Extract<RequestRoute, { kind: "matchmake" }>, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const address = this.admission.addressOf(req);
    const { limits } = this.admission;
    if (route.method === "joinById") {
      const wait = await limits.exhausted("failedJoins", address);
      if (wait !== null) {
        sendError(res, "rate_limited", "Too many failed joins from your address. Wait before trying again.", wait);
        return true;
      }
      // A room that is full (409) is no guess at a room id: only other refusals count.
      res.once("finish", () => {
        if (res.statusCode >= 400 && res.statusCode !== 409) void limits.take("failedJoins", address).catch(() => {});
      });
    }
    if (!(await this.admission.allow(LIMITS_BY_METHOD[route.method], address, res))) return true;
    const spectating = isSpectating((req as { body?: unknown }).body);
    if (spectating && route.method !== "joinById") {
      sendError(res, "bad_options", "Spectators join a room by its id (joinById) or a private room by its code, not through quick play or a new room.");
      return true;
    }
    if (route.method === "joinById") {
      // Colyseus answers these with its own status 522; give a plain 404 or 409.
      const [room] = await this.matchmaking.rooms({ roomId: route.target });
      if (room === undefined || room.private) {
        sendError(res, "unknown_room");
        return true;
      }
      // Each role has its own seats (rooms/Spectators.ts); the room decides again when it reserves one.
      const listing = readListing(room, DEFAULT_MODE);
      if (spectating && (room.locked || listing.spectators >= (countIn(room.metadata, "maxSpectators") ?? 0))) {
        sendError(res, "spectators_full");
        return true;
      }
      if (!spectating && listing.locked) {
        sendError(res, "room_full");
        return true;
      }
      await this.answerSeat(req, res, () => this.matchmaking.joinById(room, (req as { body?: unknown }).body, req));
      return true;
    }
    if (route.method === "reconnect" && typeof (req as { body?: { reconnectionToken?: unknown } }).body?.reconnectionToken !== "string") {
      sendError(res, "bad_options", "A reconnection needs its reconnectionToken.");
      return true;
    }
    // A match between processes (migration) has no room to answer yet: say so at
    // once, rather than after core's 2 s wait on a dead process or "disposed". The
    // try is given back: its players retry every few hundred milliseconds until the
    // match is up, and a group behind one address (a LAN party) would otherwise use
    // up the joins limit and lose their seats waiting for it to refill.
    if (route.method === "reconnect" && (await this.matchmaking.migrating(route.target))) {
      await limits.refund("joins", address);
      sendError(res, "match_migrating");
      return true;
    }
    if (route.method === "joinOrCreate" && route.target === ROOM_NAME) {
      await this.answerSeat(req, res, () => this.matchmaking.joinQuickPlay((req as { body?: unknown }).body, req));
      return true;
    }
    if (route.method === "join" && route.target === ROOM_NAME) {
      await this.answerSeat(req, res, () => this.matchmaking.joinExisting((req as { body?: unknown }).body, req));
      return true;
    }
    mapColyseusStatus(res);
    return false;
  }

  /**
   * Quick play and joins of an existing room, answered here rather than by
   * Colyseus's joinOrCreate and join: the seat comes from a batch
   * (`QuickPlayBatcher`), or from the fullest room with a free player seat
   * (`joinExisting`); the answer and the errors are the ones Colyseus's route
   * would give (its seat reservation as JSON, its `{ code, error }` with the
   * statuses of COLYSEUS_STATUS), and the project's own errors for a busy
   * or failed decision.
   */
  private async answerSeat(req: IncomingMessage, res: ServerResponse, decide: () => Promise<unknown>): Promise<void> {
    try {
      const seat = await decide();
      if (res.destroyed) return;
      const json = JSON.stringify(seat);
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(json) }).end(json);
    } catch (error) {
      if (res.headersSent || res.destroyed) return;
      if (error instanceof QuickPlayRefused) {
        if (error.reason === "unavailable" && error.code !== undefined && Object.hasOwn(ErrorCode, error.code)) {
          sendError(res, error.code as ErrorCodeName);
          return;
        }
        sendError(res, "matchmaking_unavailable", error.message);
        if (error.reason === "failed") this.admission.log.warn({ err: error.cause }, "quick play found no seat");
        return;
      }
      const code = error instanceof ServerError ? error.code : ColyseusErrorCode.MATCHMAKE_UNHANDLED;
      const message = error instanceof Error ? error.message : String(error);
      if (!(error instanceof ServerError)) this.admission.log.error({ err: error }, "matchmaking failed to find a seat");
      // The project's refusals (the room's onAuth) carry their own code.
      sendErrorJson(res, COLYSEUS_STATUS[code] ?? code, errorJson(code, message, error instanceof ArenaError ? error.errorCode : undefined));
    }
  }

  /** Matchmaking latency, from request to response, for /matchmake/* and the /api room routes. */
  private time(route: RequestRoute, req: IncomingMessage, res: ServerResponse): void {
    const label = this.metrics === undefined ? undefined : latencyLabel(route, req.method);
    if (label === undefined) return;
    const started = performance.now();
    res.once("finish", () => {
      this.metrics!.matchmaking.observe({ method: label, status: `${Math.floor(res.statusCode / 100)}xx` }, (performance.now() - started) / 1000);
    });
  }
}

/** Colyseus's routes answer with its own codes as the status; the status line gets the HTTP one they mean (COLYSEUS_STATUS). */
function mapColyseusStatus(res: ServerResponse): void {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = (status: number, ...rest: unknown[]) => writeHead(COLYSEUS_STATUS[status] ?? status, ...rest);
}
