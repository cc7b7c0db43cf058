/**
 * When to retry a dropped connection: exponential backoff with full jitter
 * (each wait uniform in [0, min(cap, base * 2^attempt)]), so a server that
 * restarts does not get every client back in the same millisecond, and
 * ending about when the server releases the seat, after which retrying is
 * useless.
 */
export interface ScheduleOptions {
  /** The server's grace window for a dropped seat, ms. */
  graceMs: number;
  baseMs?: number;
  capMs?: number;
  /** Stop this long before the seat is released (a last attempt still needs a round trip). */
  marginMs?: number;
}

/** Delays (ms) before each attempt; they add up to graceMs - marginMs, so the last try comes just before the seat goes. */
export function reconnectDelays(options: ScheduleOptions, random: () => number = Math.random): number[] {
  const { graceMs, baseMs = 250, capMs = 4000, marginMs = 500 } = options;
  const budget = graceMs - marginMs;
  const delays: number[] = [];
  let total = 0;
  for (let attempt = 0; attempt < 1000; attempt++) {
    const delay = Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
    if (total + delay >= budget) {
      // A last attempt just before the seat goes.
      if (budget > total) delays.push(budget - total);
      break;
    }
    delays.push(delay);
    total += delay;
  }
  return delays;
}
