import "./webSocketGlobal.ts";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { defineRoom, defineServer, matchMaker, type Server } from "@colyseus/core";
import { RedisPresence } from "@colyseus/redis-presence";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { fileURLToPath } from "node:url";
import type { Application } from "express";
import { ROOM_NAME } from "@arena/shared";
import type { Settings } from "./config.ts";
import type { Logger } from "./logger.ts";
import { Admission } from "./http/Admission.ts";
import { HttpGate } from "./http/HttpGate.ts";
import { installRoutes, type ServerStatus } from "./http/routes.ts";
import { colyseusMatchMaker } from "./matchmaking/MatchMaker.ts";
import { Matchmaking } from "./matchmaking/Matchmaking.ts";
import { LobbyFeed } from "./matchmaking/LobbyFeed.ts";
import { IndexedRedisDriver } from "./matchmaking/OpenRoomIndex.ts";
import { arenaRoomFor } from "./rooms/ArenaRoom.ts";
import { arenaLobbyFor } from "./rooms/ArenaLobby.ts";
import { Metrics } from "./Metrics.ts";
import { FileReplayStore } from "./replays/FileReplayStore.ts";
import type { ReplayStore } from "./replays/ReplayStore.ts";
import { listenForMonitoring, type MonitoringServer } from "./monitoringServer.ts";

/**
 * The browser client's build (`npm run build -w client`), served at `/` when present. Found from
 * this module, which sits as deep in server/src as the bundle (server/dist/main.js) does in server/dist.
 */
const CLIENT_DIST = fileURLToPath(new URL("../../client/dist/", import.meta.url));
/** Server-side ping: a silent connection is dropped after about 3 s x 2. */
const PING_INTERVAL_MS = 3000;
const PING_MAX_RETRIES = 2;
/** A room's changes within this long reach the lobbies as one (LobbyFeed): a lobby's list is at most this late. */
const LOBBY_WINDOW_MS = 100;
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

/** Parts a caller may supply instead of the defaults. */
export interface ServerParts {
  /** Where finished matches' replays go and the routes read them (absent: REPLAY_DIR's files, or none when it is off). */
  replays?: ReplayStore;
}

export function createArenaServer(settings: Settings, log: Logger, parts: ServerParts = {}): ArenaServer {
  const startedAt = Date.now();
  let status: ServerStatus = "starting";
  const scaled = settings.redisUrl !== undefined;
  const metrics = new Metrics();
  const matchmaking = new Matchmaking(colyseusMatchMaker, settings, log, metrics, () => status === "draining");
  const admission = new Admission(settings, log, matchmaking.redis?.client);
  // Every process naming the same REPLAY_DIR answers for every replay in it (README, "Replays"); a caller's store instead, if given.
  const files = parts.replays === undefined && settings.replays !== undefined ? new FileReplayStore({ ...settings.replays, log }) : undefined;
  const replays = parts.replays ?? files;
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
    // No `beforeUpgrade`: the origin is checked by HttpGate's UpgradeGate, from the request's own
    // headers (core's hook builds a fetch Request and Headers for each upgrade).
  });
  const arenaRooms = defineRoom(arenaRoomFor({ settings, log, matchmaking, metrics, migration: matchmaking.migration, replays }))
    .filterBy(["mode"])
    .sortBy({ clients: -1 })
    .enableRealtimeListing();
  new LobbyFeed(LOBBY_WINDOW_MS).attach(arenaRooms);
  const colyseus = defineServer({
    transport,
    greet: false,
    // Signals are handled below, so a drain can outlive Colyseus's default.
    gracefullyShutdown: false,
    publicAddress: settings.publicAddress,
    presence: scaled ? new RedisPresence(settings.redisUrl) : undefined,
    driver: scaled ? new IndexedRedisDriver(settings.redisUrl) : undefined,
    selectProcessIdToCreateRoom: scaled ? (roomName: string, options: unknown) => matchmaking.placement.place(roomName, options) : undefined,
    rooms: {
      [ROOM_NAME]: arenaRooms,
      lobby: defineRoom(arenaLobbyFor({ settings, log, matchmaking, metrics })),
    },
    express: (app: Application) =>
      installRoutes(app, { settings, log, matchmaking, admission, replays, status: () => status, startedAt, clientDist: CLIENT_DIST }),
  });

  let draining: Promise<void> | undefined;
  let monitoring: MonitoringServer | undefined;
  return {
    colyseus,
    get metricsPort() {
      return monitoring?.port;
    },
    async listen() {
      await files?.open();
      await colyseus.listen(settings.port, settings.host);
      // Colyseus adds CORS headers echoing any Origin, with credentials, to every
      // answer of the port (core/src/router/index.ts, through its documented
      // `controller.getCorsHeaders` hook); HttpGate sends its own instead.
      Object.assign(matchMaker.controller, { DEFAULT_CORS_HEADERS: {}, getCorsHeaders: () => ({}) });
      new HttpGate(matchmaking, admission, settings.http, metrics).install(transport.server!);
      monitoring = await listenForMonitoring(settings, metrics, log);
      await matchmaking.start();
      status = "ok";
      return (transport.server!.address() as AddressInfo).port;
    },
    drain() {
      draining ??= (async () => {
        status = "draining";
        log.info({ deadlineSeconds: settings.shutdownDeadlineSeconds }, "draining: no new players, rounds play on until the deadline");
        const overrun = setTimeout(
          () => {
            log.error("drain overran the shutdown deadline; exiting");
            process.exit(1);
          },
          settings.shutdownDeadlineSeconds * 1000 + DRAIN_OVERRUN_MS,
        );
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
