/** One tick in this many is measured: a histogram observation per player per tick would cost more than the tick. */
export const INPUT_WAIT_SAMPLE_TICKS = 10;
/** Arrival times kept per player: more than the input buffer holds (INPUT_BUFFER_FRAMES), so none is lost before its frame. */
const ARRIVALS_MAX = 32;

/**
 * How long a player's input frames wait in the server's buffer, from their
 * arrival (when Colyseus captures them) to the tick that simulates them
 * (`arena_input_wait_seconds`), and how many wait at each tick
 * (`arena_input_queue_depth`). Arrival times are kept per player in the
 * buffer's order; a tick consumes them as it consumes frames (TickFrames).
 * Colyseus drops the oldest frames of a full buffer, so before each tick the
 * oldest arrivals beyond the buffer's size are dropped too. Every frame's
 * arrival is kept; only one tick in INPUT_WAIT_SAMPLE_TICKS is observed.
 */
export class InputWaits {
  readonly #arrivals = new Map<string, number[]>();
  #sampling = false;

  constructor(
    private readonly now: () => number,
    private readonly observeWaitMs: (ms: number) => void,
    private readonly observeDepth: (frames: number) => void,
    /** Told every frame's wait, of every tick (the `__test:inputWaits` hook; none in production). */
    private readonly tap?: (playerId: string, ms: number) => void,
  ) {}

  /** A tick starts (its number, counted by the room's fixed timestep). */
  tick(tick: number): void {
    this.#sampling = tick % INPUT_WAIT_SAMPLE_TICKS === 0;
  }

  /** A frame of this player arrived in its buffer. */
  arrived(playerId: string): void {
    let arrivals = this.#arrivals.get(playerId);
    if (arrivals === undefined) this.#arrivals.set(playerId, (arrivals = []));
    arrivals.push(this.now());
    if (arrivals.length > ARRIVALS_MAX) arrivals.shift();
  }

  /** The tick reads this player's buffer, holding `size` frames. */
  align(playerId: string, size: number): void {
    const arrivals = this.#arrivals.get(playerId);
    if (arrivals !== undefined && arrivals.length > size) arrivals.splice(0, arrivals.length - size);
    if (this.#sampling) this.observeDepth(size);
  }

  /** The tick simulates this player's oldest buffered frame. */
  consumed(playerId: string): void {
    const arrived = this.#arrivals.get(playerId)?.shift();
    if (arrived === undefined) return;
    if (this.#sampling) this.observeWaitMs(this.now() - arrived);
    this.tap?.(playerId, this.now() - arrived);
  }

  /** The input budget discards this player's `count` oldest frames. */
  dropped(playerId: string, count: number): void {
    this.#arrivals.get(playerId)?.splice(0, count);
  }

  /** The player dropped or left: its buffer is emptied. */
  forget(playerId: string): void {
    this.#arrivals.delete(playerId);
  }
}
