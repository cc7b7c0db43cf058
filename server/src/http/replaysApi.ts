import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { GAME_MODES, isGameMode, isReplayId } from "@arena/shared";
import type { Logger } from "../logger.ts";
import { ReplayTooLarge } from "../replays/FileReplayStore.ts";
import type { ReplayStore } from "../replays/ReplayStore.ts";
import { CorruptReplay, ReplayVerifier } from "../replays/ReplayVerifier.ts";
import { sendError } from "./httpErrors.ts";

/** Seconds a client is told to wait (Retry-After) when replays not checked yet are too many at once. */
const BUSY_RETRY_AFTER_S = 1;

/** Replays in one listing, newest first. */
export const REPLAYS_LISTED_MAX = 100;

/**
 * `GET /api/replays` and `GET /api/replays/<id>` (README, "HTTP API"). They
 * read the replay store only, not the matchmaker: they answer while Redis is
 * down. Without a store (REPLAY_DIR=off) both answer 404 `replays_off`.
 */
export function replaysApi(replays: ReplayStore | undefined, log: Logger): Router {
  // Case-sensitive and strict, as HttpGate routes: /api/Replays and /api/replays/ are no routes.
  const router = express.Router({ caseSensitive: true, strict: true });
  const verifier = new ReplayVerifier();

  router.get(["/replays", "/replays/:id"], (_req, res, next) => {
    if (replays === undefined) sendError(res, "replays_off");
    else next();
  });

  router.get("/replays", async (req, res) => {
    const mode = req.query.mode;
    if (mode !== undefined && !isGameMode(mode)) {
      sendError(res, "unknown_mode", `Unknown game mode. Modes: ${Object.keys(GAME_MODES).join(", ")}.`);
      return;
    }
    const all = await replays!.list();
    res.json({ replays: all.filter((meta) => mode === undefined || meta.mode === mode).slice(0, REPLAYS_LISTED_MAX) });
  });

  router.get("/replays/:id", async (req, res) => {
    const id = req.params.id;
    // Before the file is read: a replay not checked yet waits for the worker, and only so many may.
    const admitted = isReplayId(id) ? verifier.admit(id) : () => {};
    if (admitted === null) {
      sendError(res, "replays_busy", undefined, BUSY_RETRY_AFTER_S);
      return;
    }
    let found;
    try {
      found = isReplayId(id) ? await replays!.get(id) : null;
      if (found !== null) await verifier.verify(id, found.gzipped);
    } catch (error) {
      if (!(error instanceof CorruptReplay || error instanceof ReplayTooLarge)) throw error;
      log.error({ err: error, replayId: id }, "stored replay refused");
      sendError(res, "corrupt_replay");
      return;
    } finally {
      admitted();
    }
    if (found === null) {
      sendError(res, "unknown_replay");
      return;
    }
    // The bytes as stored: the browser unzips them (Content-Encoding). A replay never changes.
    res
      .writeHead(200, {
        "content-type": "application/octet-stream",
        "content-encoding": "gzip",
        "content-length": found.gzipped.byteLength,
        "cache-control": "public, max-age=31536000, immutable",
      })
      .end(found.gzipped);
  });

  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    // An id Express cannot percent-decode (`%ZZ`) is no replay id.
    if (error instanceof URIError) return void sendError(res, "unknown_replay");
    log.error({ err: error }, "replay route failed");
    sendError(res, "internal");
  });
  return router;
}
