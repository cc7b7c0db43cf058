import { ROOM_NAME } from "@arena/shared";
import type { MatchMaker } from "./MatchMaker.ts";

/** Picks one of several equally good processes (`randomInt` in production; tests pass their own). */
export type Pick = (count: number) => number;

/**
 * Which process creates the next room (Colyseus's selectProcessIdToCreateRoom).
 * A lobby is created where it was asked for, so each process serves its own
 * lobby. A match goes to the live process hosting the fewest matches, ties
 * broken at random. Live means registered and subscribed to its Redis
 * channel, so a process that just died is never picked, even before the
 * sweep removes it. Counts come from the room listings, which change with
 * every room, not from Colyseus's process stats, which are written at most
 * once a second and would send a burst of new rooms to the same process.
 */
export class RoomPlacement {
  /**
   * While quick play creates a batch's rooms side by side: how many of them
   * `place` has sent to each process so far (not listed yet). Emptied when
   * the last of those creations has answered.
   */
  readonly #batchPlacing = new Map<string, number>();
  #batchCreations = 0;

  constructor(
    private readonly matchMaker: MatchMaker,
    private readonly pick: Pick,
  ) {}

  async place(roomName: string): Promise<string> {
    const self = this.matchMaker.processId;
    if (roomName !== ROOM_NAME) return self;
    const [live, rooms] = await Promise.all([this.matchMaker.liveProcesses(), this.matchMaker.query({ name: ROOM_NAME })]);
    const matches = new Map(live.map((id) => [id, 0]));
    for (const room of rooms) {
      const count = matches.get(room.processId);
      if (count !== undefined) matches.set(room.processId, count + 1);
    }
    // Rooms a batch is creating right now are not listed yet.
    for (const [processId, count] of this.#batchPlacing) {
      const listed = matches.get(processId);
      if (listed !== undefined) matches.set(processId, listed + count);
    }
    if (matches.size === 0) return self;
    const fewest = Math.min(...matches.values());
    const best = [...matches].filter(([, count]) => count === fewest).map(([id]) => id);
    const chosen = best[this.pick(best.length)];
    if (this.#batchCreations > 0) this.#batchPlacing.set(chosen, (this.#batchPlacing.get(chosen) ?? 0) + 1);
    return chosen;
  }

  /** Runs a batch's room creations with `place` counting the rooms they place until all have answered. */
  async placingBatch<T>(create: () => Promise<T>): Promise<T> {
    this.#batchCreations++;
    try {
      return await create();
    } finally {
      if (--this.#batchCreations === 0) this.#batchPlacing.clear();
    }
  }
}
