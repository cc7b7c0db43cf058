import { matchMaker } from "@colyseus/core";
import type { Logger } from "../logger.ts";

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
 */
export class ProcessSweep {
  #timer: NodeJS.Timeout | undefined;
  #running = false;

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
      for (const room of await matchMaker.driver.query({})) {
        if (room.processId === matchMaker.processId || listening.has(room.processId)) continue;
        suspects.set(room.processId, [...(suspects.get(room.processId) ?? []), room.roomId]);
      }
      suspects.delete(matchMaker.processId);
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
