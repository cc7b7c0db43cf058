import type { Rewind, RewindView } from "@colyseus/core";
import type { Player, SeenBy, SeenPosition } from "@arena/shared";

/**
 * Lag compensation for shots: a shooter's view is where it saw the others
 * when it sent the frame being simulated, read from Colyseus's Rewind at that
 * frame's render-time stamp (`lastSeenBy`: the frame just consumed). The
 * simulation asks only for a frame that fires. Nothing is allocated per shot:
 * core re-aims one shared view per `lastSeenBy`, and the answer is one
 * reused position, which the shot reads at once.
 */
export class LagCompensation {
  #view: RewindView | undefined;
  readonly #seenAt = { x: 0, y: 0 };

  /**
   * `rewind`: the room's, with the players' x and y attached; `onRewind`: told
   * each shot's depth, given `now`, the room's present on the rewind's clock.
   */
  constructor(
    private readonly rewind: Rewind,
    private readonly now?: () => number,
    private readonly onRewind?: (depthMs: number) => void,
  ) {}

  /** For `stepTick`. */
  readonly seenBy: SeenBy = (shooterId) => {
    this.#view = this.rewind.lastSeenBy(shooterId);
    if (this.now !== undefined) this.onRewind?.(Math.max(0, this.now() - this.#view.time));
    return this.#seen;
  };

  readonly #seen: SeenPosition = (_id, target) => {
    const x = this.#view!.value(target as Player, "x");
    const y = this.#view!.value(target as Player, "y");
    // A stamp the client forged cannot move anyone: fall back to live.
    if (!(Number.isFinite(x) && Number.isFinite(y))) return target;
    this.#seenAt.x = x;
    this.#seenAt.y = y;
    return this.#seenAt;
  };
}
