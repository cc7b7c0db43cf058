import { z } from "zod";
import { PICKUP_SPOTS } from "./arena.ts";
import { isGameMode } from "./modes.ts";

/** Most players a world snapshot may hold (a room holds far fewer). */
export const SNAPSHOT_MAX_PLAYERS = 256;
/** Longest player name a world snapshot may hold, in characters (names are far shorter). */
export const SNAPSHOT_MAX_NAME_CHARS = 256;

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const finite = z.number().finite();
const player = z.strictObject({
  name: z.string().min(1).max(SNAPSHOT_MAX_NAME_CHARS),
  x: finite,
  y: finite,
  aim: finite,
  hp: z.number().int().min(0).max(255),
  score: z.number().int().min(0).max(65535),
  alive: z.boolean(),
  connected: z.boolean(),
  shielded: z.boolean(),
  fireCooldownS: finite,
  respawnS: finite,
  shieldS: finite,
});
const pickup = z.strictObject({ x: finite, y: finite, active: z.boolean(), respawnS: finite });

/**
 * A WorldSnapshot read from outside the process (a replay's start world, a
 * migrating match's world from Redis), checked whole before any of it is
 * used: every field there and of its type, nothing else, numbers finite,
 * counts bounded. One schema for both readers, so a world that one accepts
 * the other does too.
 */
export const worldSnapshotSchema = z.strictObject({
  mode: z.string().refine(isGameMode, "not a game mode"),
  phase: z.enum(["playing", "intermission"]),
  round: z.number().int().min(1).max(65535),
  phaseSecondsLeft: z.number().int().min(0).max(65535),
  phaseTimeS: finite,
  roundLengthS: finite,
  rngState: z.number().int().min(0).max(0xffffffff),
  players: z.array(z.tuple([id, player])).max(SNAPSHOT_MAX_PLAYERS),
  pickups: z.array(pickup).length(PICKUP_SPOTS.length),
});
