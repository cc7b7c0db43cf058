/**
 * How many of a player's buffered input frames the room simulates each tick.
 *
 * Each frame is one step of movement, so whoever controls the frame rate
 * controls the speed. The rule: every tick grants a player one step; steps
 * not used while their frames are late (a network stall) are banked, up to
 * BANKED_STEPS_MAX; a tick spends at most STEPS_PER_TICK_MAX. After a stall
 * the backlog is caught up within a few ticks, and over any stretch of time a
 * player moves at most (ticks + BANKED_STEPS_MAX) steps, whatever it sends.
 * Frames beyond what the bank can ever pay for (a client sending faster than
 * the tick rate) are discarded oldest first once more than QUEUED_FRAMES_MAX
 * wait, so they never turn into lasting input lag; the ack still advances and
 * the client's predictor corrects.
 */

/** Steps a player may bank during a stall: 8 ticks, about 270 ms at 30 Hz. */
export const BANKED_STEPS_MAX = 8;
/** Steps one tick may run for one player, so a backlog drains in a few ticks, not in one jump. */
export const STEPS_PER_TICK_MAX = 4;
/** Frames allowed to wait beyond what the bank covers: 3 ticks, 100 ms of input lag at most. */
export const QUEUED_FRAMES_MAX = 3;
/**
 * Colyseus's per-client buffer (`bufferMaxSize`): room for a full bank plus
 * the queue and one tick's arrivals. It only overflows for a flood.
 */
export const INPUT_BUFFER_FRAMES = 16;

/** What a tick does with one player's buffered frames. */
export interface TickAllowance {
  /** Frames to simulate, oldest first. */
  run: number;
  /** Frames to discard after those. */
  discard: number;
}

export class InputBudget {
  #banked = new Map<string, number>();

  /**
   * Call once per tick per player, with how many frames it has waiting.
   * `into`: an allowance to fill and return instead of a new one (a room's tick reuses one).
   */
  allow(playerId: string, pending: number, into: TickAllowance = { run: 0, discard: 0 }): TickAllowance {
    const credit = Math.min(BANKED_STEPS_MAX, (this.#banked.get(playerId) ?? 0) + 1);
    const run = Math.min(pending, credit, STEPS_PER_TICK_MAX);
    const left = credit - run;
    this.#banked.set(playerId, left);
    into.run = run;
    into.discard = Math.max(0, pending - run - left - QUEUED_FRAMES_MAX);
    return into;
  }

  forget(playerId: string): void {
    this.#banked.delete(playerId);
  }
}
