import Phaser from "phaser";
import { ARENA_HEIGHT_PX, ARENA_WIDTH_PX, MAX_HP, PICKUP_RADIUS_PX, PLAYER_RADIUS_PX, WALLS } from "@arena/shared";
import type { Controls, View } from "../net/GameSession.ts";
import { PlayerControls } from "./controls.ts";
import type { CameraView } from "./SpectatorCamera.ts";

/** What the scene needs from the game: one view per frame, given the controls; a spectator's camera after it. */
export interface SceneHost {
  frame(frameMs: number, controls: Controls): View | undefined;
  /** Where a spectator looks on this frame (asked after `frame`); undefined: the whole arena, as a player sees it. */
  camera(): CameraView | undefined;
}

const COLORS = {
  floor: 0x1d252d,
  grid: 0x26313b,
  wall: 0x5d6d7a,
  me: 0x4fc3f7,
  other: 0xef8354,
  shield: 0xffffff,
  hpBack: 0x33000a,
  hp: 0x6bd66b,
  pickup: 0x5ee08a,
  shot: 0xffd166,
  hit: 0xff5c5c,
  flash: 0xfff3b0,
  hurt: 0xff2d2d,
  hitMarker: 0xffffff,
  fall: 0x9aa7b1,
  followed: 0xffd166,
};
const MUZZLE_FLASH_MS = 60;

/**
 * Draws the arena from the view model the game session builds each frame,
 * and reads the player's controls. It holds no game state of its own.
 */
export class ArenaScene extends Phaser.Scene {
  #controls!: PlayerControls;
  #dynamic!: Phaser.GameObjects.Graphics;
  #labels = new Map<string, Phaser.GameObjects.Text>();
  #me: { x: number; y: number } | undefined;
  #flashUntil = 0;
  /** Frames drawn (the test surface reads it). */
  frames = 0;

  constructor(private readonly host: SceneHost) {
    super("arena");
  }

  create(): void {
    const floor = this.add.graphics();
    floor.fillStyle(COLORS.floor, 1).fillRect(0, 0, ARENA_WIDTH_PX, ARENA_HEIGHT_PX);
    floor.lineStyle(1, COLORS.grid, 1);
    for (let x = 0; x <= ARENA_WIDTH_PX; x += 80) floor.lineBetween(x, 0, x, ARENA_HEIGHT_PX);
    for (let y = 0; y <= ARENA_HEIGHT_PX; y += 80) floor.lineBetween(0, y, ARENA_WIDTH_PX, y);
    floor.fillStyle(COLORS.wall, 1);
    for (const w of WALLS) floor.fillRect(w.x, w.y, w.w, w.h);
    this.#dynamic = this.add.graphics();
    this.#controls = new PlayerControls(this);
  }

