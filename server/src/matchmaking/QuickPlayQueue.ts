import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { monotonicClock, type Clock, type Timer } from "@arena/shared";

/** Longest a quick-play decision may hold the lock (a room creation waits up to 2 s on a remote process). */
const LOCK_TTL_MS = 5000;
const LOCK_RETRY_MS = 1;
const LOCK_KEY = "arena:quickplay:lock";
/**
 * The process refused the lock while it was held, which goes next (`TAKE`).
 * Hashed on the lock's own name ({...}): both keys of the script are in one
 * slot of a Redis Cluster.
 */
const NEXT_KEY = "{arena:quickplay:lock}:next";
/** How long a process's claim to go next lasts unless it asks again (it asks every LOCK_RETRY_MS while waiting). */
const NEXT_TTL_MS = 100;
/**
 * How long the next process may wait while the holder, with more requests,
 * takes the lock again (`TAKE`). Handing the turn over at every turn costs
 * the next process's retry (a millisecond, more when its event loop is
 * busy) each time: measured at 500 joins a second, yielding after 50 ms
 * gave lower p99s than yielding at once (README).
 */
const YIELD_AFTER_MS = 50;
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
/**
 * Takes the lock (KEYS[1]) for token ARGV[1] (PX ARGV[2]) unless another
 * process is next (KEYS[2]: "<process>|<when it was first refused, ms by
 * Redis's clock>") and has waited ARGV[5] ms or more; ARGV[3] names this
 * process. Refused while the lock is held, this process becomes next
 * unless another is (PX ARGV[4], renewed at each of its tries); taken by
 * the next process, the mark goes. 1 if taken. Without it, a holder with
 * more requests took the lock again at once (its release and its next try
 * leave in one write), and the other processes' requests waited for its
 * queue to run dry: seconds at 500 joins a second. There is one "next":
 * of three or more processes, the one that goes next after a turn is
 * whichever is refused first (fair on average, not a queue).
 */
const TAKE = `
local clock = redis.call("time")
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local mark = redis.call("get", KEYS[2])
local nextOne, since = nil, 0
if mark then
  local bar = string.find(mark, "|", 1, true)
  if bar then
    nextOne = string.sub(mark, 1, bar - 1)
    since = tonumber(string.sub(mark, bar + 1)) or 0
  else
    nextOne = mark
  end
end
if nextOne and nextOne ~= ARGV[3] and now - since >= tonumber(ARGV[5]) then return 0 end
if redis.call("set", KEYS[1], ARGV[1], "PX", ARGV[2], "NX") then
  if nextOne == ARGV[3] then redis.call("del", KEYS[2]) end
  return 1
end
if nextOne == ARGV[3] then
  redis.call("pexpire", KEYS[2], ARGV[4])
elseif not nextOne then
  redis.call("set", KEYS[2], ARGV[3] .. "|" .. now, "PX", ARGV[4])
end
return 0`;

/** The link's connection with the lock's scripts defined on it (EVALSHA). */
type TurnRedis = Redis & {
  arenaEndTurn(lock: string, token: string): Promise<number>;
  arenaTakeTurn(lock: string, next: string, token: string, ttlMs: number, process: string, nextTtlMs: number, yieldAfterMs: number): Promise<number>;
};

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
 * through a Redis lock, fairly: a process refused the lock goes next, before
 * the holder's next turn once it has waited YIELD_AFTER_MS (`TAKE`).
 */
export class QuickPlayQueue {
  #tail: Promise<void> = Promise.resolve();
  /** This process, to the lock's script. */
  readonly #process = randomUUID();

  /**
   * @param timeoutMs how long a request waits for its turn (then `turn()`
   *   resolves with null) and how long it may hold it (then the next request
   *   goes, whether or not the holder has answered). A decision takes
   *   milliseconds; this only bounds what a stuck one costs everyone behind it.
   * @param clock what those waits and the lock's retries are timed by (a TestClock in unit tests).
   * @param yieldAfterMs how long another process refused the lock may wait while this one takes it again (`TAKE`).
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly redis?: Redis,
    private readonly clock: Clock = monotonicClock,
    private readonly yieldAfterMs = YIELD_AFTER_MS,
  ) {
    // Defined once per connection (the link's is shared).
    if (redis !== undefined && !("arenaTakeTurn" in redis)) {
      redis.defineCommand("arenaTakeTurn", { numberOfKeys: 2, lua: TAKE });
      redis.defineCommand("arenaEndTurn", { numberOfKeys: 1, lua: RELEASE });
    }
  }

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
    const locked = await this.lock(endLocal);
    if (locked === null) return null;
    const end = once(locked);
    const holdTimer = this.clock.setTimeout(end, this.timeoutMs);
    return () => {
      this.clock.clearTimeout(holdTimer);
      end();
    };
  }

  /**
   * Takes the Redis lock when scaled; resolves with what ends the turn, or
   * with null (the in-process turn passed on) when it was not taken within
   * `timeoutMs` or Redis failed meanwhile: the caller answers its requests
   * 503 rather than decide without the lock. (It used to go on without the
   * lock at that point, taking a live holder's long turn for a dead one: an
   * adversarial review had four processes holding turns at once.) A dead
   * holder's lock frees itself at its TTL, so later turns go on.
   */
  private async lock(endLocal: () => void): Promise<(() => void) | null> {
    if (this.redis === undefined) return endLocal;
    const token = randomUUID();
    const deadline = this.clock.now() + this.timeoutMs;
    try {
      const redis = this.redis as TurnRedis;
      while ((await redis.arenaTakeTurn(LOCK_KEY, NEXT_KEY, token, LOCK_TTL_MS, this.#process, NEXT_TTL_MS, this.yieldAfterMs)) !== 1) {
        if (this.clock.now() >= deadline) {
          endLocal();
          return null;
        }
        await new Promise((resolve) => this.clock.setTimeout(() => resolve(undefined), LOCK_RETRY_MS));
      }
    } catch {
      // Redis failed mid-wait (the gate answers 503 to new requests meanwhile).
      endLocal();
      return null;
    }
    return () => {
      (this.redis as TurnRedis).arenaEndTurn(LOCK_KEY, token).catch(() => {});
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
