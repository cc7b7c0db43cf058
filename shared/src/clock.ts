/**
 * Time as the project's timed code reads it: the time now, and timers. The
 * game and the servers run on `realClock`; unit tests pass a `TestClock`
 * (`@arena/shared/TestClock`), which moves only when the test steps it, so a
 * twenty-second reconnection schedule runs in milliseconds and no test
 * sleeps. Classes that keep time take one as an optional constructor
 * parameter defaulting to `realClock`. (The simulation, shared/src/sim,
 * reads no clock at all: its time is the tick.)
 */
export interface Clock {
  /** Wall time, ms since the Unix epoch (as Date.now()). */
  now(): number;
  /** Runs `run` once, `ms` from now. */
  setTimeout(run: () => void, ms: number): Timer;
  clearTimeout(timer: Timer | undefined): void;
  /** Runs `run` every `ms` from now until cleared. */
  setInterval(run: () => void, ms: number): Timer;
  clearInterval(timer: Timer | undefined): void;
}

declare const timerBrand: unique symbol;
/** A timer a Clock set, to clear it with. Opaque: a Node Timeout, a browser's number, a TestClock's id. */
export type Timer = { readonly [timerBrand]: true };

type HostTimer = ReturnType<typeof globalThis.setTimeout>;

/**
 * The host's clock and timers (Date.now, setTimeout, setInterval). `now` is
 * wall time, for instants that outlive the process (a seat saved for a
 * reload); durations inside one process use `monotonicClock`.
 */
export const realClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (run: () => void, ms: number) => globalThis.setTimeout(run, ms) as unknown as Timer,
  clearTimeout: (timer: Timer | undefined) => globalThis.clearTimeout(timer as unknown as HostTimer | undefined),
  setInterval: (run: () => void, ms: number) => globalThis.setInterval(run, ms) as unknown as Timer,
  clearInterval: (timer: Timer | undefined) => globalThis.clearInterval(timer as unknown as HostTimer | undefined),
});

/**
 * The host's timers, with `now` from `performance.now()`: milliseconds that
 * never step back when the system clock is set, for measuring durations
 * (rate windows, deadlines) inside one process.
 */
export const monotonicClock: Clock = Object.freeze({ ...realClock, now: () => performance.now() });
