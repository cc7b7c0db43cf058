import type { ReplayMeta } from "@arena/shared";

/**
 * Where finished replays go, and where `GET /api/replays` reads them from.
 * A replay is stored as its meta (what the listing shows) and its bytes,
 * gzip-compressed (the format: shared/src/replay/). The filesystem default
 * is FileReplayStore (REPLAY_DIR); tests may use an in-memory one.
 */
export interface ReplayStore {
  /** Keeps one replay (and applies retention). */
  save(meta: ReplayMeta, gzipped: Uint8Array): Promise<void>;
  /** Replays kept, newest first. */
  list(): Promise<ReplayMeta[]>;
  /** One replay, or null if there is none with that id. `id` is already validated (isReplayId). */
  get(id: string): Promise<{ meta: ReplayMeta; gzipped: Uint8Array } | null>;
}
