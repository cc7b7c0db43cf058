import { ArenaConnection } from "./net/ArenaConnection.ts";
import { GameSession, type View } from "./net/GameSession.ts";
import { createGame } from "./game/ArenaScene.ts";
import { ShotSound } from "./game/sound.ts";
import { Hud } from "./ui/Hud.ts";
import { Menu } from "./ui/Menu.ts";
import { inviteLink, serverEndpoint } from "./endpoint.ts";
import type { ServerMessages } from "@arena/shared";

const connection = new ArenaConnection(serverEndpoint());
const sound = new ShotSound();
let session: GameSession | undefined;
let lastView: View | undefined;
let stopLobby: (() => void) | undefined;

const hud = new Hud({ sendChat: (text) => connection.sendChat(text), leave: () => void connection.leave().then(() => showMenu()) });

const menu = new Menu({
  quickPlay: (name, mode) => play(() => connection.quickPlay(name, mode)),
  createPrivate: (name, mode) => play(async () => {
    const code = await connection.createPrivate(name, mode);
    hud.showInvite(code, inviteLink(code));
  }),
  joinByCode: (code, name) => play(() => connection.joinByCode(code, name)),
  joinRoom: (roomId, name) => play(() => connection.joinRoom(roomId, name)),
});

/**
 * Input-to-screen delay, measured in the page: the frame a movement key went
 * down, and how many frames later the local player was drawn elsewhere.
 */
const inputProbe = { pressedAtFrame: -1, from: { x: 0, y: 0 }, frames: -1 };
const MOVE_KEYS = new Set(["w", "a", "s", "d", "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"]);
window.addEventListener("keydown", (event) => {
  const me = lastView?.me;
  if (event.repeat || !MOVE_KEYS.has(event.key) || me === undefined) return;
  inputProbe.pressedAtFrame = scene.frames;
  inputProbe.from = { x: me.x, y: me.y };
}, { capture: true });

const { game, scene } = createGame(document.getElementById("game")!, {
  frame(frameMs, controls) {
    if (session === undefined) return undefined;
    const view = session.update(frameMs, controls);
    if (view.firedLocally) sound.play();
    hud.render(view);
    lastView = view;
    const me = view.me;
    if (inputProbe.pressedAtFrame >= 0 && me !== undefined && Math.hypot(me.x - inputProbe.from.x, me.y - inputProbe.from.y) > 0.01) {
      inputProbe.frames = scene.frames - inputProbe.pressedAtFrame;
      inputProbe.pressedAtFrame = -1;
    }
    return view;
  },
});

async function play(join: () => Promise<void>): Promise<void> {
  await join();
  startSession();
}

function startSession(): void {
  stopLobby?.();
  stopLobby = undefined;
  session?.dispose();
  session = new GameSession(connection);
  menu.hide();
  hud.setInMatch(true);
}

function showMenu(reason = ""): void {
  session?.dispose();
  session = undefined;
  lastView = undefined;
  hud.setInMatch(false);
  menu.show(reason);
  stopLobby ??= connection.watchLobby((rooms) => menu.setRooms(rooms));
}

connection.on("status", (status) => hud.setStatus(status));
connection.on("left", (reason) => showMenu(reason));
connection.on("message", (type, payload) => {
  if (type === "chat") {
    const { name, text } = payload as ServerMessages["chat"];
    hud.chat(name, text);
  } else if (type === "error") {
    hud.notice((payload as ServerMessages["error"]).message);
  }
});

let pixelQueue: Promise<unknown> = Promise.resolve();

/** A read-only surface for the browser tests: never used by the game itself. */
Object.defineProperty(window, "__arena", {
  value: Object.freeze({
    get status() { return connection.status; },
    get sessionId() { return connection.sessionId; },
    get roomId() { return connection.room?.roomId; },
    get menuError() { return document.getElementById("menu-error")?.textContent ?? ""; },
    /** The colour of a drawn pixel at arena coordinates, [r, g, b] (one snapshot at a time, as Phaser allows). */
    pixel: (x: number, y: number) => (pixelQueue = pixelQueue.then(() => new Promise<number[]>((resolve) => {
      game.renderer.snapshotPixel(Math.round(x), Math.round(y), (color) => {
        const c = color as unknown as { r: number; g: number; b: number };
        resolve([c.r, c.g, c.b]);
      });
    }))),
    get token() { return connection.reconnectionToken; },
    get stats() { return { ...connection.stats }; },
    get frames() { return scene.frames; },
    get renderer() { return game.renderer?.type === 2 ? "WEBGL" : game.renderer?.type === 1 ? "CANVAS" : "NONE"; },
    get me() { return lastView?.me; },
    get players() { return lastView?.players ?? []; },
    get server() {
      const id = connection.sessionId;
      const p = id === undefined ? undefined : connection.state?.players.get(id);
      return p && { x: p.x, y: p.y, score: p.score, hp: p.hp, connected: p.connected };
    },
    get corrections() { return session?.predicted.corrections.map((c) => c.sizePx) ?? []; },
    get remoteDelayMs() { return session?.remoteDelayMs ?? 0; },
    get pingMs() { return connection.roundTripMs(); },
    get inputEpoch() { return connection.attachCount; },
    /** Frames between the last movement key press and the player drawn moving (0: the next frame drawn). */
    get inputToScreenFrames() { return inputProbe.frames; },
    drop: () => connection.testDrop(),
    place: (x: number, y: number) => connection.testPlace(x, y),
  }),
});

// Start: an invite link joins its room; a reload rejoins the seat this tab had; else the menu.
async function start(): Promise<void> {
  const code = new URLSearchParams(location.search).get("code");
  if (await connection.resume().catch(() => false)) {
    startSession();
    return;
  }
  showMenu();
  if (code) {
    menu.prefillCode(code);
    history.replaceState(null, "", location.pathname + location.search.replace(/([?&])code=[^&]*&?/, "$1").replace(/[?&]$/, ""));
    await menu.run((name) => play(() => connection.joinByCode(code, name)));
  }
}
void start();
