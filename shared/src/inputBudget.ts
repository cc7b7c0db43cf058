import { INPUT_GROUP_MAX_FRAMES } from "./inputGroup.ts";

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
 *
 * A client that sends its frames n to a message (an input group) delivers
 * n frames every n ticks: the n - 1 frames beyond this tick's are not a
 * backlog, and are played out one per tick as they were sampled rather than
 * caught up at once. Caught up, a player would move n steps in one tick and
 * none in the next n - 1, and the others would see it stop in one patch in
 * four at n = 2 (`npm run bench:inputs -w server`). That costs each of
 * those frames a tick of waiting (the README's input-delay figures); a
 * backlog beyond them is caught up as before.
 */

/**
 * Steps a player may bank during a stall: 12 ticks, 400 ms at 30 Hz, the
 * longest stall of the `mobile` link profile (a TCP retransmission timeout:
 * RFC 6298's 200 ms floor plus the round trip). A stall the bank covers is
 * caught up within a few ticks; one it does not leaves frames standing in
 * the queue, each waiting that much longer, until the client's input clock
 * leans them away (net/inputLead.ts). With 8 (270 ms), `mobile`'s input
 * wait was p50 1.7-2.0 ticks, p99 3.6-3.8; with 12, 1.1-1.2 and 2.5-3.0
 * (`npm run bench -- --scenario network --links mobile`). The cost: a client
 * that holds its frames back (a lag switch) can spend 12 steps in a burst
 * instead of 8, over at least 3 ticks (STEPS_PER_TICK_MAX): 88 px instead
 * of 59 px ahead of where it would be, still never faster on average.
 */
export const BANKED_STEPS_MAX = 12;
/** Steps one tick may run for one player, so a backlog drains in a few ticks, not in one jump. */
export const STEPS_PER_TICK_MAX = 4;
/** Frames allowed to wait beyond what the bank covers: 3 ticks, 100 ms of input lag at most (a group's frames played out one per tick included). */
export const QUEUED_FRAMES_MAX = 3;
/**
 * Colyseus's per-client buffer (`bufferMaxSize`): room for a full bank plus
 * the queue and one tick's arrivals (up to INPUT_GROUP_MAX_FRAMES, one
 * group): 12 + 3 + 4 = 19, and one more. It only overflows for a flood.
 */
export const INPUT_BUFFER_FRAMES = 20;

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
   * Call once per tick per player, with how many frames it has waiting and
   * how many frames its client sends in one message (1 when each comes alone).
   * `into`: an allowance to fill and return instead of a new one (a room's tick reuses one).
   */
  allow(playerId: string, pending: number, framesPerMessage = 1, into: TickAllowance = { run: 0, discard: 0 }): TickAllowance {
    const credit = Math.min(BANKED_STEPS_MAX, (this.#banked.get(playerId) ?? 0) + 1);
    // The frames of a group beyond this tick's wait for the ticks they were sampled for.
    const playedOut = Math.min(Math.max(framesPerMessage, 1), INPUT_GROUP_MAX_FRAMES) - 1;
    const due = pending > playedOut ? pending - playedOut : Math.min(pending, 1);
    const run = Math.min(due, credit, STEPS_PER_TICK_MAX);
    const left = credit - run;
    this.#banked.set(playerId, left);
    into.run = run;
    into.discard = Math.max(0, pending - run - left - QUEUED_FRAMES_MAX);
    return into;
  }

  forget(playerId: string): void {
    this.#banked.delete(playerId);
  }

  /** Steps a player has banked (a match snapshot carries them to another process). */
  banked(playerId: string): number {
    return this.#banked.get(playerId) ?? 0;
  }

  /** Sets what a player has banked, as a snapshot recorded it (at most BANKED_STEPS_MAX). */
  restore(playerId: string, steps: number): void {
    this.#banked.set(playerId, Math.min(Math.max(0, Math.floor(steps)), BANKED_STEPS_MAX));
  }
}
