import { matchMaker } from "@colyseus/core";
import type { Logger } from "../logger.ts";
import { IndexedRedisDriver } from "./OpenRoomIndex.ts";

/** How often this process looks for dead peers. A dead one leaves the listings within about this plus Colyseus's 2 s health check. */
const SWEEP_INTERVAL_MS = 2000;

/**
 * Finds processes that died without cleaning up (SIGKILL, a lost machine)
 * and removes their rooms. Stock Colyseus only checks peers at start-up or
 * when a call to one times out, and its clean-up does not tell the lobbies.
 *
 * A live process keeps a Redis subscription on its channel `p:<processId>`;
 * when a process dies, Redis drops that subscription with the connection.
 * A process listed in the room listings or the process stats without its
 * channel is asked for a health check (Colyseus's, 2 s timeout), which
 * removes its listings if it does not answer; then each of its rooms is
 * passed to `forget` (codes, lobbies).
 *
 * It also removes what nothing else would, the sweep being the one reader
 * of every listing: a row naming this process of a room it does not have,
 * at two sweeps in a row (a new room is listed a moment before this process
 * registers it). Such a row outlives its room when its removal was lost
 * (Redis unreachable as the room closed) or came before a last write (a seat
 * reserved in a room as it closed); no process's death removes it, and a
 * free seat in it would keep quick play's open-room index saying a room has
 * one. Entries of that index whose room is no longer listed go too.
 */
export class ProcessSweep {
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  /** Rows naming this process of rooms it did not have, at the last sweep. */
  #roomless = new Set<string>();

  constructor(
    private readonly log: Logger,
    private readonly forget: (roomId: string) => Promise<void>,
  ) {}

  start(): void {
    this.#timer = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  private async sweep(): Promise<void> {
    if (this.#running || matchMaker.state !== matchMaker.MatchMakerState.READY) return;
    this.#running = true;
    try {
      const listening = new Set((await matchMaker.presence.channels("p:*")).map((c) => c.slice(2)));
      const suspects = new Map<string, string[]>();
      for (const stat of await matchMaker.stats.fetchAll()) {
        if (!listening.has(stat.processId)) suspects.set(stat.processId, []);
      }
      const roomless = new Set<string>();
      for (const room of await matchMaker.driver.query({})) {
        if (room.processId === matchMaker.processId) {
          if (matchMaker.getLocalRoomById(room.roomId) === undefined) roomless.add(room.roomId);
          continue;
        }
        if (listening.has(room.processId)) continue;
        suspects.set(room.processId, [...(suspects.get(room.processId) ?? []), room.roomId]);
      }
      suspects.delete(matchMaker.processId);
      const stale = [...roomless].filter((roomId) => this.#roomless.has(roomId));
      this.#roomless = roomless;
      for (const roomId of stale) {
        if (matchMaker.getLocalRoomById(roomId) !== undefined || !(await matchMaker.driver.remove(roomId))) continue;
        this.log.warn({ roomId }, "removed the listing of a room this process no longer has");
        await this.forget(roomId);
      }
      if (matchMaker.driver instanceof IndexedRedisDriver) await matchMaker.driver.forgetUnlisted();
      await Promise.all(
        [...suspects].map(async ([processId, roomIds]) => {
          if (await matchMaker.healthCheckProcessId(processId)) return;
          this.log.warn({ processId, rooms: roomIds.length }, "removed a dead process and its rooms");
          for (const roomId of roomIds) await this.forget(roomId);
        }),
      );
    } catch (err) {
      this.log.warn({ err }, "sweep failed");
    } finally {
      this.#running = false;
    }
  }
}
