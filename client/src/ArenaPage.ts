import type { ServerMessages } from "@arena/shared";
import type { ArenaConnection } from "./net/ArenaConnection.ts";
import { GameSession, type Controls, type View } from "./net/GameSession.ts";
import { TelemetryReporter } from "./net/TelemetryReporter.ts";
import type { SceneHost } from "./game/ArenaScene.ts";
import { SpectatorCamera, type CameraView } from "./game/SpectatorCamera.ts";
import type { ShotSound } from "./game/sound.ts";
import { inviteLink, isWatchableRoomId, watchLink } from "./endpoint.ts";
import { Hud } from "./ui/Hud.ts";
import { Menu } from "./ui/Menu.ts";
import { ReplayList } from "./ui/ReplayList.ts";
import { SpectatorPanel } from "./ui/SpectatorPanel.ts";

/**
 * The page around the arena: the menu, the HUD, and the way between them
 * and a match. It holds the one game session while in a match, the view
 * drawn last, and the lobby subscription while the menu shows; the scene
 * asks it for a view each frame. A spectator's match has a camera of its
 * own (SpectatorCamera) and a panel instead of a player's controls.
 */
export class ArenaPage implements SceneHost {
  readonly #connection: ArenaConnection;
  readonly #sound: ShotSound;
  readonly #hud: Hud;
  readonly #menu: Menu;
  #session: GameSession | undefined;
  /** Reports the session's netcode figures to the server every few seconds. */
  #telemetry: TelemetryReporter | undefined;
  #lastView: View | undefined;
  #stopLobby: (() => void) | undefined;
  /** The menu's list of replays (links to `/?replay=<id>`). */
  readonly #replays: ReplayList;
  readonly #spectatorPanel: SpectatorPanel;
  /** A spectator's camera, and where it looked last (undefined when playing or in the menu). */
  #camera: SpectatorCamera | undefined;
  #cameraView: CameraView | undefined;

  constructor(connection: ArenaConnection, sound: ShotSound) {
    this.#connection = connection;
    this.#replays = new ReplayList(connection.endpoint);
    this.#sound = sound;
    this.#hud = new Hud({ sendChat: (text) => connection.sendChat(text), leave: () => void connection.leave().then(() => this.showMenu()) });
    this.#menu = new Menu({
      quickPlay: (name, mode) => this.play(() => connection.quickPlay(name, mode)),
      createPrivate: (name, mode) =>
        this.play(async () => {
          const code = await connection.createPrivate(name, mode);
          this.#hud.showInvite(code, inviteLink(code));
        }),
      joinByCode: (code, name) => this.play(() => connection.joinByCode(code, name)),
      joinRoom: (roomId, name) => this.play(() => connection.joinRoom(roomId, name)),
      watchRoom: (roomId, name) => this.watch(roomId, name),
      watchByCode: (code, name) => this.play(() => connection.watchByCode(code, name)),
    });
    this.#spectatorPanel = new SpectatorPanel({
      cycle: (step) => this.#camera?.cycle(step, this.#lastView?.players ?? []),
      zoom: (step) => this.#camera?.zoom(step),
    });
    connection.on("status", (status) => this.#hud.setStatus(status));
    connection.on("left", (reason) => this.showMenu(reason));
    connection.on("message", (type, payload) => {
      if (type === "chat") {
        const { name, text } = payload as ServerMessages["chat"];
        this.#hud.chat(name, text);
      } else if (type === "error") {
        const { code, message } = payload as ServerMessages["error"];
        // A report delayed by a stalled link can come too soon after the one before: nothing for the player to do.
        if (code !== "telemetry_rate_limited") this.#hud.notice(message);
      }
    });
  }

  /** The match being played (undefined in the menu). */
  get session(): GameSession | undefined {
    return this.#session;
  }
  /** The view drawn last (undefined in the menu). */
  get lastView(): View | undefined {
    return this.#lastView;
  }

  frame(frameMs: number, controls: Controls): View | undefined {
    if (this.#session === undefined) return undefined;
    const view = this.#session.update(frameMs, controls);
    this.#telemetry?.frame();
    if (view.firedLocally) this.#sound.play();
    this.#hud.render(view);
    this.#lastView = view;
    if (this.#camera !== undefined) {
      // A spectator's movement keys pan its camera.
      this.#cameraView = this.#camera.update(frameMs, controls, view.players);
      this.#spectatorPanel.render(this.#cameraView, view.players);
    }
    return view;
  }

  /** Where a spectator's camera looked on the last frame (undefined when playing). */
  camera(): CameraView | undefined {
    return this.#cameraView;
  }

  /**
   * The first screen: a watch link watches its room; an invite link joins
   * its room; a reload rejoins the seat this tab had; else the menu.
   */
  async start(location: Location = window.location): Promise<void> {
    const params = new URLSearchParams(location.search);
    const code = params.get("code");
    const watch = params.get("watch");
    // A link to watch is what was asked for, over a seat this tab may still hold.
    if (watch !== null) return this.startWatching(watch);
    if (await this.#connection.resume().catch(() => false)) {
      this.startSession();
      return;
    }
    this.showMenu();
    if (code) {
      this.#menu.prefillCode(code);
      // The code leaves the address bar: a reload should not join again.
      history.replaceState(null, "", location.pathname + location.search.replace(/([?&])code=[^&]*&?/, "$1").replace(/[?&]$/, ""));
      await this.#menu.run((name) => this.play(() => this.#connection.joinByCode(code, name)));
    }
  }

  /** `/?watch=<roomId>`: watches that room; a broken link or a room that is gone is told on the menu. */
  private async startWatching(roomId: string): Promise<void> {
    this.showMenu();
    if (!isWatchableRoomId(roomId)) return this.#menu.show("That watch link is broken: it names no room. Pick a room to watch below.");
    await this.#menu.runWatching((name) => this.watch(roomId, name));
  }

  /** Watches a public room; while watching, the address bar is the link to watch it (a reload watches again). */
  private async watch(roomId: string, name: string): Promise<void> {
    await this.play(() => this.#connection.watchRoom(roomId, name));
    history.replaceState(null, "", watchLink(roomId));
  }

  private async play(join: () => Promise<void>): Promise<void> {
    await join();
    this.startSession();
  }

  private startSession(): void {
    this.#stopLobby?.();
    this.#stopLobby = undefined;
    this.#session?.dispose();
    this.#session = new GameSession(this.#connection);
    this.#telemetry = new TelemetryReporter(this.#session, this.#connection);
    this.#menu.hide();
    const spectating = this.#connection.spectating;
    this.#camera = spectating ? new SpectatorCamera() : undefined;
    this.#cameraView = undefined;
    this.#hud.setInMatch(true, spectating);
    this.#spectatorPanel.setShown(spectating);
  }

  private showMenu(reason = ""): void {
    this.#session?.dispose();
    this.#session = undefined;
    this.#telemetry = undefined;
    this.#lastView = undefined;
    this.#camera = undefined;
    this.#cameraView = undefined;
    this.#spectatorPanel.setShown(false);
    // Out of a match, the address is no longer a link to watch one.
    if (new URLSearchParams(window.location.search).has("watch")) history.replaceState(null, "", watchLink(undefined));
    this.#hud.setInMatch(false);
    this.#menu.show(reason);
    this.#stopLobby ??= this.#connection.watchLobby((rooms) => this.#menu.setRooms(rooms));
    void this.#replays.refresh();
  }
}
