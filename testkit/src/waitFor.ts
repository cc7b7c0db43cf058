import { inspect } from "node:util";

/** How long `waitFor` waits, and what may end the wait sooner. */
export interface WaitOptions {
  /** ms; default 5000. */
  timeoutMs?: number;
  /** Aborted: the wait fails at once with the signal's reason (a child that exited, say). */
  signal?: AbortSignal;
}

/** Between two checks, ms. */
const POLL_MS = 10;

/**
 * Polls `check` until it returns a truthy value, or fails after the timeout
 * with `what` and the last error `check` threw. `options` is the timeout in
 * ms, or `{ timeoutMs, signal }`.
 */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, options: number | WaitOptions = {}): Promise<NonNullable<T>> {
  const { timeoutMs = 5000, signal } = typeof options === "number" ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    signal?.throwIfAborted();
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    signal?.throwIfAborted();
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${textOf(last)}` : ""}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** What `check` threw, as a line: an Error's own text (its name and message), anything else as `util.inspect` shows it. */
function textOf(thrown: unknown): string {
  return thrown instanceof Error ? thrown.toString() : inspect(thrown);
}
