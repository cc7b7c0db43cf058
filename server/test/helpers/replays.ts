import { gzipSync } from "node:zlib";
import {
  ReplayWriter,
  STEP_SECONDS,
  TICK_RATE_HZ,
  createPlainWorld,
  joinPlayer,
  livePositions,
  newPlainPlayer,
  snapshotWorld,
  stepTick,
  type InputFrame,
  type ReplayMeta,
} from "@arena/shared";
import type { ReplayStore } from "../../src/replays/ReplayStore.ts";

/**
 * A real replay, raw, under `id`: `players` players (Ann, then P1, P2, ...)
 * for `ticks` steps, idle, or walking about with two input frames each per
 * step (`moving`: a bigger replay, every frame different).
 */
export function rawReplayOf(id: string, { ticks = 30, players = 1, moving = false }: { ticks?: number; players?: number; moving?: boolean } = {}): Uint8Array {
  const world = createPlainWorld("ffa", 1);
  for (let i = 0; i < players; i++) joinPlayer(world, `p${i + 1}`, newPlainPlayer(), i === 0 ? "Ann" : `P${i}`);
  const writer = new ReplayWriter({ roomId: "someRoom", mode: "ffa", tickRate: TICK_RATE_HZ, dt: STEP_SECONDS, start: snapshotWorld(world) });
  let n = 0;
  const frame = (): InputFrame => {
    n++;
    return { moveX: Math.fround(Math.sin(n)), moveY: Math.fround(Math.cos(n * 1.3)), aim: Math.fround(n % 6), fire: false };
  };
  for (let tick = 0; tick < ticks; tick++) {
    const tap = writer.beginStep(
      () => (moving ? [frame(), frame()] : []),
      () => livePositions,
    );
    stepTick(world, tap.framesOf, STEP_SECONDS, tap.seenBy, []);
    writer.endStep();
  }
  return writer.finish({ id, startedAt: 1000, endedAt: 2000 });
}

/** A real replay of `ticks` steps of one idle player, gzipped as stored, under `id`. */
export function replayOf(id: string, ticks = 30): Buffer {
  return gzipSync(rawReplayOf(id, { ticks }));
}

/** The replay store's interface in memory: for tests whose subject is not the store (the filesystem one is FileReplayStore). */
export class MemoryReplayStore implements ReplayStore {
  readonly replays: { meta: ReplayMeta; gzipped: Uint8Array }[] = [];

  async save(meta: ReplayMeta, gzipped: Uint8Array): Promise<void> {
    this.replays.push({ meta, gzipped });
  }

  async list(): Promise<ReplayMeta[]> {
    return this.replays.map((r) => r.meta).reverse();
  }

  async get(id: string): Promise<{ meta: ReplayMeta; gzipped: Uint8Array } | null> {
    return this.replays.find((r) => r.meta.id === id) ?? null;
  }
}
