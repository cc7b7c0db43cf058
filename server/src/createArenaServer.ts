import "./webSocketGlobal.ts";
import type { AddressInfo } from "node:net";
import { LobbyRoom, defineRoom, defineServer, matchMaker, type Server } from "@colyseus/core";
import { RedisDriver } from "@colyseus/redis-driver";
import { RedisPresence } from "@colyseus/redis-presence";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import express, { type Application, type NextFunction, type Request, type Response } from "express";
import { ROOM_NAME, errorText } from "@arena/shared";
import type { Settings } from "./config.ts";
import type { Logger } from "./logger.ts";
import { matchmakingApi } from "./matchmaking/api.ts";
import { sendError } from "./matchmaking/httpErrors.ts";
import { Matchmaking } from "./matchmaking/Matchmaking.ts";
import { arenaRoomFor } from "./rooms/ArenaRoom.ts";
import { Metrics } from "./Metrics.ts";
import { monitor } from "@colyseus/monitor";
import basicAuth from "express-basic-auth";

/** Server-side ping: a silent connection is dropped after about 3 s x 2. */
const PING_INTERVAL_MS = 3000;
const PING_MAX_RETRIES = 2;
/** The browser client's build (`npm run build -w client`), served at `/` when present. */
const CLIENT_DIST = fileURLToPath(new URL("../../client/dist/", import.meta.url));
/** Extra time after the shutdown deadline before a stuck drain is cut short. */
const DRAIN_OVERRUN_MS = 10_000;

export interface ArenaServer {
  readonly colyseus: Server;
  /** Binds the configured host and port; resolves with the port actually bound. */
  listen(): Promise<number>;
  /**
   * Graceful shutdown (what SIGTERM does): stop matchmaking to this process,
   * let each room finish its round up to the deadline, close the rest with
   * SERVER_DRAINING, then release the port and presence.
   */
  drain(): Promise<void>;
}

export function createArenaServer(settings: Settings, log: Logger): ArenaServer {
  const startedAt = Date.now();
  let status: "starting" | "ok" | "draining" = "starting";
  const scaled = settings.redisUrl !== undefined;
  const metrics = new Metrics();
  const matchmaking = new Matchmaking(settings, log, () => status === "draining", metrics);
  const transport = new WebSocketTransport({
    pingInterval: PING_INTERVAL_MS,
    pingMaxRetries: PING_MAX_RETRIES,
    maxPayload: settings.maxPayloadBytes,
    // Web pages of other sites may not open sockets here (OriginPolicy).
    beforeUpgrade: (request) => {
      if (matchmaking.origins.allows(request.headers.get("origin"), request.headers.get("host"))) return;
      return new Response(JSON.stringify({ code: 403, error: errorText("origin_not_allowed"), errorCode: "origin_not_allowed" }), {
        status: 403, headers: { "content-type": "application/json" },
      });
    },
  });
  const colyseus = defineServer({
    transport,
    greet: false,
    // Signals are handled below, so a drain can outlive Colyseus's default.
    gracefullyShutdown: false,
    publicAddress: settings.publicAddress,
    presence: scaled ? new RedisPresence(settings.redisUrl) : undefined,
    driver: scaled ? new RedisDriver(settings.redisUrl) : undefined,
    selectProcessIdToCreateRoom: scaled ? (roomName: string) => matchmaking.placeRoom(roomName) : undefined,
    rooms: {
      [ROOM_NAME]: defineRoom(arenaRoomFor({ settings, log, matchmaking, metrics }))
        .filterBy(["mode"])
        .sortBy({ clients: -1 })
        .enableRealtimeListing(),
      lobby: defineRoom(LobbyRoom),
    },
    express: (app: Application) => {
      app.get("/api/health", (_req: Request, res: Response) => {
        res.status(status === "ok" ? 200 : 503).json({
          status,
          processId: matchMaker.processId,
          rooms: matchMaker.stats.local.roomCount,
          clients: matchMaker.stats.local.ccu,
          uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
          redis: matchmaking.redis === undefined ? "unused" : matchmaking.redis.up ? "up" : "down",
        });
      });
      app.get("/metrics", async (_req: Request, res: Response) => {
        res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
      });
      if (settings.monitor.enabled) {
        const { password } = settings.monitor;
        if (password === undefined) log.warn("the monitor panel is open without a password (MONITOR_PASSWORD): development only");
        const guard = password === undefined
          ? (_req: Request, _res: Response, next: NextFunction) => next()
          : basicAuth({ users: { admin: password }, challenge: true, realm: "arena-monitor" });
        app.use("/monitor", guard, monitor() as unknown as express.RequestHandler);
      }
      if (settings.testHooks) {
        // Test-only (ENABLE_TEST_HOOKS, refused in production): a room's full state, to check clients against.
        app.get("/api/__test/state/:roomId", (req: Request, res: Response) => {
          const room = matchMaker.getLocalRoomById(String(req.params.roomId));
          if (room === undefined) return void sendError(res, "unknown_room");
          res.json((room.state as { toJSON(): unknown }).toJSON());
        });
      }
      app.use("/api", allowCrossOrigin);
      app.use("/api", matchmakingApi(matchmaking));
      app.use("/api", (_req: Request, res: Response) => sendError(res, "not_found"));
      if (existsSync(CLIENT_DIST)) app.use(express.static(CLIENT_DIST, { index: "index.html", maxAge: "1h" }));
      else log.warn({ path: CLIENT_DIST }, "the browser client is not built (npm run build -w client): serving the API only");
    },
  });

  let draining: Promise<void> | undefined;
  return {
    colyseus,
    async listen() {
      await colyseus.listen(settings.port, settings.host);
      matchmaking.installGate(transport.server!);
      matchmaking.start();
      status = "ok";
      return (transport.server!.address() as AddressInfo).port;
    },
    drain() {
      draining ??= (async () => {
        status = "draining";
        log.info({ deadlineSeconds: settings.shutdownDeadlineSeconds }, "draining: no new players, rounds play on until the deadline");
        const overrun = setTimeout(() => {
          log.error("drain overran the shutdown deadline; exiting");
          process.exit(1);
        }, settings.shutdownDeadlineSeconds * 1000 + DRAIN_OVERRUN_MS);
        overrun.unref();
        await colyseus.gracefullyShutdown(false);
        matchmaking.stop();
        clearTimeout(overrun);
        log.info("drained");
      })();
      return draining;
    },
  };
}

/**
 * The API answers pages from any origin, so the client's dev server
 * (`npm run dev`) can use it. Colyseus's /matchmake routes do the same.
 */
function allowCrossOrigin(req: Request, res: Response, next: NextFunction): void {
  res.setHeader("access-control-allow-origin", "*");
  if (req.method !== "OPTIONS") return next();
  res.setHeader("access-control-allow-methods", "GET, POST");
  res.setHeader("access-control-allow-headers", "content-type");
  res.status(204).end();
}
