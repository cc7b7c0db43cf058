import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { monotonicClock, type Clock, type Timer } from "@arena/shared";

/** Longest a quick-play decision may hold the lock (a room creation waits up to 2 s on a remote process). */
const LOCK_TTL_MS = 5000;
const LOCK_RETRY_MS = 1;
const LOCK_KEY = "arena:quickplay:lock";
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

/**
 * Makes quick play's "find a room with a free seat, else create one, then
 * reserve the seat" one step at a time across every process. Colyseus runs
 * those steps for concurrent requests side by side: under a burst, several
 * requests see the same last free seat, lose it, and create rooms of their
 * own, leaving rooms half full. One at a time, each decision sees the counts
 * the previous one left, so rooms fill exactly. Its caller is
 * `QuickPlayBatcher`, which takes one turn per batch of requests (a decision
 * of a few milliseconds to a few hundred for a large batch); turns of one
 * process queue in order (the batcher asks for one at a time, so the queue
 * only matters to other callers and the tests), and processes take turns
 * through a Redis lock.
 */
export class QuickPlayQueue {
  #tail: Promise<void> = Promise.resolve();

  /**
   * @param timeoutMs how long a request waits for its turn (then `turn()`
   *   resolves with null) and how long it may hold it (then the next request
   *   goes, whether or not the holder has answered). A decision takes
   *   milliseconds; this only bounds what a stuck one costs everyone behind it.
   * @param clock what those waits and the lock's retries are timed by (a TestClock in unit tests).
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly redis?: Redis,
    private readonly clock: Clock = monotonicClock,
  ) {}

  /** Waits for this request's turn; resolves with the function that ends it, or null if the wait ran out. */
  async turn(): Promise<(() => void) | null> {
    let endLocal!: () => void;
    const previous = this.#tail;
    this.#tail = new Promise<void>((resolve) => {
      endLocal = resolve;
    });
    let timer: Timer | undefined;
    const timedOut = new Promise<true>((resolve) => {
      timer = this.clock.setTimeout(() => resolve(true), this.timeoutMs);
    });
    if (await Promise.race([previous.then(() => false), timedOut])) {
      // Gave up: pass the turn on as soon as it comes, so the queue keeps moving.
      void previous.then(endLocal);
      return null;
    }
    this.clock.clearTimeout(timer);
    const end = once(await this.lock(endLocal));
    const holdTimer = this.clock.setTimeout(end, this.timeoutMs);
    return () => {
      this.clock.clearTimeout(holdTimer);
      end();
    };
  }

  /** Takes the Redis lock when scaled; resolves with what ends the turn. */
  private async lock(endLocal: () => void): Promise<() => void> {
    if (this.redis === undefined) return endLocal;
    const token = randomUUID();
    const deadline = this.clock.now() + LOCK_TTL_MS;
    try {
      while ((await this.redis.set(LOCK_KEY, token, "PX", LOCK_TTL_MS, "NX")) !== "OK") {
        if (this.clock.now() > deadline) break; // a holder died: its TTL is about to free the lock anyway
        await new Promise((resolve) => this.clock.setTimeout(() => resolve(undefined), LOCK_RETRY_MS));
      }
    } catch {
      // Redis failed mid-wait: go on; the gate answers 503 to the next requests.
    }
    return () => {
      this.redis!.eval(RELEASE, 1, LOCK_KEY, token).catch(() => {});
      endLocal();
    };
  }
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      fn();
    }
  };
}
