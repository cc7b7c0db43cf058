import type { ReplayPlayer } from "@arena/shared";
import { REPLAY_SPEEDS, type ReplaySpeed } from "../replay/ReplayPlayback.ts";

export interface ReplayActions {
  toggle(): void;
  setSpeed(speed: ReplaySpeed): void;
  seek(tick: number): void;
  /** Seek by this many seconds, forwards or back. */
  skip(seconds: number): void;
  follow(id: string | undefined): void;
  followNext(direction: 1 | -1): void;
}

/** What the bar shows, each frame. */
export interface ReplayState {
  tick: number;
  totalTicks: number;
  tickRate: number;
  playing: boolean;
  speed: ReplaySpeed;
  followedId: string | undefined;
  players: ReplayPlayer[];
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
/** Seconds a left or right arrow key seeks by. */
const SKIP_SECONDS = 5;

/**
 * The replay's HTML controls over the canvas: play/pause, the speed, a seek
 * bar in ticks, the time, and the player followed (a list; `[` and `]` cycle,
 * Escape frees the camera). Space plays and pauses; left and right arrows
 * seek by SKIP_SECONDS. Real buttons and labels, reachable by keyboard.
 */
export class ReplayControls {
  readonly #root = $<HTMLElement>("replay");
  readonly #play = $<HTMLButtonElement>("replay-play");
  readonly #speed = $<HTMLButtonElement>("replay-speed");
  readonly #seek = $<HTMLInputElement>("replay-seek");
  readonly #time = $<HTMLElement>("replay-time");
  readonly #follow = $<HTMLSelectElement>("replay-follow");
  #dragging = false;
  #playerIds = "";

  constructor(actions: ReplayActions) {
    this.#play.addEventListener("click", () => actions.toggle());
    this.#speed.addEventListener("click", () => {
      const at = REPLAY_SPEEDS.indexOf(Number(this.#speed.dataset.speed) as ReplaySpeed);
      actions.setSpeed(REPLAY_SPEEDS[(at + 1) % REPLAY_SPEEDS.length]);
    });
    this.#seek.addEventListener("pointerdown", () => (this.#dragging = true));
    this.#seek.addEventListener("change", () => (this.#dragging = false));
    this.#seek.addEventListener("input", () => actions.seek(Number(this.#seek.value)));
    this.#follow.addEventListener("change", () => actions.follow(this.#follow.value === "" ? undefined : this.#follow.value));
    document.addEventListener("keydown", (event) => {
      if (this.#root.hidden || event.ctrlKey || event.metaKey || event.altKey) return;
      // A focused seek bar or list takes its own arrows, and a focused button its Space (a click).
      const ownsArrows = event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement;
      const ownsSpace = ownsArrows || event.target instanceof HTMLButtonElement;
      if (event.key === " " && !ownsSpace) actions.toggle();
      else if (event.key === "ArrowLeft" && !ownsArrows) actions.skip(-SKIP_SECONDS);
      else if (event.key === "ArrowRight" && !ownsArrows) actions.skip(SKIP_SECONDS);
      else if (event.key === "]") actions.followNext(1);
      else if (event.key === "[") actions.followNext(-1);
      else if (event.key === "Escape") actions.follow(undefined);
      else return;
      event.preventDefault();
    });
  }

  show(): void {
    this.#root.hidden = false;
  }

  render(state: ReplayState): void {
    this.#play.textContent = state.playing ? "Pause" : "Play";
    this.#speed.textContent = `${state.speed}x`;
    this.#speed.dataset.speed = String(state.speed);
    this.#seek.max = String(state.totalTicks);
    if (!this.#dragging) this.#seek.value = String(state.tick);
    this.#time.textContent = `${clockText(state.tick / state.tickRate)} / ${clockText(state.totalTicks / state.tickRate)}`;
    const ids = state.players.map((p) => `${p.id}:${p.name}`).join();
    if (ids !== this.#playerIds) {
      this.#playerIds = ids;
      this.#follow.replaceChildren(new Option("Nobody: the whole arena", ""), ...state.players.map((p) => new Option(p.name, p.id)));
    }
    this.#follow.value = state.followedId ?? "";
  }
}

/** m:ss */
function clockText(seconds: number): string {
  const s = Math.floor(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
