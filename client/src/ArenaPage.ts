import type { ServerMessages } from "@arena/shared";
import type { ArenaConnection } from "./net/ArenaConnection.ts";
import { GameSession, type Controls, type View } from "./net/GameSession.ts";
import { TelemetryReporter } from "./net/TelemetryReporter.ts";
import type { SceneHost } from "./game/ArenaScene.ts";
import type { ShotSound } from "./game/sound.ts";
import { inviteLink } from "./endpoint.ts";
import { Hud } from "./ui/Hud.ts";
import { Menu } from "./ui/Menu.ts";
import { ReplayList } from "./ui/ReplayList.ts";

/**
 * The page around the arena: the menu, the HUD, and the way between them
 * and a match. It holds the one game session while in a match, the view
 * drawn last, and the lobby subscription while the menu shows; the scene
 * asks it for a view each frame.
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
    return view;
  }

  /** The first screen: an invite link joins its room; a reload rejoins the seat this tab had; else the menu. */
  async start(location: Location = window.location): Promise<void> {
    const code = new URLSearchParams(location.search).get("code");
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
    this.#hud.setInMatch(true);
  }

  private showMenu(reason = ""): void {
    this.#session?.dispose();
    this.#session = undefined;
    this.#telemetry = undefined;
    this.#lastView = undefined;
    this.#hud.setInMatch(false);
    this.#menu.show(reason);
    this.#stopLobby ??= this.#connection.watchLobby((rooms) => this.#menu.setRooms(rooms));
    void this.#replays.refresh();
  }
}
