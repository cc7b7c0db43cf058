/**
 * Counts one client's frames per one-second window. Colyseus's own limit
 * (`maxMessagesPerSecond`) closes with a generic 4002 and holds the seat;
 * this one lets the room close with the project's code and free the seat
 * (ClientGuard). Once over the limit it stays tripped.
 */
export class FloodGuard {
  #windowStart = -Infinity;
  #count = 0;
  #tripped = false;

  constructor(private readonly limitPerSecond: number) {}

  /** Counts a frame arriving at `nowMs`; false once the limit has been passed. */
  admit(nowMs: number): boolean {
    if (this.#tripped) return false;
    if (nowMs - this.#windowStart >= 1000) {
      this.#windowStart = nowMs;
      this.#count = 0;
    }
    if (++this.#count > this.limitPerSecond) this.#tripped = true;
    return !this.#tripped;
  }
}
