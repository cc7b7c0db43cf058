import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { matchMaker, ServerError } from "@colyseus/core";
import { ROOM_NAME, isGameMode, normaliseJoinCode, GAME_MODES } from "@arena/shared";
import { validateJoinOptions } from "../rooms/joinOptions.ts";
import { sendError } from "./httpErrors.ts";
import type { Logger } from "../logger.ts";
import type { Matchmaking } from "./Matchmaking.ts";

/** A public room as the listing shows it. */
export interface RoomListing {
  roomId: string;
  mode: string;
  players: number;
  capacity: number;
  /** Full or draining: not joinable now. */
  locked: boolean;
  processId: string;
}

/**
 * The project's HTTP matchmaking API (README, "HTTP API"), beside Colyseus's
 * own `POST /matchmake/...` routes.
 */
export function matchmakingApi(matchmaking: Matchmaking): Router {
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
    const found = await matchMaker.query({ name: ROOM_NAME, private: false, unlisted: false });
    const rooms: RoomListing[] = found
      .filter((room) => mode === undefined || room.metadata?.mode === mode)
      .map((room) => ({
        roomId: room.roomId,
        mode: String(room.metadata?.mode),
        players: room.clients,
        capacity: room.maxClients,
        locked: room.locked === true,
        processId: room.processId,
      }));
    res.json({ rooms });
  });

  // HttpGate has read and parsed the body (JSON objects only, at most BODY_LIMIT_BYTES).
  const withBody = [requireBody];

  router.post("/private-rooms", ...withBody, async (req, res) => {
    const address = matchmaking.addressOf(req);
    if (!(await matchmaking.allow(["creates", "joins"], address, res))) return;
    const options = validateJoinOptions(req.body);
    const code = await matchmaking.codes.claim();
    try {
      const seat = await matchMaker.create(ROOM_NAME, { ...options, privateCode: code });
      res.status(201).json({ code, seat });
    } catch (error) {
      await matchmaking.codes.unclaim(code);
      throw error;
    }
  });

  router.post("/private-rooms/:code/seats", ...withBody, async (req, res) => {
    const address = matchmaking.addressOf(req);
    const wait = await matchmaking.limits.exhausted("failedJoins", address);
    if (wait !== null) {
      sendError(res, "rate_limited", "Too many wrong codes from your address. Wait before trying again.", wait);
      return;
    }
    if (!(await matchmaking.allow(["codeLookups", "joins"], address, res))) return;
    const options = validateJoinOptions(req.body);
    const code = normaliseJoinCode(req.params.code);
    const roomId = code === null ? null : await matchmaking.codes.roomOf(code);
    if (roomId === null) {
      await matchmaking.limits.take("failedJoins", address).catch(() => {});
      sendError(res, "unknown_code");
      return;
    }
    try {
      res.json({ seat: await matchMaker.joinById(roomId, options) });
    } catch (error) {
      if (error instanceof ServerError && /locked/.test(error.message)) sendError(res, "room_full");
      else if (error instanceof ServerError && /not found/.test(error.message)) sendError(res, "unknown_code");
      else throw error;
    }
  });

  router.use(apiErrors(matchmaking.log));
  return router;
}

function requireBody(req: Request, res: Response, next: NextFunction): void {
  if (req.body !== undefined) next();
  else sendError(res, "unsupported_media_type");
}

/** Maps what the routes throw to the project's errors; never a stack trace. */
const apiErrors = (log: Logger) => (error: unknown, _req: Request, res: Response, _next: NextFunction): void => {
  const e = error as { code?: number; message?: string };
  if (error instanceof ServerError && e.code !== undefined && e.code >= 400 && e.code < 500) {
    // validateJoinOptions: the message already is "code: sentence".
    const code = /^([a-z_]+): /.exec(e.message ?? "")?.[1];
    res.status(e.code).json({ code: e.code, error: e.message, errorCode: code });
  } else {
    log.error({ err: error }, "api error");
    res.status(500).json({ code: 500, error: "internal: The server failed to handle that request.", errorCode: "internal" });
  }
};
