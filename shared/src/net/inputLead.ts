import { TICK_RATE_HZ } from "../constants.ts";

/**
 * The input clock's lean (the Overwatch approach): the server measures how a
 * player's input frames meet its ticks and tells the client, in the state it
 * sends anyway (`Player.inputLead`, at most one change a second); the
 * client's send clock runs a little slower or faster until its frames arrive
 * just before the ticks that need them.
 *
 * - lead > 0: for a whole window, at least `lead` frames were still waiting
 *   after every tick. That is a standing queue: each of those frames waits
 *   `lead` ticks more than it has to (after a stall the bank could not pay
 *   for, or a burst). The client runs slower until it drains.
 * - lead < 0: more than INPUT_DRY_SHARE of the window's ticks found no frame.
 *   The frames arrive late (the budget banks the step and runs two at once
 *   later, a hitch others see). The client runs a little faster.
 * - lead = 0: between the two. Frames arrive within a tick of being needed
 *   and the clocks run at the same rate.
 *
 * There is a dead band a tick wide between "dry" and "a standing frame", so
 * the rule settles instead of hunting: once the frames arrive in it, the
 * lean is 0.
 */

/** Ticks per measurement: one second. A lead changes at most once per window, so it costs a few bytes a second at most. */
export const INPUT_LEAD_WINDOW_TICKS = TICK_RATE_HZ;
/** More than this share of a window's ticks finding no frame means the client is behind (a tick in ten: a stall or a late phase, not one late frame). */
export const INPUT_DRY_SHARE = 0.1;
/** The largest lead reported: a standing queue longer than this is cut by the input budget anyway (QUEUED_FRAMES_MAX). */
export const INPUT_LEAD_MAX = 4;

/**
 * How much slower the client's send clock runs per standing frame: 2%, so a
 * standing frame drains in 1 / (0.02 × 30 Hz) ≈ 1.7 s, and the largest lean
 * (8%) never shows as a change of speed on screen (movement per step is
 * unchanged; only the cadence moves).
 */
export const LEAN_SLOWER_PER_FRAME = 0.02;
/** How much faster it runs when behind: 2%, moving the frames' arrival 20 ms earlier a second. */
export const LEAN_FASTER = 0.02;

/** The rate of the client's send clock for a lead the server reported: 1 is the server's tick rate. */
export function inputClockRate(lead: number): number {
  const frames = Number.isFinite(lead) ? Math.round(lead) : 0;
  if (frames === 0) return 1;
  if (frames < 0) return 1 + LEAN_FASTER;
  return 1 - LEAN_SLOWER_PER_FRAME * Math.min(frames, INPUT_LEAD_MAX);
}

interface Window {
  ticks: number;
  dry: number;
  minLeft: number;
}

/**
 * The server's side: each player's ticks over a window, and the lead at the
 * end of each. Pure bookkeeping; the room writes the lead into the state.
 */
export class InputLeadMeter {
  readonly #windows = new Map<string, Window>();

  /**
   * One tick of one player: `left`, the frames still buffered after the tick
   * ran and discarded what it did; `dry`, the tick found no frame to run.
   * Returns the lead when this tick ends the player's window, else undefined.
   */
  tick(playerId: string, left: number, dry: boolean): number | undefined {
    let w = this.#windows.get(playerId);
    if (w === undefined) this.#windows.set(playerId, (w = { ticks: 0, dry: 0, minLeft: Infinity }));
    w.ticks++;
    if (dry) w.dry++;
    if (left < w.minLeft) w.minLeft = left;
    if (w.ticks < INPUT_LEAD_WINDOW_TICKS) return undefined;
    const lead = w.dry > INPUT_DRY_SHARE * w.ticks ? -1 : Math.min(Math.max(0, w.minLeft), INPUT_LEAD_MAX);
    w.ticks = 0;
    w.dry = 0;
    w.minLeft = Infinity;
    return lead;
  }

  /** The player dropped or left: its window starts over when it is back. */
  forget(playerId: string): void {
    this.#windows.delete(playerId);
  }
}
