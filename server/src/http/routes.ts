import { existsSync } from "node:fs";
import { matchMaker } from "@colyseus/core";
import { snapshotWorld, type ArenaState } from "@arena/shared";
import express, { type Application, type Request, type Response } from "express";
import type { Settings } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { Matchmaking } from "../matchmaking/Matchmaking.ts";
import type { ArenaRoom } from "../rooms/ArenaRoom.ts";
import type { Admission } from "./Admission.ts";
import { matchmakingApi } from "./api.ts";
import { sendError } from "./httpErrors.ts";

export type ServerStatus = "starting" | "ok" | "draining";

export interface RouteContext {
  settings: Settings;
  log: Logger;
  matchmaking: Matchmaking;
  admission: Admission;
  status: () => ServerStatus;
  startedAt: number;
  /** The browser client's build (`npm run build -w client`), served at `/` when present. */
  clientDist: string;
}

/**
 * The game port's Express routes, behind HttpGate (which has already routed,
 * read the body and answered CORS): `/api/health`, the test hooks' state
 * route, the matchmaking API, and the browser client's files.
 * `/metrics` and `/monitor` are on the monitoring listener.
 */
export function installRoutes(app: Application, { settings, log, matchmaking, admission, status, startedAt, clientDist }: RouteContext): void {
  app.get("/api/health", (_req: Request, res: Response) => {
    res.status(status() === "ok" ? 200 : 503).json({
      status: status(),
      processId: matchMaker.processId,
      rooms: matchMaker.stats.local.roomCount,
      clients: matchMaker.stats.local.ccu,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      redis: matchmaking.redisState,
      // Test-only messages are answered (ENABLE_TEST_HOOKS): the page offers its test actions (client/src/testSurface.ts).
      ...(settings.testHooks ? { testHooks: true } : {}),
    });
  });
  if (settings.testHooks) {
    // Test-only (ENABLE_TEST_HOOKS, refused in production): a room's full state, to check clients against.
    app.get("/api/__test/state/:roomId", (req: Request, res: Response) => {
      const room = matchMaker.getLocalRoomById(String(req.params.roomId));
      if (room === undefined) return void sendError(res, "unknown_room");
      // Read in this one turn with the world: a replay run to `replay.ops` ops is this world (`world`: all of it, server-only fields too).
      const replay = (room as Partial<Pick<ArenaRoom, "replayProgress">>).replayProgress?.();
      const world = replay === undefined ? undefined : snapshotWorld(room.state as ArenaState);
      res.json({ ...(room.state as { toJSON(): object }).toJSON(), ...(replay === undefined ? {} : { replay, world }) });
    });
  }
  app.use("/api", matchmakingApi(matchmaking, admission));
  app.use("/api", (_req: Request, res: Response) => sendError(res, "not_found"));
  if (existsSync(clientDist)) app.use(express.static(clientDist, { index: "index.html", maxAge: "1h" }));
  else log.warn({ path: clientDist }, "the browser client is not built (npm run build -w client): serving the API only");
}
