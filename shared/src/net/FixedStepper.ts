/**
 * Turns variable frame times into whole fixed steps: the client sends one
 * input frame per step, at the server's tick rate, whatever the display's
 * frame rate.
 */
export class FixedStepper {
  #accumulatedMs = 0;

  /**
   * @param stepMs one step, ms (1000 / tick rate)
   * @param maxSteps at most this many steps per frame; a longer stall (a
   *   background tab) is dropped rather than replayed as a burst.
   */
  constructor(
    private readonly stepMs: number,
    private readonly maxSteps = 4,
  ) {}

  /**
   * Adds a frame's duration; returns how many steps are due. `rate` scales
   * the frame's time (the input clock's lean, net/inputLead.ts): below 1 the
   * steps come a little slower, above 1 a little faster.
   */
  advance(frameMs: number, rate = 1): number {
    this.#accumulatedMs += Math.max(0, frameMs) * rate;
    let steps = Math.floor(this.#accumulatedMs / this.stepMs);
    this.#accumulatedMs -= steps * this.stepMs;
    if (steps > this.maxSteps) {
      steps = this.maxSteps;
      this.#accumulatedMs = 0;
    }
    return steps;
  }

  /** How far the current frame is into the next step, in [0, 1): for drawing between steps. */
  get alpha(): number {
    return this.#accumulatedMs / this.stepMs;
  }
}
