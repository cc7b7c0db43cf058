import { ReplayRunner, type PlayerState, type Replay, type ReplayPlayer, type ShotEvent, type SimEvent } from "@arena/shared";
import type { PlayerView, View } from "../net/GameSession.ts";

/** Speeds offered. */
export const REPLAY_SPEEDS = [1, 2] as const;
export type ReplaySpeed = (typeof REPLAY_SPEEDS)[number];

/** How long a shot's trace stays on screen, in the replay's time (as in a match: GameSession). */
const SHOT_VISIBLE_MS = 250;
/** How long the mark where a player fell stays, in the replay's time. */
const FALL_VISIBLE_MS = 1500;
const FEED_LINES = 5;
/** Longest display frame counted: a tab in the background comes back without a jump of minutes. */
const FRAME_MAX_MS = 250;

/**
 * A replay played back: its own clock (play, pause, 1x or 2x, seek), the
 * shared step run to that clock by a ReplayRunner, and the view model the
 * arena scene draws, with the shots, kills and falls of the runner's events.
 * A player may be followed (drawn as the page's own player). No DOM, no Phaser.
 */
export class ReplayPlayback {
  readonly #runner: ReplayRunner;
  readonly #tickRate: number;
  readonly #msPerTick: number;
  /** Where the clock is, in ms of the replay's time (a tick runs when the clock passes it). */
  #clockMs = 0;
  #playing = true;
  #speed: ReplaySpeed = 1;
  #followed: string | undefined;
  #shots: { shot: ShotEvent; tick: number }[] = [];
  #falls: { x: number; y: number; tick: number }[] = [];
  #feed: string[] = [];
  /** The step refused the replay (a divergence): playback stops there. */
  #failure: string | undefined;

  constructor(replay: Replay) {
    this.#runner = new ReplayRunner(replay);
    this.#tickRate = replay.tickRate;
    this.#msPerTick = 1000 / replay.tickRate;
  }

  get tick(): number {
    return this.#runner.tick;
  }
  get totalTicks(): number {
    return this.#runner.totalTicks;
  }
  get tickRate(): number {
    return this.#tickRate;
  }
  get playing(): boolean {
    return this.#playing;
  }
  get speed(): ReplaySpeed {
    return this.#speed;
  }
  get followedId(): string | undefined {
    return this.#followed;
  }
  get failure(): string | undefined {
    return this.#failure;
  }

  /** Who is in the world now, in its order (to follow). */
  players(): ReplayPlayer[] {
    return this.#runner.players();
  }

  play(): void {
    // At the end, play starts again from the beginning.
    if (this.tick >= this.totalTicks) this.seek(0);
    this.#playing = this.#failure === undefined;
  }
  pause(): void {
    this.#playing = false;
  }
  setSpeed(speed: ReplaySpeed): void {
    this.#speed = speed;
  }

  /** To any tick, backwards too (the runner reruns from its nearest keyframe). What was fading on screen is cleared. */
  seek(tick: number): void {
    this.#shots = [];
    this.#falls = [];
    this.#feed = [];
    this.#run(() => this.#runner.seek(tick));
    this.#clockMs = this.#runner.tick * this.#msPerTick;
  }

  /** Follows a player (undefined: nobody, the free camera). */
  follow(id: string | undefined): void {
    this.#followed = id;
  }

  /** Follows the next (or, with -1, the previous) player in the world's order, then nobody, then the first again. */
  followNext(direction: 1 | -1 = 1): void {
    const ids = this.players().map((p) => p.id);
    const at = this.#followed === undefined ? ids.length : ids.indexOf(this.#followed);
    const next = (at + direction + ids.length + 1) % (ids.length + 1);
    this.#followed = ids[next];
  }

  /** One display frame: the clock moves by `frameMs` at the speed while playing, the step runs to it; the view to draw. */
  frame(frameMs: number): View {
    if (this.#playing) {
      this.#clockMs = Math.min(this.totalTicks * this.#msPerTick, this.#clockMs + Math.min(frameMs, FRAME_MAX_MS) * this.#speed);
      // Ticks passed: whole ms times the (whole) tick rate count exactly; the nudge absorbs the rounding of a seek's ms.
      const passed = Math.floor((this.#clockMs * this.#tickRate) / 1000 + 1e-6);
      this.#run(() => this.#runner.runTo(passed, (event, tick) => this.#onEvent(event, tick)));
      if (this.tick >= this.totalTicks) this.#playing = false;
    }
    return this.#view();
  }

  #run(step: () => void): void {
    if (this.#failure !== undefined) return;
    try {
      step();
    } catch (error) {
      this.#failure = (error as Error).message;
      this.#playing = false;
    }
  }

  #onEvent(event: SimEvent, tick: number): void {
    const world = this.#runner.world;
    const name = (id: string) => world.players.get(id)?.name ?? "someone";
    if (event.type === "shot") this.#shots.push({ shot: event, tick });
    else if (event.type === "kill") {
      this.#feed = [...this.#feed, `${name(event.killer)} took out ${name(event.victim)}`].slice(-FEED_LINES);
      const victim = world.players.get(event.victim);
      if (victim !== undefined) this.#falls.push({ x: victim.x, y: victim.y, tick });
    }
  }

  #view(): View {
    const world = this.#runner.world;
    const nowMs = this.tick * this.#msPerTick;
    const ageOf = (tick: number, visibleMs: number) => (nowMs - tick * this.#msPerTick) / visibleMs;
    this.#shots = this.#shots.filter((s) => ageOf(s.tick, SHOT_VISIBLE_MS) < 1);
    this.#falls = this.#falls.filter((f) => ageOf(f.tick, FALL_VISIBLE_MS) < 1);
    const players: PlayerView[] = [];
    world.players.forEach((p, id) => players.push(playerView(id, p, id === this.#followed)));
    const me = players.find((p) => p.isMe);
    const ranking = [...players].sort((a, b) => b.score - a.score).map((p) => ({ id: p.id, name: p.name, score: p.score }));
    return {
      me,
      players,
      pickups: world.pickups.map((k) => ({ x: k.x, y: k.y, active: k.active })),
      shots: this.#shots.map(({ shot, tick }) => ({
        x1: shot.x1,
        y1: shot.y1,
        x2: shot.x2,
        y2: shot.y2,
        hit: shot.target !== null,
        mine: shot.shooter === this.#followed,
        age: ageOf(tick, SHOT_VISIBLE_MS),
      })),
      firedLocally: false,
      hud: {
        pingMs: null,
        inputMs: 0,
        tickRate: this.tickRate,
        players: players.length,
        score: me?.score ?? 0,
        round: world.round,
        phase: world.phase,
        secondsLeft: world.phaseSecondsLeft,
      },
      // Between rounds the ranking, read from the world (so a seek shows it too).
      scoreboard: world.phase === "intermission" ? ranking : undefined,
      feed: this.#feed,
      feedback: {
        hurt: 0,
        hits: [],
        falls: this.#falls.map((f) => ({ x: f.x, y: f.y, fade: Math.max(0, 1 - ageOf(f.tick, FALL_VISIBLE_MS)) })),
        killedBy: undefined,
        respawnInS: undefined,
      },
    };
  }
}

function playerView(id: string, p: PlayerState, followed: boolean): PlayerView {
  return {
    id,
    name: p.name,
    x: p.x,
    y: p.y,
    aim: p.aim,
    hp: p.hp,
    score: p.score,
    alive: p.alive,
    connected: p.connected,
    shielded: p.shielded,
    isMe: followed,
  };
}
