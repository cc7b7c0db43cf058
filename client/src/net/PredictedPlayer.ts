import { moveBody, type InputFrame } from "@arena/shared";

/** A correction larger than this is a teleport (respawn, round start): jump, do not glide. */
export const SNAP_DISTANCE_PX = 64;
/** Time constant of the glide that hides a small correction. */
export const CORRECTION_SMOOTH_MS = 100;
/** Below this a correction is rounding, not a misprediction. */
const EPSILON_PX = 1e-6;

interface Point {
  x: number;
  y: number;
}

/** One misprediction the server corrected. */
export interface Correction {
  /** Distance between what was predicted and the corrected prediction, px. */
  sizePx: number;
  atMs: number;
}

/**
 * The local player, predicted: each input frame moves it at once with the
 * shared step (the same `moveBody` the server runs), and each server state
 * replaces the prediction with the server's position plus the frames the
 * server has not consumed yet. The difference, if any, is not shown as a jump
 * but glides away over CORRECTION_SMOOTH_MS, unless it is large.
 */
export class PredictedPlayer {
  /** The exact predicted position after the last frame. */
  readonly position: Point = { x: 0, y: 0 };
  #offset: Point = { x: 0, y: 0 };
  #alive = false;
  #pending: { seq: number; frame: InputFrame }[] = [];
  #lastRenderMs: number | undefined;
  /** The last 1000 corrections (mispredictions; teleports are not among them). */
  readonly corrections: Correction[] = [];
  /** Corrections since the player was made. */
  correctionCount = 0;
  /** Teleports since the player was made: a respawn, a round start, a jump past SNAP_DISTANCE_PX. */
  teleportCount = 0;
  /** Deaths since the player was made: the server stopped the player where it fell, which no prediction can know. */
  deathCount = 0;

  /** Starts over from a server state (join, reconnection). */
  reset(x: number, y: number, alive: boolean): void {
    this.position.x = x;
    this.position.y = y;
    this.#offset = { x: 0, y: 0 };
    this.#alive = alive;
    this.#pending = [];
  }

  get pendingCount(): number {
    return this.#pending.length;
  }

  /** Applies a frame the moment it is sent (`seq` as the input handle numbered it). */
  predict(seq: number, frame: InputFrame, dt: number): void {
    this.#pending.push({ seq, frame: { ...frame } });
    if (this.#alive) moveBody(this.position, frame.moveX, frame.moveY, dt);
  }

  /**
   * A server state arrived, with the number of this player's frames the
   * server has consumed (`ackSeq`). Returns the correction, or null when the
   * prediction was right or the server teleported the player.
   */
  reconcile(server: { x: number; y: number; alive: boolean }, ackSeq: number, dt: number, nowMs: number): Correction | null {
    while (this.#pending.length > 0 && this.#pending[0].seq <= ackSeq) this.#pending.shift();
    const before = { ...this.position };
    const corrected = { x: server.x, y: server.y };
    const died = this.#alive && !server.alive;
    this.#alive = server.alive;
    if (this.#alive) for (const { frame } of this.#pending) moveBody(corrected, frame.moveX, frame.moveY, dt);
    const dx = before.x - corrected.x;
    const dy = before.y - corrected.y;
    const size = Math.sqrt(dx * dx + dy * dy);
    this.position.x = corrected.x;
    this.position.y = corrected.y;
    if (size <= EPSILON_PX) return null;
    if (died) {
      // Frames sent after the fatal hit moved the prediction on; the body stays where it fell.
      this.#offset = { x: 0, y: 0 };
      this.deathCount++;
      return null;
    }
    if (size > SNAP_DISTANCE_PX) {
      // The server moved the player (a respawn, a round start): not a misprediction.
      this.#offset = { x: 0, y: 0 };
      this.teleportCount++;
      return null;
    }
    // Carry the error as an offset: the player is drawn where it was, then
    // the offset glides to zero.
    this.#offset.x += dx;
    this.#offset.y += dy;
    const correction = { sizePx: size, atMs: nowMs };
    this.corrections.push(correction);
    this.correctionCount++;
    if (this.corrections.length > 1000) this.corrections.shift();
    return correction;
  }

  /**
   * Where to draw the player this frame: the last predicted step advanced by
   * the part of a step (`alpha`) the frame is into, with the controls held
   * now, through the same `moveBody` (so walls stop it there too), plus what
   * is left of a recent correction. A key pressed on this frame moves the
   * player on this frame, before its input frame is even sent.
   */
  render(alpha: number, nowMs: number, controls: { moveX: number; moveY: number }, dt: number): Point {
    const elapsed = this.#lastRenderMs === undefined ? 0 : Math.max(0, nowMs - this.#lastRenderMs);
    this.#lastRenderMs = nowMs;
    const decay = Math.exp(-elapsed / CORRECTION_SMOOTH_MS);
    this.#offset.x *= decay;
    this.#offset.y *= decay;
    const drawn = { ...this.position };
    if (this.#alive && alpha > 0) moveBody(drawn, controls.moveX, controls.moveY, dt * alpha);
    return { x: drawn.x + this.#offset.x, y: drawn.y + this.#offset.y };
  }
}
