import { z } from "zod";
import { GAME_MODES, JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH, SNAPSHOT_MAX_PLAYERS, worldSnapshotSchema, type GameMode, type WorldSnapshot } from "@arena/shared";

/** Bumped when the snapshot's shape changes; a process refuses a format it does not know. */
export const SNAPSHOT_FORMAT = 1;

/** One player's seat in a snapshot. */
export interface SeatSnapshot {
  sessionId: string;
  /**
   * Reconnection tokens that may claim the seat, newest first: a token
   * rotates on every (re)join, and the client hears of the new one only
   * after it, so the one it used stays valid too (at most two).
   */
  tokens: string[];
  /** When its connection dropped (ms since the epoch), or null while connected. */
  droppedAt: number | null;
  /** Steps the input budget had banked for it (InputBudget). */
  bankedSteps: number;
}

/**
 * A match, as another process needs it to carry on: the world (server-only
 * fields included), the seats and their tokens, and what the room was made
 * with. Written to Redis by the room that owns it (MatchStore).
 */
export interface MatchSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  roomId: string;
  /** Increases with every write of this match, across processes. */
  version: number;
  /** Wall clock of the write, ms since the epoch: a seat's grace is counted from it. */
  savedAt: number;
  mode: GameMode;
  privateCode: string | null;
  /** The grace a dropped seat gets, s (RECONNECT_GRACE_SECONDS of the writer). */
  graceSeconds: number;
  world: WorldSnapshot;
  seats: SeatSnapshot[];
}

// Bounds: a forged or corrupt snapshot is refused, never half restored.
const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const seat = z
  .object({
    sessionId: id,
    tokens: z.array(id).min(1).max(2),
    droppedAt: z.number().int().nonnegative().nullable(),
    bankedSteps: z.number().int().min(0).max(64),
  })
  .strict();
const snapshot = z
  .object({
    format: z.literal(SNAPSHOT_FORMAT),
    roomId: id,
    version: z.number().int().positive(),
    savedAt: z.number().int().positive(),
    mode: z.enum(Object.keys(GAME_MODES) as [GameMode, ...GameMode[]]),
    privateCode: z
      .string()
      .length(JOIN_CODE_LENGTH)
      .refine((code) => [...code].every((c) => JOIN_CODE_ALPHABET.includes(c)))
      .nullable(),
    graceSeconds: z.number().int().min(0).max(3600),
    world: worldSnapshotSchema,
    seats: z.array(seat).max(SNAPSHOT_MAX_PLAYERS),
  })
  .strict();

/**
 * Reads a snapshot stored under `roomId`: null when it is malformed, of
 * another format, stored under another room's key, or names a seat without
 * a player (a forged or corrupt record restores nothing).
 */
export function parseSnapshot(json: string, roomId: string): MatchSnapshot | null {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return null;
  }
  const parsed = snapshot.safeParse(data);
  if (!parsed.success || parsed.data.roomId !== roomId || parsed.data.world.mode !== parsed.data.mode) return null;
  const players = new Set(parsed.data.world.players.map(([playerId]) => playerId));
  if (players.size !== parsed.data.world.players.length) return null;
  if (!parsed.data.seats.every((s) => players.has(s.sessionId))) return null;
  return parsed.data;
}

/** How long a seat of the snapshot may still be claimed, ms, at `now` (≤ 0: its grace is over). */
export function graceLeftMs(snapshot: MatchSnapshot, seat: SeatSnapshot, now: number): number {
  // A connected player's connection went with the process, at about the last write.
  return snapshot.graceSeconds * 1000 - (now - (seat.droppedAt ?? snapshot.savedAt));
}
