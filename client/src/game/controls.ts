import Phaser from "phaser";
import type { Controls } from "../net/GameSession.ts";

/** Reads keyboard (WASD and arrows), mouse (aim, click to fire) and a gamepad into Controls. */
export class PlayerControls {
  readonly #keys: Record<string, Phaser.Input.Keyboard.Key>;
  readonly #controls: Controls = { moveX: 0, moveY: 0, aim: 0, fire: false };

  constructor(private readonly scene: Phaser.Scene) {
    const keyboard = scene.input.keyboard!;
    // No capture: typing in the chat or the menu must still work.
    this.#keys = keyboard.addKeys("W,A,S,D,UP,DOWN,LEFT,RIGHT", false) as Record<string, Phaser.Input.Keyboard.Key>;
  }

  /** The controls for this frame; `me` is where the local player is drawn (for mouse aim). */
  read(me: { x: number; y: number } | undefined): Controls {
    const c = this.#controls;
    const typing = document.activeElement instanceof HTMLInputElement || document.activeElement instanceof HTMLSelectElement;
    const k = this.#keys;
    const down = (...names: string[]) => !typing && names.some((n) => k[n].isDown);
    c.moveX = (down("D", "RIGHT") ? 1 : 0) - (down("A", "LEFT") ? 1 : 0);
    c.moveY = (down("S", "DOWN") ? 1 : 0) - (down("W", "UP") ? 1 : 0);
    const pointer = this.scene.input.activePointer;
    if (me !== undefined) c.aim = Math.atan2(pointer.worldY - me.y, pointer.worldX - me.x);
    c.fire = pointer.isDown && !typing;
    this.readGamepad(c);
    return c;
  }

  private readGamepad(c: Controls): void {
    const pad = this.scene.input.gamepad?.getPad(0);
    if (!pad?.connected) return;
    const dead = (v: number) => (Math.abs(v) < 0.15 ? 0 : v);
    const lx = dead(pad.axes[0]?.getValue() ?? 0);
    const ly = dead(pad.axes[1]?.getValue() ?? 0);
    if (lx !== 0 || ly !== 0) {
      c.moveX = lx;
      c.moveY = ly;
    }
    const rx = dead(pad.axes[2]?.getValue() ?? 0);
    const ry = dead(pad.axes[3]?.getValue() ?? 0);
    if (rx !== 0 || ry !== 0) c.aim = Math.atan2(ry, rx);
    if ((pad.R2 ?? 0) > 0.5 || pad.A) c.fire = true;
  }
}
