import "./webSocketGlobal.ts";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { defineRoom, defineServer, matchMaker, type Server } from "@colyseus/core";
import { RedisDriver } from "@colyseus/redis-driver";
import { RedisPresence } from "@colyseus/redis-presence";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import express, { type Application, type Request, type Response } from "express";
import { ROOM_NAME } from "@arena/shared";
import type { Settings } from "./config.ts";
import type { Logger } from "./logger.ts";
import { matchmakingApi } from "./matchmaking/api.ts";
import { errorBody, sendError } from "./matchmaking/httpErrors.ts";
import { HttpGate } from "./matchmaking/HttpGate.ts";
import { Matchmaking } from "./matchmaking/Matchmaking.ts";
import { arenaRoomFor } from "./rooms/ArenaRoom.ts";
import { arenaLobbyFor } from "./rooms/ArenaLobby.ts";
import { Metrics } from "./Metrics.ts";
import { listenForMonitoring, type MonitoringServer } from "./monitoringServer.ts";

/** Server-side ping: a silent connection is dropped after about 3 s x 2. */
const PING_INTERVAL_MS = 3000;
const PING_MAX_RETRIES = 2;
/** The browser client's build (`npm run build -w client`), served at `/` when present. */
const CLIENT_DIST = fileURLToPath(new URL("../../client/dist/", import.meta.url));
/** Extra time after the shutdown deadline before a stuck drain is cut short. */
const DRAIN_OVERRUN_MS = 10_000;
/** How often Node checks requests against REQUEST_TIMEOUT_MS (its default, 30 s, would let a slow one last that long). */
const REQUEST_TIMEOUT_CHECK_MS = 1000;

export interface ArenaServer {
  readonly colyseus: Server;
  /**
   * Binds the configured host and port, and the monitoring listener
   * (/metrics, /monitor) at METRICS_HOST:METRICS_PORT; resolves with the
   * game port actually bound.
   */
  listen(): Promise<number>;
  /** The monitoring listener's port, once listening. */
  readonly metricsPort: number | undefined;
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
  const matchmaking = new Matchmaking(settings, log, metrics, () => status === "draining");
  const transport = new WebSocketTransport({
    // Slow headers and bodies are cut (Node answers 408) after REQUEST_TIMEOUT_MS.
    server: createServer({
      headersTimeout: settings.http.requestTimeoutMs,
      requestTimeout: settings.http.requestTimeoutMs,
      connectionsCheckingInterval: REQUEST_TIMEOUT_CHECK_MS,
    }),
    pingInterval: PING_INTERVAL_MS,
    pingMaxRetries: PING_MAX_RETRIES,
    maxPayload: settings.maxPayloadBytes,
    // Web pages of other sites may not open sockets here (OriginPolicy).
    beforeUpgrade: (request) => {
      if (matchmaking.origins.allows(request.headers.get("origin"), request.headers.get("host"))) return;
      return new Response(errorBody("origin_not_allowed"), {
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
      [ROOM_NAME]: defineRoom(arenaRoomFor({ settings, log, matchmaking, metrics, migration: matchmaking.migration }))
        .filterBy(["mode"])
        .sortBy({ clients: -1 })
        .enableRealtimeListing(),
      lobby: defineRoom(arenaLobbyFor({ settings, log, matchmaking, metrics })),
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
          // Only when on: a test page then offers its test actions (the client's testSurface.ts).
          ...(settings.testHooks ? { testHooks: true } : {}),
        });
      });
      if (settings.testHooks) {
        // Test-only (ENABLE_TEST_HOOKS, refused in production): a room's full state, to check clients against.
        app.get("/api/__test/state/:roomId", (req: Request, res: Response) => {
          const room = matchMaker.getLocalRoomById(String(req.params.roomId));
          if (room === undefined) return void sendError(res, "unknown_room");
          res.json((room.state as { toJSON(): unknown }).toJSON());
        });
      }
      // CORS for /api and /matchmake is HttpGate's; /metrics and /monitor are on the monitoring listener.
      app.use("/api", matchmakingApi(matchmaking));
      app.use("/api", (_req: Request, res: Response) => sendError(res, "not_found"));
      if (existsSync(CLIENT_DIST)) app.use(express.static(CLIENT_DIST, { index: "index.html", maxAge: "1h" }));
      else log.warn({ path: CLIENT_DIST }, "the browser client is not built (npm run build -w client): serving the API only");
    },
  });

  let draining: Promise<void> | undefined;
  let monitoring: MonitoringServer | undefined;
  return {
    colyseus,
    get metricsPort() { return monitoring?.port; },
    async listen() {
      await colyseus.listen(settings.port, settings.host);
      new HttpGate(matchmaking, settings.http, metrics).install(transport.server!);
      monitoring = await listenForMonitoring(settings, metrics, log);
      await matchmaking.start();
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
        await monitoring?.close();
        matchmaking.stop();
        clearTimeout(overrun);
        log.info("drained");
      })();
      return draining;
    },
  };
}
