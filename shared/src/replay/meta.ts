/**
 * What a replay's listing shows (`GET /api/replays`), stored beside it and
 * at the head of the replay itself. The format: shared/src/replay/format.ts.
 */
export interface ReplayMeta {
  /** 16 characters of [A-Za-z0-9_-] (isReplayId). */
  id: string;
  /** The match's room id (a match moved to another process keeps it: its replay there is a new one). */
  roomId: string;
  mode: string;
  /** Epoch ms of the first and last recorded tick. */
  startedAt: number;
  endedAt: number;
  /** Steps recorded. */
  ticks: number;
  /** Names of everyone who played in it, in join order. */
  players: string[];
  /** Size of the stored (compressed) replay. */
  bytes: number;
}

/** Replay ids: what a route accepts before touching any store (no path can be built from anything else). */
export function isReplayId(id: unknown): id is string {
  return typeof id === "string" && /^[A-Za-z0-9_-]{16}$/.test(id);
}
