import { ARENA_HEIGHT_PX, ARENA_WIDTH_PX, monotonicClock, type Clock } from "@arena/shared";
import type { CameraView } from "./game/SpectatorCamera.ts";
import type { View } from "./net/GameSession.ts";
import { fetchReplay, menuLink } from "./net/replays.ts";
import { ReplayPlayback } from "./replay/ReplayPlayback.ts";
import { FeedAndScores } from "./ui/FeedAndScores.ts";
import { ReplayControls } from "./ui/ReplayControls.ts";

/** How close the camera comes to a followed player (1: the whole arena). */
const FOLLOW_ZOOM = 2;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/**
 * The page at `/?replay=<id>`: downloads the replay, plays it back
 * (ReplayPlayback) in the arena scene, one step of its clock per display
 * frame, with its HTML controls, the kill feed and the scoreboard between
 * rounds; an error is told as text, never a blank page.
 */
export class ReplayPage {
  #playback: ReplayPlayback | undefined;
  #error = "";
  #camera: CameraView | undefined;
  /** When the last frame was drawn, by `clock` (ms). */
  #lastFrameAt: number | undefined;
  readonly #controls: ReplayControls;
  readonly #feedAndScores = new FeedAndScores();

  /**
   * `clock`: the time between frames. Phaser's own frame delta is smoothed
   * and, for its first frames, capped at a 60 Hz frame, so a replay played by
   * it would run slow on a slow page; a replay runs by the wall's time.
   */
  constructor(
    private readonly endpoint: string,
    private readonly id: string,
    private readonly clock: Clock = monotonicClock,
  ) {
    this.#controls = new ReplayControls({
      toggle: () => (this.#playback?.playing ? this.#playback.pause() : this.#playback?.play()),
      setSpeed: (speed) => this.#playback?.setSpeed(speed),
      seek: (tick) => this.#playback?.seek(tick),
      skip: (seconds) => {
        if (this.#playback !== undefined) this.#playback.seek(this.#playback.tick + seconds * this.#playback.tickRate);
      },
      follow: (id) => this.#playback?.follow(id),
      followNext: (direction) => this.#playback?.followNext(direction),
    });
  }

  /** The playback, once the replay is here (undefined while loading, or after an error). */
  get playback(): ReplayPlayback | undefined {
    return this.#playback;
  }
  /** What went wrong, as shown ("" when nothing). */
  get error(): string {
    return this.#error;
  }
  /** Where the scene's camera looks (asked after `frame`): the replay's own, as a spectator's is (SceneHost). */
  camera(): CameraView | undefined {
    return this.#camera;
  }

  async start(): Promise<void> {
    $("menu").hidden = true;
    for (const link of document.querySelectorAll<HTMLAnchorElement>("a.to-menu")) link.href = menuLink();
    $("replay-status").hidden = false;
    $("replay-message").textContent = "Loading the replay…";
    try {
      this.#playback = new ReplayPlayback(await fetchReplay(this.endpoint, this.id));
      $("replay-status").hidden = true;
      this.#controls.show();
      this.#feedAndScores.setShown(true);
    } catch (error) {
      this.fail((error as Error).message);
    }
  }

  /** One display frame: the view to draw (undefined before the replay is here), and where the camera looks. */
  frame(): View | undefined {
    const playback = this.#playback;
    if (playback === undefined) return undefined;
    const now = this.clock.now();
    const view = playback.frame(this.#lastFrameAt === undefined ? 0 : now - this.#lastFrameAt);
    this.#lastFrameAt = now;
    if (playback.failure !== undefined && this.#error === "") this.fail(`The replay stopped: ${playback.failure}`);
    this.#controls.render({
      tick: playback.tick,
      totalTicks: playback.totalTicks,
      tickRate: playback.tickRate,
      playing: playback.playing,
      speed: playback.speed,
      followedId: playback.followedId,
      players: playback.players(),
    });
    this.#feedAndScores.render(view);
    this.#camera = cameraOn(view);
    return view;
  }

  private fail(message: string): void {
    this.#error = message;
    $("replay-status").hidden = false;
    const text = $("replay-message");
    text.textContent = message;
    text.classList.add("error");
  }
}

/** The followed player, close (the view kept inside the arena), while it is alive; else the whole arena. */
function cameraOn(view: View): CameraView {
  const me = view.me;
  if (me === undefined || !me.alive) return { x: ARENA_WIDTH_PX / 2, y: ARENA_HEIGHT_PX / 2, zoom: 1, followedId: me?.id, followedName: me?.name };
  const clamp = (at: number, size: number) => Math.min(Math.max(at, size / (2 * FOLLOW_ZOOM)), size - size / (2 * FOLLOW_ZOOM));
  return { x: clamp(me.x, ARENA_WIDTH_PX), y: clamp(me.y, ARENA_HEIGHT_PX), zoom: FOLLOW_ZOOM, followedId: me.id, followedName: me.name };
}
