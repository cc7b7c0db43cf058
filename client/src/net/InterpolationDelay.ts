import { PATCH_INTERVAL_MS } from "@arena/shared";

/**
 * How far behind the newest state remote players are drawn, following the
 * measured jitter of the patches' arrival.
 *
 * The rule. Each patch's lateness is its arrival time (local clock) minus
 * its server time; on a perfect link it is a constant, and what varies is
 * the jitter the buffer must absorb. A patch is needed when the render
 * clock passes the one before it, one patch interval earlier, so the delay
 * that leaves no gap for all but the latest patches is one interval plus
 * the spread of lateness above its minimum:
 *
 *   target = PATCH_INTERVAL_MS + quantile(lateness - min lateness, SPREAD_QUANTILE) + MARGIN_MS
 *
 * over the last WINDOW_PATCHES patches, bounded to [MIN_DELAY_MS, MAX_DELAY_MS].
 * The delay moves toward the target at most GROW_MS_PER_S up and
 * SHRINK_MS_PER_S down, so the render clock only ever runs a little slower
 * or faster than real time (never backwards: the largest slew is 1/10 of
 * real time). A clean link draws remote players about 60 ms behind the
 * newest state instead of the fixed 100 ms; a jittery one gets the buffer
 * it needs instead of freezing.
 *
 * The quantile leaves out the latest patches on purpose: the stalls of a
 * lost TCP segment (hundreds of ms, every few seconds on `mobile`) would
 * otherwise hold the delay at its ceiling, and players would be drawn, and
 * shots rewound, 200 ms in the past for the sake of a few frozen frames.
 */

/** Below one patch interval the buffer runs dry before every patch, on any link; 10 ms of margin above it. */
export const MIN_DELAY_MS = PATCH_INTERVAL_MS + 10;
/**
 * The ceiling: lag compensation rewinds at most REWIND_WINDOW_MS (300 ms),
 * which must cover half the round trip plus this delay; at 200 ms it does
 * for a one-way trip up to 100 ms (`mobile`'s 60 ms plus jitter).
 */
export const MAX_DELAY_MS = 200;
/** Before any patch: today's fixed figure, two patches. */
export const INITIAL_DELAY_MS = 100;
/** Patches in the measurement window: 3 s at 20 Hz. */
export const WINDOW_PATCHES = 60;
/** The share of patches the delay covers; the latest 10% (stalls) freeze instead of holding the delay up. */
export const SPREAD_QUANTILE = 0.9;
/** Slack above the measured spread: timer granularity and the frame the render clock reads on. */
export const MARGIN_MS = 10;
/** How fast the delay may grow: 60 ms a second (the render clock runs at 0.94 of real time meanwhile). */
export const GROW_MS_PER_S = 60;
/** How fast it may shrink: 15 ms a second (the render clock runs at 1.015), so a quiet spell does not undo the buffer at once. */
export const SHRINK_MS_PER_S = 15;

export class InterpolationDelay {
  readonly #lateness: number[] = [];
  #next = 0;
  #delayMs: number;
  #targetMs: number;
  #lastUpdateMs: number | undefined;
  readonly #sorted: number[] = [];

  /** `fixedMs`: hold the delay at this value (tests and figures pin it); the bounds still apply. */
  constructor(private readonly fixedMs?: number) {
    this.#delayMs = this.#targetMs = clamp(fixedMs ?? INITIAL_DELAY_MS);
  }

  /** The delay now, ms. */
  get delayMs(): number {
    return this.#delayMs;
  }

  /** Where the delay is heading, ms. */
  get targetMs(): number {
    return this.#targetMs;
  }

  /** A patch stamped `serverMs` arrived at `arrivalMs` (local clock). */
  patch(arrivalMs: number, serverMs: number): void {
    if (this.fixedMs !== undefined || !Number.isFinite(arrivalMs) || !Number.isFinite(serverMs)) return;
    const lateness = arrivalMs - serverMs;
    if (this.#lateness.length < WINDOW_PATCHES) this.#lateness.push(lateness);
    else this.#lateness[this.#next] = lateness;
    this.#next = (this.#next + 1) % WINDOW_PATCHES;
    if (this.#lateness.length < 2) return;
    const sorted = this.#sorted;
    sorted.length = 0;
    for (const l of this.#lateness) sorted.push(l);
    sorted.sort((a, b) => a - b);
    const spread = sorted[Math.min(sorted.length - 1, Math.floor(SPREAD_QUANTILE * sorted.length))] - sorted[0];
    this.#targetMs = clamp(PATCH_INTERVAL_MS + spread + MARGIN_MS);
  }

  /** Moves the delay toward its target for the time since the last call; returns it. */
  update(nowMs: number): number {
    const last = this.#lastUpdateMs;
    this.#lastUpdateMs = nowMs;
    if (last === undefined || !(nowMs > last)) return this.#delayMs;
    const seconds = Math.min(nowMs - last, 1000) / 1000;
    const gap = this.#targetMs - this.#delayMs;
    this.#delayMs += gap > 0 ? Math.min(gap, GROW_MS_PER_S * seconds) : Math.max(gap, -SHRINK_MS_PER_S * seconds);
    return this.#delayMs;
  }

  /** A new connection: its clock and its patches start over (the delay is kept, as a good first guess). */
  reset(): void {
    this.#lateness.length = 0;
    this.#next = 0;
    this.#lastUpdateMs = undefined;
  }
}

function clamp(ms: number): number {
  return Math.min(MAX_DELAY_MS, Math.max(MIN_DELAY_MS, ms));
}
