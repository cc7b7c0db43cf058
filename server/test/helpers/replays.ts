import type { ReplayMeta } from "@arena/shared";
import type { ReplayStore } from "../../src/replays/ReplayStore.ts";

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