  override update(_time: number, deltaMs: number): void {
    const view = this.host.frame(deltaMs, this.#controls.read(this.#me));
    this.frames++;
    this.#me = view?.me;
    const camera = this.host.camera();
    this.aim(camera);
    this.draw(view, camera?.followedId);
  }

  /** Points the camera: a spectator's, or the whole arena. */
  private aim(camera: CameraView | undefined): void {
    const main = this.cameras.main;
    main.setZoom(camera?.zoom ?? 1);
    main.centerOn(camera?.x ?? ARENA_WIDTH_PX / 2, camera?.y ?? ARENA_HEIGHT_PX / 2);
  }

  private draw(view: View | undefined, followedId: string | undefined): void {
    const g = this.#dynamic.clear();
    if (view === undefined) {
      for (const label of this.#labels.values()) label.destroy();
      this.#labels.clear();
      return;
    }
    for (const pickup of view.pickups) {
      if (!pickup.active) continue;
      g.fillStyle(COLORS.pickup, 1);
      g.fillRect(pickup.x - PICKUP_RADIUS_PX, pickup.y - 4, PICKUP_RADIUS_PX * 2, 8);
      g.fillRect(pickup.x - 4, pickup.y - PICKUP_RADIUS_PX, 8, PICKUP_RADIUS_PX * 2);
    }
    for (const shot of view.shots) {
      g.lineStyle(shot.mine ? 3 : 2, shot.hit ? COLORS.hit : COLORS.shot, Math.max(0, 1 - shot.age));
      g.lineBetween(shot.x1, shot.y1, shot.x2, shot.y2);
    }
    const seen = new Set<string>();
    for (const p of view.players) {
      seen.add(p.id);
      this.drawPlayer(g, p);
      // The player a spectator follows: a ring around it.
      if (p.id === followedId && p.alive) g.lineStyle(3, COLORS.followed, 0.9).strokeCircle(p.x, p.y, PLAYER_RADIUS_PX + 9);
    }
    for (const [id, label] of this.#labels) {
      if (!seen.has(id)) {
        label.destroy();
        this.#labels.delete(id);
      }
    }
    const { hurt, hits, falls } = view.feedback;
    for (const fall of falls) {
      // Where a player fell: a fading ring with a cross, so a victim does not just vanish.
      g.lineStyle(2, COLORS.fall, fall.fade).strokeCircle(fall.x, fall.y, PLAYER_RADIUS_PX);
      const r = PLAYER_RADIUS_PX * 0.6;
      g.lineBetween(fall.x - r, fall.y - r, fall.x + r, fall.y + r).lineBetween(fall.x - r, fall.y + r, fall.x + r, fall.y - r);
    }
    for (const hit of hits) {
      // The server confirmed a hit of ours: a marker where it landed.
      const r = 10;
      g.lineStyle(3, COLORS.hitMarker, hit.fade);
      g.lineBetween(hit.x - r, hit.y - r, hit.x - r / 3, hit.y - r / 3).lineBetween(hit.x + r, hit.y + r, hit.x + r / 3, hit.y + r / 3);
      g.lineBetween(hit.x - r, hit.y + r, hit.x - r / 3, hit.y + r / 3).lineBetween(hit.x + r, hit.y - r, hit.x + r / 3, hit.y - r / 3);
    }
    if (hurt > 0) {
      // We were hit: the screen's edge flashes red.
      g.lineStyle(24, COLORS.hurt, 0.5 * hurt).strokeRect(12, 12, ARENA_WIDTH_PX - 24, ARENA_HEIGHT_PX - 24);
    }
    if (view.firedLocally) this.#flashUntil = this.time.now + MUZZLE_FLASH_MS;
    const me = view.me;
    if (me !== undefined && this.time.now < this.#flashUntil) {
      const reach = PLAYER_RADIUS_PX + 10;
      g.fillStyle(COLORS.flash, 1).fillCircle(me.x + Math.cos(me.aim) * reach, me.y + Math.sin(me.aim) * reach, 8);
    }
  }

  private drawPlayer(g: Phaser.GameObjects.Graphics, p: View["players"][number]): void {
    let label = this.#labels.get(p.id);
    if (label === undefined) {
      label = this.add.text(0, 0, "", { fontFamily: "DejaVu Sans, sans-serif", fontSize: "14px", color: "#e8eef2" }).setOrigin(0.5, 0);
      this.#labels.set(p.id, label);
    }
    label.setText(p.connected ? p.name : `${p.name} (reconnecting)`);
    label.setPosition(p.x, p.y + PLAYER_RADIUS_PX + 4);
    label.setVisible(p.alive);
    if (!p.alive) return;
    const alpha = p.connected ? 1 : 0.35;
    g.fillStyle(p.isMe ? COLORS.me : COLORS.other, alpha).fillCircle(p.x, p.y, PLAYER_RADIUS_PX);
    g.lineStyle(3, 0x0b0f12, alpha).lineBetween(p.x, p.y, p.x + Math.cos(p.aim) * PLAYER_RADIUS_PX, p.y + Math.sin(p.aim) * PLAYER_RADIUS_PX);
    if (p.shielded) g.lineStyle(2, COLORS.shield, 0.8).strokeCircle(p.x, p.y, PLAYER_RADIUS_PX + 4);
    const barW = PLAYER_RADIUS_PX * 2;
    g.fillStyle(COLORS.hpBack, alpha).fillRect(p.x - barW / 2, p.y - PLAYER_RADIUS_PX - 10, barW, 4);
    g.fillStyle(COLORS.hp, alpha).fillRect(p.x - barW / 2, p.y - PLAYER_RADIUS_PX - 10, (barW * p.hp) / MAX_HP, 4);
  }
}

/** The Phaser game, drawing the whole arena scaled to fit the window. */
export function createGame(parent: HTMLElement, host: SceneHost): { game: Phaser.Game; scene: ArenaScene } {
  const scene = new ArenaScene(host);
  const game = new Phaser.Game({
    type: Phaser.AUTO,
    parent,
    width: ARENA_WIDTH_PX,
    height: ARENA_HEIGHT_PX,
    backgroundColor: "#101418",
    scale: { mode: Phaser.Scale.FIT, autoCenter: Phaser.Scale.CENTER_BOTH },
    // Software WebGL (headless browsers) is much faster without MSAA.
    render: { antialiasGL: false },
    input: { gamepad: true },
    scene: [scene],
  });
  return { game, scene };
}
