import { ROOM_NAME } from "@arena/shared";
import type { MatchMaker } from "./MatchMaker.ts";

/** How old the count of matches per process behind `balancedHere` may be. */
export const CENSUS_MS = 1000;
/** How many more matches than the least loaded process a process may host and still create quick play's rooms on itself. */
export const BALANCE_SLACK = 8;

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
  /** Options of rooms to create on this process whatever the load (`createHere`): Colyseus hands `place` the options it creates with. */
  readonly #here = new WeakSet<object>();
  /** Matches per live process, as last counted (`balancedHere`): one lookup a second at most. */
  #census: { at: number; counts: Promise<Map<string, number>> } | undefined;
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

  async place(roomName: string, options?: unknown): Promise<string> {
    const self = this.matchMaker.processId;
    if (roomName !== ROOM_NAME) return self;
    if (typeof options === "object" && options !== null && this.#here.delete(options)) return self;
    const matches = await this.#count();
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

  /** Matches per live process, listed now. */
  async #count(): Promise<Map<string, number>> {
    const [live, rooms] = await Promise.all([this.matchMaker.liveProcesses(), this.matchMaker.query({ name: ROOM_NAME })]);
    const matches = new Map(live.map((id) => [id, 0]));
    for (const room of rooms) {
      const count = matches.get(room.processId);
      if (count !== undefined) matches.set(room.processId, count + 1);
    }
    return matches;
  }

  /**
   * Whether this process may create rooms on itself instead of placing them:
   * it is live and hosts at most BALANCE_SLACK (or a quarter) more matches
   * than the live process with the fewest, by a count at most CENSUS_MS
   * old. Quick play's full rooms are made where their players asked while
   * the processes stay even (a load balancer spreading requests spreads
   * them), which saves each room a lookup of every listing and a creation
   * over Redis; a process the requests favour places its rooms again.
   */
  async balancedHere(now = performance.now()): Promise<boolean> {
    if (this.#census === undefined || now - this.#census.at >= CENSUS_MS) {
      const counts = this.#count();
      this.#census = { at: now, counts };
      counts.catch(() => {
        if (this.#census?.counts === counts) this.#census = undefined;
      });
    }
    const matches = await this.#census.counts;
    const mine = matches.get(this.matchMaker.processId);
    if (mine === undefined) return matches.size === 0;
    const fewest = Math.min(...matches.values());
    return mine <= fewest + Math.max(BALANCE_SLACK, Math.ceil(fewest / 4));
  }

  /** Has the room these options create (`matchMaker.createRoom(name, options)`) made on this process, whatever `place` would choose. */
  createHere<T>(options: object, create: () => Promise<T>): Promise<T> {
    this.#here.add(options);
    return create().finally(() => this.#here.delete(options));
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
