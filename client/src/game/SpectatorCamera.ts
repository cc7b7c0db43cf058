import { ARENA_HEIGHT_PX, ARENA_WIDTH_PX } from "@arena/shared";

/** Zoom levels a spectator steps through: 1 shows the whole arena, as players see it. */
export const SPECTATOR_ZOOMS = [1, 1.5, 2.25] as const;
/** A spectator starts close enough to follow the action, with a third of the arena's width each side of the followed player. */
const START_ZOOM_INDEX = 1;
/** How fast the free camera pans, arena px per second at zoom 1 (slower when zoomed in, so the screen moves at the same speed). */
const PAN_PX_PER_S = 900;

/** A player the camera can follow: where it is drawn. */
export interface Followable {
  id: string;
  name: string;
  x: number;
  y: number;
}

/** Where the spectator's camera looks on this frame: the arena point at the screen's centre, and the zoom. */
export interface CameraView {
  x: number;
  y: number;
  zoom: number;
  /** The player followed, or undefined on the free camera. */
  followedId: string | undefined;
  followedName: string | undefined;
}

/**
 * A spectator's camera, without Phaser: follows a player (the first one at
 * the start; keys cycle through them) or pans freely (arrows or WASD, which
 * leave the player followed), and never shows outside the arena. Players are
 * taken in the order given (the view's: the order they joined).
 */
export class SpectatorCamera {
  #x = ARENA_WIDTH_PX / 2;
  #y = ARENA_HEIGHT_PX / 2;
  #zoomIndex = START_ZOOM_INDEX;
  /** Following someone (the id, once there is someone), or panning freely. */
  #mode: "follow" | "free" = "follow";
  #followedId: string | undefined;

  /** Follows the next (`step` 1) or previous (-1) player after the one followed now. */
  cycle(step: 1 | -1, players: readonly Followable[]): void {
    this.#mode = "follow";
    if (players.length === 0) return;
    const at = players.findIndex((p) => p.id === this.#followedId);
    const next = at === -1 ? (step > 0 ? 0 : players.length - 1) : (at + step + players.length) % players.length;
    this.#followedId = players[next].id;
  }

  /** One zoom level in (`step` 1) or out (-1), within SPECTATOR_ZOOMS. */
  zoom(step: 1 | -1): void {
    this.#zoomIndex = Math.min(SPECTATOR_ZOOMS.length - 1, Math.max(0, this.#zoomIndex + step));
  }

  /**
   * One frame: a pan (each of `moveX`, `moveY` in [-1, 1]) frees the camera
   * and moves it; otherwise a followed player is centred (someone else if
   * that player has left: the first in the list). Always inside the arena.
   */
  update(frameMs: number, pan: { moveX: number; moveY: number }, players: readonly Followable[]): CameraView {
    const zoom = SPECTATOR_ZOOMS[this.#zoomIndex];
    let followed: Followable | undefined;
    if (pan.moveX !== 0 || pan.moveY !== 0) {
      this.#mode = "free";
      this.#followedId = undefined;
      // A frame longer than a tenth of a second (a hidden tab) must not throw the camera across the arena.
      const reach = (PAN_PX_PER_S * Math.min(frameMs, 100)) / 1000 / zoom;
      this.#x += clampUnit(pan.moveX) * reach;
      this.#y += clampUnit(pan.moveY) * reach;
    } else if (this.#mode === "follow") {
      followed = players.find((p) => p.id === this.#followedId) ?? players[0];
      this.#followedId = followed?.id;
      if (followed !== undefined) {
        this.#x = followed.x;
        this.#y = followed.y;
      }
    }
    // Half of what the screen shows at this zoom, each way: the centre stays that far from the arena's edges.
    const halfW = ARENA_WIDTH_PX / 2 / zoom;
    const halfH = ARENA_HEIGHT_PX / 2 / zoom;
    this.#x = Math.min(ARENA_WIDTH_PX - halfW, Math.max(halfW, finiteOr(this.#x, ARENA_WIDTH_PX / 2)));
    this.#y = Math.min(ARENA_HEIGHT_PX - halfH, Math.max(halfH, finiteOr(this.#y, ARENA_HEIGHT_PX / 2)));
    return { x: this.#x, y: this.#y, zoom, followedId: followed?.id, followedName: followed?.name };
  }
}

function clampUnit(v: number): number {
  return Number.isFinite(v) ? Math.min(1, Math.max(-1, v)) : 0;
}

function finiteOr(v: number, fallback: number): number {
  return Number.isFinite(v) ? v : fallback;
}
