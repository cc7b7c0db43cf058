/**
 * Counts the frames a client sends, per second; the first time a second's
 * count passes the limit, `onFlood` runs (once). Colyseus's own limit
 * (`maxMessagesPerSecond`) closes with a generic 4002 and holds the seat;
 * this one lets the room close with its own code and free the seat.
 */
export class FloodGuard {
  #windowStart = 0;
  #count = 0;
  #tripped = false;

  constructor(private readonly limitPerSecond: number, private readonly onFlood: () => void) {}

  /** Watches a socket's incoming frames (the ws package's "message" event). */
  watch(socket: { on(event: "message", listener: () => void): unknown }): void {
    socket.on("message", () => this.frame(performance.now()));
  }

  frame(nowMs: number): void {
    if (this.#tripped) return;
    if (nowMs - this.#windowStart >= 1000) {
      this.#windowStart = nowMs;
      this.#count = 0;
    }
    if (++this.#count > this.limitPerSecond) {
      this.#tripped = true;
      this.onFlood();
    }
  }
}
