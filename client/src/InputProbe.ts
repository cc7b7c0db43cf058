/** A point in the arena, px. */
interface Point {
  x: number;
  y: number;
}

const MOVE_KEYS: ReadonlySet<string> = new Set(["w", "a", "s", "d", "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"]);
/** Drawn further than this from where it was when the key went down, the player has moved, px. */
const MOVED_PX = 0.01;

/**
 * Input-to-screen delay, measured in the page: the frame a movement key went
 * down, and how many frames later the local player was drawn elsewhere. Only
 * the test surface and the figures read it.
 */
export class InputProbe {
  #framesDrawn = 0;
  /** Where the local player was drawn last (undefined: not in a match). */
  #me: Point | undefined;
  #pressedAtFrame = -1;
  #from: Point = { x: 0, y: 0 };
  #frames = -1;

  /**
   * Frames between the last movement key press and the player drawn moving
   * (0: the next frame drawn); -1 until one is measured.
   */
  get frames(): number {
    return this.#frames;
  }

  /** Watches key presses on `target`, in the capture phase (before the game's own handlers). Returns a function that stops. */
  listen(target: EventTarget): () => void {
    const onKey = (event: Event) => {
      const key = event as KeyboardEvent;
      this.keyDown(key.key, key.repeat);
    };
    target.addEventListener("keydown", onKey, { capture: true });
    return () => target.removeEventListener("keydown", onKey, { capture: true });
  }

  keyDown(key: string, repeat: boolean): void {
    const me = this.#me;
    if (repeat || !MOVE_KEYS.has(key) || me === undefined) return;
    this.#pressedAtFrame = this.#framesDrawn;
    this.#from = { x: me.x, y: me.y };
  }

  /** Once per frame drawn, with where the local player is drawn on it (undefined: not in a match). */
  frameDrawn(me: Point | undefined): void {
    if (this.#pressedAtFrame >= 0 && me !== undefined && Math.hypot(me.x - this.#from.x, me.y - this.#from.y) > MOVED_PX) {
      this.#frames = this.#framesDrawn - this.#pressedAtFrame;
      this.#pressedAtFrame = -1;
    }
    this.#me = me === undefined ? undefined : { x: me.x, y: me.y };
    this.#framesDrawn++;
  }
}
