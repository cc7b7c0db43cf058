import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { ServerError } from "@colyseus/core";
import { DEFAULT_MODE, ROOM_NAME, isGameMode, normaliseJoinCode, GAME_MODES, readListing, type RoomListing } from "@arena/shared";
import { ArenaError } from "../ArenaError.ts";
import { validateJoinOptions } from "../rooms/joinOptions.ts";
import type { Logger } from "../logger.ts";
import { RoomRefusal, type RoomCache } from "../matchmaking/MatchMaker.ts";
import type { Matchmaking } from "../matchmaking/Matchmaking.ts";
import type { Admission } from "./Admission.ts";
import { errorJson, sendError, sendErrorJson } from "./httpErrors.ts";

/**
 * The project's HTTP matchmaking API (README, "HTTP API"), beside Colyseus's
 * own `POST /matchmake/...` routes.
 */
export function matchmakingApi(matchmaking: Matchmaking, admission: Admission): Router {
  // Case-sensitive, as HttpGate routes: /api/Private-Rooms is no route.
  const router = express.Router({ caseSensitive: true });

  // Every route here needs the shared matchmaker.
  router.use((_req, res, next) => {
    const unavailable = matchmaking.unavailable();
    if (unavailable === null) next();
    else sendError(res, unavailable);
  });

  router.get("/rooms", async (req, res) => {
    const mode = req.query.mode;
    if (mode !== undefined && !isGameMode(mode)) {
      sendError(res, "unknown_mode", `Unknown game mode. Modes: ${Object.keys(GAME_MODES).join(", ")}.`);
      return;
    }
    const found = await matchmaking.rooms({ name: ROOM_NAME, private: false, unlisted: false });
    const rooms: RoomListing[] = found.filter((room) => mode === undefined || modeOf(room) === mode).map((room) => readListing(room, DEFAULT_MODE));
    res.json({ rooms });
  });

  // HttpGate has read and parsed the body (JSON objects only, at most BODY_LIMIT_BYTES).
  const withBody = [requireBody];

  router.post("/private-rooms", ...withBody, async (req, res) => {
    const address = admission.addressOf(req);
    if (!(await admission.allow(["creates", "joins"], address, res))) return;
    const options = validateJoinOptions(req.body);
    if (options.spectate) throw new ArenaError("bad_options", "A private room is created by a player; spectators watch it with its code.");
    res.status(201).json(await matchmaking.createPrivate({ ...options }));
  });

  router.post("/private-rooms/:code/seats", ...withBody, async (req, res) => {
    const address = admission.addressOf(req);
    const wait = await admission.limits.exhausted("failedJoins", address);
    if (wait !== null) {
      sendError(res, "rate_limited", "Too many wrong codes from your address. Wait before trying again.", wait);
      return;
    }
    if (!(await admission.allow(["codeLookups", "joins"], address, res))) return;
    const options = validateJoinOptions(req.body);
    const code = normaliseJoinCode(req.params.code);
    const roomId = code === null ? null : await matchmaking.roomOfCode(code);
    if (roomId === null) {
      await admission.limits.take("failedJoins", address).catch(() => {});
      sendError(res, "unknown_code");
      return;
    }
    try {
      res.json({ seat: await matchmaking.seatIn(roomId, { ...options }) });
    } catch (error) {
      if (!(error instanceof RoomRefusal)) throw error;
      sendError(res, error.reason === "gone" ? "unknown_code" : options.spectate ? "spectators_full" : "room_full");
    }
  });

  router.use(apiErrors(matchmaking.log));
  return router;
}

/** A listed room's game mode, from its listing's metadata (Colyseus types that as any). */
function modeOf(room: RoomCache): unknown {
  const metadata: unknown = room.metadata;
  return typeof metadata === "object" && metadata !== null && "mode" in metadata ? metadata.mode : undefined;
}

function requireBody(req: Request, res: Response, next: NextFunction): void {
  if (req.body !== undefined) next();
  else sendError(res, "unsupported_media_type");
}

/** Maps what the routes throw to the project's errors; never a stack trace. */
const apiErrors =
  (log: Logger) =>
  (error: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    if (error instanceof ArenaError) {
      sendErrorJson(res, error.code, errorJson(error.code, error.message, error.errorCode));
    } else if (error instanceof ServerError && error.code >= 400 && error.code < 500) {
      sendErrorJson(res, error.code, errorJson(error.code, error.message));
    } else {
      log.error({ err: error }, "api error");
      sendError(res, "internal");
    }
  };
