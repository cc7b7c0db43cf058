import type { InputFrame } from "@arena/shared";
import type { InputBudget, TickAllowance } from "@arena/shared";
import type { InputWaits } from "./InputWaits.ts";

/** What TickFrames needs of Colyseus's per-player input accessor (`room.inputs.get(id)`). */
export interface FrameQueue {
  /** Frames buffered. */
  readonly size: number;
  /** Consumes the oldest buffered frame (its render-time stamp becomes the player's `lastSeenBy`). */
  next(): InputFrame | undefined;
  /** Consumes the `n` oldest buffered frames. */
  take(n: number): unknown;
}

/**
 * The frames of one player that a tick simulates (see InputBudget), as the
 * `Iterable` that `stepTick` asks for: the frames the budget runs, each
 * taken from the buffer just before it is applied (so lag compensation reads
 * the stamp of the frame being simulated), then the frames it discards. One
 * per room, started for each player in turn: a tick allocates no generator,
 * allowance or iterator result per player.
 */
export class TickFrames implements IterableIterator<InputFrame> {
  readonly #allowance: TickAllowance = { run: 0, discard: 0 };
  #queue: FrameQueue | undefined;
  #playerId = "";
  #left = 0;
  #pending = 0;
  readonly #result = { done: false, value: undefined as InputFrame | undefined };

  /** `onDiscard`: told how many frames the budget dropped (a metric); `waits`: told which frames are taken (how long they waited). */
  constructor(
    readonly budget: InputBudget,
    private readonly onDiscard: (frames: number) => void,
    private readonly waits?: InputWaits,
  ) {}

  /**
   * This tick's frames of one player, from its buffer `queue`; `framesPerMessage`:
   * how many its client sends in one message (InputBudget). Call once per player
   * per tick (the budget banks what is unused).
   */
  of(playerId: string, queue: FrameQueue, framesPerMessage = 1): this {
    this.budget.allow(playerId, queue.size, framesPerMessage, this.#allowance);
    this.waits?.align(playerId, queue.size);
    this.#playerId = playerId;
    this.#queue = queue;
    this.#pending = queue.size;
    this.#left = this.#allowance.run;
    return this;
  }

  /** The current player's frames still buffered once this tick has run and discarded its share (the input lead's measure). */
  get waitingAfter(): number {
    return Math.max(0, this.#pending - this.#allowance.run - this.#allowance.discard);
  }

  /** The current player's buffer held no frame for this tick. */
  get dry(): boolean {
    return this.#pending === 0;
  }

  /** The player left for good: forget what it banked. */
  forget(playerId: string): void {
    this.budget.forget(playerId);
    this.waits?.forget(playerId);
  }

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<InputFrame> {
    const result = this.#result;
    const frame = this.#left > 0 ? this.#queue?.next() : undefined;
    if (frame !== undefined) {
      this.#left--;
      this.waits?.consumed(this.#playerId);
      result.value = frame;
      result.done = false;
      return result as IteratorResult<InputFrame>;
    }
    this.#finish();
    result.value = undefined;
    result.done = true;
    return result as IteratorResult<InputFrame>;
  }

  /** The run is over (or cut short): drop what the budget discards, once. */
  #finish(): void {
    const { discard } = this.#allowance;
    if (this.#queue !== undefined && this.#left === 0 && discard > 0) {
      this.#queue.take(discard);
      this.waits?.dropped(this.#playerId, discard);
      this.onDiscard(discard);
    }
    this.#queue = undefined;
    this.#left = 0;
  }
}
