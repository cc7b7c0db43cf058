import type Phaser from "phaser";
import type { ArenaConnection } from "./net/ArenaConnection.ts";
import type { ArenaScene } from "./game/ArenaScene.ts";
import type { ArenaPage } from "./ArenaPage.ts";
import type { InputProbe } from "./InputProbe.ts";
import type { ReplayPage } from "./ReplayPage.ts";

/** What the test surface reads. */
export interface SurfaceSources {
  connection: ArenaConnection;
  page: ArenaPage;
  game: Phaser.Game;
  scene: ArenaScene;
  probe: InputProbe;
  /** The replay played, on a `/?replay=<id>` page. */
  replay?: ReplayPage;
}

/**
 * Puts `window.__arena` on the page: what the browser tests and the figures
 * read (client/test, client/bench). The game itself never uses it.
 *
 * Its getters are there on every page: each gives something the page draws
 * or receives in every patch anyway (status, ids, positions, counters), and
 * reading them changes nothing, so they help no cheat the state on the
 * socket would not. `drop` and `place` (the server cuts this client's
 * connection, moves this player) only with `testHooks`: a server started
 * without ENABLE_TEST_HOOKS refuses those messages, and its pages do not
 * offer them. The reconnection token is never here: it is a bearer secret
 * for the seat (README, "Reconnection"), kept in sessionStorage for a reload.
 */
export function installTestSurface(sources: SurfaceSources, { testHooks }: { testHooks: boolean }): void {
  const { connection, page, game, scene, probe, replay } = sources;
  let pixelQueue: Promise<unknown> = Promise.resolve();
  const surface = {
    get status() {
      return connection.status;
    },
    get sessionId() {
      return connection.sessionId;
    },
    get roomId() {
      return connection.room?.roomId;
    },
    get menuError() {
      return document.getElementById("menu-error")?.textContent ?? "";
    },
    /** The colour of a drawn pixel at arena coordinates, [r, g, b] (one snapshot at a time, as Phaser allows). */
    pixel: (x: number, y: number) =>
      (pixelQueue = pixelQueue.then(
        () =>
          new Promise<number[]>((resolve) => {
            game.renderer.snapshotPixel(Math.round(x), Math.round(y), (color) => {
              const c = color as unknown as { r: number; g: number; b: number };
              resolve([c.r, c.g, c.b]);
            });
          }),
      )),
    get stats() {
      return { ...connection.stats };
    },
    get frames() {
      return scene.frames;
    },
    get renderer() {
      return game.renderer?.type === 2 ? "WEBGL" : game.renderer?.type === 1 ? "CANVAS" : "NONE";
    },
    get me() {
      return page.lastView?.me;
    },
    get players() {
      return page.lastView?.players ?? [];
    },
    get server() {
      const id = connection.sessionId;
      const p = id === undefined ? undefined : connection.state?.players.get(id);
      return p && { x: p.x, y: p.y, score: p.score, hp: p.hp, connected: p.connected };
    },
    get corrections() {
      return page.session?.predicted.corrections.map((c) => c.sizePx) ?? [];
    },
    get remoteDelayMs() {
      return page.session?.remoteDelayMs ?? 0;
    },
    /** The adaptive interpolation delay now (InterpolationDelay), ms. */
    get interpolationDelayMs() {
      return page.session?.delay.delayMs ?? 0;
    },
    /** The network round trip the HUD shows (undefined until measured). */
    get pingMs() {
      return connection.pingMs();
    },
    /** An input frame's round trip to its acknowledgement (the SDK's; the HUD's "Input"). */
    get inputRoundTripMs() {
      return connection.roundTripMs();
    },
    get inputEpoch() {
      return connection.attachCount;
    },
    /** True while this page watches a match as a spectator. */
    get spectating() {
      return connection.spectating;
    },
    /** The player a spectator's camera follows (undefined: the free camera, or not spectating). */
    get followedId() {
      return page.camera()?.followedId;
    },
    /** Where a spectator's camera looks: the arena point at the screen's centre, and the zoom (undefined when not spectating). */
    get camera() {
      const view = page.camera();
      return view && { x: view.x, y: view.y, zoom: view.zoom };
    },
    /** On a `/?replay=<id>` page: where the playback is (undefined while it loads), and the error shown ("" when none). */
    get replay() {
      const playback = replay?.playback;
      return (
        replay && {
          error: replay.error,
          tick: playback?.tick,
          totalTicks: playback?.totalTicks,
          playing: playback?.playing,
          speed: playback?.speed,
          followedId: playback?.followedId,
          players: playback?.players(),
          camera: replay.camera(),
        }
      );
    },
    /** Frames between the last movement key press and the player drawn moving (0: the next frame drawn). */
    get inputToScreenFrames() {
      return probe.frames;
    },
  };
  const actions = testHooks
    ? {
        drop: () => connection.testDrop(),
        place: (x: number, y: number) => connection.testPlace(x, y),
      }
    : {};
  Object.defineProperty(window, "__arena", { value: Object.freeze(Object.assign(surface, actions)) });
}
