import type { Clock, Timer } from "./clock.ts";

interface Scheduled {
  readonly id: number;
  /** Due time, ms on this clock. */
  at: number;
  /** Order among timers due at the same ms: the order they were set (or re-armed). */
  order: number;
  readonly run: () => void;
  /** Set for an interval: re-armed this many ms after each run. */
  readonly everyMs: number | undefined;
}

/** One turn of the host's event loop: every pending promise reaction has run by then. */
const settle = (): Promise<void> =>
  new Promise((resolve) => {
    if (typeof setImmediate === "function") setImmediate(resolve);
    else globalThis.setTimeout(resolve, 0);
  });

/**
 * A Clock that moves only when a test steps it (the model is Excalibur's
 * `TestClock`). `advance(ms)` runs the timers that fall due on the way, in
 * time order (timers due in the same ms in the order they were set), with
 * `now()` reading each one's due time while it runs; after each, it lets
 * promise work settle (one turn of the event loop), so async code that
 * awaits between its timers sets the next one at the time it would have.
 * Test infrastructure: nothing in the game imports it.
 */
export class TestClock implements Clock {
  #now: number;
  #ids = 0;
  #order = 0;
  readonly #timers = new Map<number, Scheduled>();

  /** `startMs`: what `now()` reads before the first step (wall time, ms). */
  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(run: () => void, ms: number): Timer {
    return this.#schedule(run, ms, undefined);
  }

  /** An interval of under 1 ms runs every 1 ms, as Node's does, so a step always ends. */
  setInterval(run: () => void, ms: number): Timer {
    return this.#schedule(run, ms, Math.max(1, ms));
  }

  clearTimeout(timer: Timer | undefined): void {
    if (timer !== undefined) this.#timers.delete(timer as unknown as number);
  }

  clearInterval(timer: Timer | undefined): void {
    this.clearTimeout(timer);
  }

  /** Timers set and neither run (once) nor cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time on by `ms`, running every timer due by then, each at its own time. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + Math.max(0, ms);
    await settle();
    for (let next = this.#next(end); next !== undefined; next = this.#next(end)) {
      this.#now = next.at;
      if (next.everyMs === undefined) this.#timers.delete(next.id);
      else {
        next.at += next.everyMs;
        next.order = this.#order++;
      }
      next.run();
      await settle();
    }
    this.#now = end;
  }

  #schedule(run: () => void, ms: number, everyMs: number | undefined): Timer {
    const id = ++this.#ids;
    const delay = Number.isFinite(ms) ? Math.max(0, ms) : 0;
    this.#timers.set(id, { id, at: this.#now + (everyMs ?? delay), order: this.#order++, run, everyMs });
    return id as unknown as Timer;
  }

  /** The timer that runs next if it is due by `end`. */
  #next(end: number): Scheduled | undefined {
    let first: Scheduled | undefined;
    for (const timer of this.#timers.values()) {
      if (timer.at <= end && (first === undefined || timer.at < first.at || (timer.at === first.at && timer.order < first.order))) first = timer;
    }
    return first;
  }
}
