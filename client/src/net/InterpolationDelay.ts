import { PATCH_INTERVAL_MS } from "@arena/shared";

/**
 * Where remote players are drawn: a jitter buffer on the patches' own
 * timing, with a delay that follows the measured jitter.
 *
 * Each patch's lateness is its arrival time (local clock) minus its server
 * time. The smallest lateness in the window is the fastest a patch came; the
 * spread above it is the jitter, and the beat between 20 patches and 30 ticks
 * a second (a patch carries the last tick's state, up to a tick old). A patch
 * is needed when the drawing passes the one before it, one patch interval
 * earlier, so the delay that leaves no gap for all but the latest patches is
 *
 *   delay = PATCH_INTERVAL_MS + quantile(lateness - min lateness, SPREAD_QUANTILE) + MARGIN_MS
 *
 * over the last WINDOW_PATCHES patches, bounded to [MIN_DELAY_MS, MAX_DELAY_MS],
 * and remote players are drawn at server time
 *
 *   render time = now - (min lateness + delay)
 *
 * The lag (min lateness + delay) moves toward its target at most
 * GROW_MS_PER_S up and SHRINK_MS_PER_S down, so the render clock only runs a
 * little slower or faster than real time, and never backwards. One
 * exception: the delay never exceeds MAX_DELAY_MS over the fastest patch
 * (lag compensation rewinds no further), so when a patch comes that much
 * faster than the lag allows, the render clock jumps forward. The drawing
 * follows the patches themselves, not the SDK's estimate of server time (which
 * takes half the input round trip, ticks and patches waited for included, as
 * the one-way trip): on a clean link remote players are drawn about a patch
 * interval and the beat behind the server's present, plus the one-way trip.
 *
 * The quantile leaves out the latest patches on purpose: the stalls of a
 * lost TCP segment (hundreds of ms, every few seconds on `mobile`) would
 * otherwise hold the delay at its ceiling, and players would be drawn, and
 * shots rewound, 200 ms in the past for the sake of a few frozen frames.
 *
 * Lag compensation: every input frame's stamp declares the render time of
 * the frame it was sampled on (ArenaConnection binds the SDK's `renderDelay`
 * to `stampDelayMs`), so the server rewinds to what was drawn.
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
  readonly #sorted: number[] = [];
  #minLateness = NaN;
  #targetDelayMs: number;
  /** The lag the drawing runs at: render time = now - lag. NaN before the first patch. */
  #lagMs = NaN;
  #lastUpdateMs: number | undefined;
  #lastRenderMs = -Infinity;

  /** `fixedMs`: hold the delay at this value (tests and figures pin it); the bounds still apply. */
  constructor(private readonly fixedMs?: number) {
    this.#targetDelayMs = clamp(fixedMs ?? INITIAL_DELAY_MS);
  }

  /** The delay now: how far behind the fastest patch remote players are drawn, ms. */
  get delayMs(): number {
    return Number.isNaN(this.#lagMs) ? this.#targetDelayMs : this.#lagMs - this.#minLateness;
  }

  /** Where the delay is heading, ms. */
  get targetMs(): number {
    return this.#targetDelayMs;
  }

  /** A patch stamped `serverMs` arrived at `arrivalMs` (local clock). */
  patch(arrivalMs: number, serverMs: number): void {
    if (!Number.isFinite(arrivalMs) || !Number.isFinite(serverMs)) return;
    const lateness = arrivalMs - serverMs;
    if (this.#lateness.length < WINDOW_PATCHES) this.#lateness.push(lateness);
    else this.#lateness[this.#next] = lateness;
    this.#next = (this.#next + 1) % WINDOW_PATCHES;
    const sorted = this.#sorted;
    sorted.length = 0;
    for (const l of this.#lateness) sorted.push(l);
    sorted.sort((a, b) => a - b);
    this.#minLateness = sorted[0];
    if (this.fixedMs === undefined && sorted.length >= 2) {
      const spread = sorted[Math.min(sorted.length - 1, Math.floor(SPREAD_QUANTILE * sorted.length))] - sorted[0];
      this.#targetDelayMs = clamp(PATCH_INTERVAL_MS + spread + MARGIN_MS);
    }
    // The first patch of a connection: start at the target.
    if (Number.isNaN(this.#lagMs)) this.#lagMs = this.#minLateness + this.#targetDelayMs;
    // A patch faster than any before (a late first patch, a link that got faster) would leave the
    // drawing further behind than lag compensation rewinds (MAX_DELAY_MS): it jumps forward to
    // the ceiling instead of shrinking there at SHRINK_MS_PER_S, which took tens of seconds.
    else this.#lagMs = Math.min(this.#lagMs, this.#minLateness + MAX_DELAY_MS);
  }

  /**
   * The server time to draw remote players at, for local time `nowMs`
   * (after moving the lag toward its target for the time since the last
   * call); never less than the last answer. NaN before the first patch.
   */
  renderTime(nowMs: number): number {
    if (Number.isNaN(this.#lagMs)) return NaN;
    const last = this.#lastUpdateMs;
    this.#lastUpdateMs = nowMs;
    if (last !== undefined && nowMs > last) {
      const seconds = Math.min(nowMs - last, 1000) / 1000;
      const gap = this.#minLateness + this.#targetDelayMs - this.#lagMs;
      this.#lagMs += gap > 0 ? Math.min(gap, GROW_MS_PER_S * seconds) : Math.max(gap, -SHRINK_MS_PER_S * seconds);
    }
    this.#lastRenderMs = Math.max(this.#lastRenderMs, nowMs - this.#lagMs);
    return this.#lastRenderMs;
  }

  /** A new connection: its patches start over (the delay is kept, as a good first guess). */
  reset(): void {
    this.#lateness.length = 0;
    this.#next = 0;
    this.#minLateness = NaN;
    this.#lagMs = NaN;
    this.#lastUpdateMs = undefined;
    this.#lastRenderMs = -Infinity;
  }
}

function clamp(ms: number): number {
  return Math.min(MAX_DELAY_MS, Math.max(MIN_DELAY_MS, ms));
}
