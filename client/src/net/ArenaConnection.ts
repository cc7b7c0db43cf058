import { Client, type InputHandle, type Room, type SeatReservation } from "@colyseus/sdk";
import {
  ArenaState,
  InputFrameSchema,
  InputGroup,
  PROTOCOL_VERSION,
  ROOM_NAME,
  forEachPatchEvent,
  realClock,
  type ArenaRoomType,
  type Clock,
  type ErrorCode,
  type InputFrame,
  type JoinOptions,
  type PatchEvent,
  type RoomListing,
  type ServerMessages,
  type TelemetryReport,
  type Timer,
} from "@arena/shared";
import type { MatchClient } from "./matchClient.ts";
import { DROP_CLOSE_CODES, closeSentence, errorCodeOf, errorSentence, isMatchBetweenProcesses, isRoomGone, isSeatRefused } from "./errors.ts";
import { reconnectDelays } from "./reconnectSchedule.ts";
import { watchLobby } from "./lobby.ts";
import { SeatStore, type SavedSeat } from "./SeatStore.ts";
import { AttemptTimeout, withTimeout } from "./withTimeout.ts";

export type { MatchClient };

/** A match room, typed by the wire contract (`ArenaRoomType`: messages both ways, join options). */
type ArenaRoom = Room<ArenaRoomType, ArenaState>;

/**
 * The SDK's input handle binds its lag-compensation `renderDelay` to a live
 * provider through `bindRenderDelay` (InputHandleImpl, SDK 0.18.4; marked
 * internal, so not in its types). It is what `predict.reconciler` uses; we
 * use it for our own interpolation. Pinned by client/test/netcode.test.ts.
 */
interface RenderDelayBinding {
  bindRenderDelay(provider: () => number): void;
}

function bindsRenderDelay(handle: object): handle is RenderDelayBinding {
  return typeof (handle as Partial<RenderDelayBinding>).bindRenderDelay === "function";
}

/** How often the HUD's ping is measured. */
const PING_INTERVAL_MS = 2000;

/** Until a session says (setRenderDelay), the stamps declare remote players drawn this far behind: two 50 ms patches. */
const DEFAULT_RENDER_DELAY_MS = 100;
/** No patch for this long on a socket that looks open means it is dead (patches come 20 times a second). */
export const WATCHDOG_MS = 2500;
/** Until the server says (welcome message), assume its default grace window. */
const DEFAULT_GRACE_S = 20;
/** One reconnection attempt may take this long (a half-open link answers nothing). */
const ATTEMPT_TIMEOUT_MS = 5000;
/** Errors after which retrying a reconnection is pointless. */
const FINAL_ERRORS: ReadonlySet<ErrorCode> = new Set(["client_outdated", "bad_options"]);
/** Between tries while a match is moving, ms (jittered by up to half): a restore takes a second or two. */
const MIGRATION_RETRY_MS = 400;
/**
 * A spectator's seat is not held on a drop (no token): it joins again, on
 * the same backoff schedule as a player, for this long before giving up.
 */
const SPECTATOR_RETRY_MS = 20_000;
/** Colyseus's close code asking a client to try again (a match handed over to another process). */
const MAY_TRY_RECONNECT = 4010;

/** How a spectator came to watch, so that it can come back the same way after a drop: a public room's id, or a private room's code. */
export type WatchTarget = { roomId: string } | { code: string };

/** What the private-room routes answer (server/src/http/api.ts): a seat, and the join code of a room just created. */
interface SeatAnswer {
  seat: SeatReservation;
  code?: string;
}

/** What a spectator is told when the match it asked to watch is not there. */
const WATCH_GONE = "That match has ended (or there never was one by that link). Back to the menu.";
/** What a spectator is told when the match it watched is over: its room closed it (Colyseus's 4000 or 1000), or is gone after a drop. */
const MATCH_OVER = "The match you were watching has ended. Back to the menu.";
/** Colyseus's closes of a room that let its clients go on purpose: the room's `disconnect()` (CONSENTED), a normal closure. */
const ROOM_CLOSED_CODES: ReadonlySet<number> = new Set([4000, 1000]);

export type ConnectionStatus = "idle" | "joining" | "playing" | "reconnecting" | "left";

export interface ConnectionEvents {
  status: (status: ConnectionStatus) => void;
  /** Every state patch, after it is decoded. */
  patch: (state: ArenaState) => void;
  /** The shots, kills and pickups a patch carried, after the patch's `patch` listeners. */
  event: (event: PatchEvent) => void;
  /** The match is over for this client; `reason` is a sentence for the player. */
  left: (reason: string, code: number) => void;
  message: <K extends keyof ServerMessages>(type: K, payload: ServerMessages[K]) => void;
}

type Listeners = { [K in keyof ConnectionEvents]: Set<ConnectionEvents[K]> };

/** What a connection runs on besides its server and storage; each defaults to the real one. */
export interface ConnectionOptions {
  /** Default: the SDK's Client for the endpoint. */
  client?: MatchClient;
  /** Times the reconnection schedule, each attempt's deadline and the watchdog; stamps the saved seat. */
  clock?: Clock;
  /** Jitter of the reconnection schedule, uniform in [0, 1). */
  random?: () => number;
}

/**
 * The client's only door to the server (the one module that imports the
 * SDK): finding and joining a match, input frames, messages, and keeping the
 * connection alive. A dropped socket is rejoined with the reconnection token
 * on a jittered schedule that ends when the server releases the seat; a
 * watchdog treats a socket that stops delivering patches as dropped; the
 * token lives in sessionStorage so a reload rejoins.
 */
export class ArenaConnection {
  readonly client: MatchClient;
  readonly #clock: Clock;
  readonly #random: () => number;
  #room: ArenaRoom | undefined;
  #input: InputHandle<InputFrameSchema> | undefined;
  /** The room's input frames, sent INPUT_GROUP_FRAMES to a message. */
  #frames: InputGroup | undefined;
  #status: ConnectionStatus = "idle";
  #listeners: Listeners = { status: new Set(), patch: new Set(), event: new Set(), left: new Set(), message: new Set() };
  #graceMs = DEFAULT_GRACE_S * 1000;
  #lastPatchAt = 0;
  #watchdog: Timer | undefined;
  /** The last network round trip measured in this room, and when the last ping went out (clock ms). */
  #pingMs: number | undefined;
  #pingSentAt = -Infinity;
  #rejoining = false;
  #attachCount = 0;
  #renderDelay: (() => number) | undefined;
  /** What this connection watches as a spectator; undefined when it plays (or is idle). */
  #watching: { target: WatchTarget; name: string } | undefined;
  /** Counters for the HUD, the tests and the figures. */
  readonly stats = { drops: 0, rejoins: 0, watchdogTrips: 0 };

  readonly #seats: SeatStore;

  constructor(
    readonly endpoint: string,
    storage: Storage | undefined = globalThis.sessionStorage,
    options: ConnectionOptions = {},
  ) {
    this.client = options.client ?? new Client(endpoint);
    this.#clock = options.clock ?? realClock;
    this.#random = options.random ?? Math.random;
    this.#seats = new SeatStore(storage);
  }

  on<K extends keyof ConnectionEvents>(event: K, listener: ConnectionEvents[K]): () => void {
    (this.#listeners[event] as Set<ConnectionEvents[K]>).add(listener);
    return () => (this.#listeners[event] as Set<ConnectionEvents[K]>).delete(listener);
  }

  get status(): ConnectionStatus {
    return this.#status;
  }
  get room(): Room<ArenaRoomType, ArenaState> | undefined {
    return this.#room;
  }
  get state(): ArenaState | undefined {
    return this.#room?.state;
  }
  get sessionId(): string | undefined {
    return this.#room?.sessionId;
  }
  /** Frames of ours the server has consumed (acks come with every patch). */
  get ackSeq(): number {
    return this.#input?.lastProcessed ?? 0;
  }
  /**
   * Counts joins and rejoins. Each one starts a new input numbering (acks
   * restart at 0), so the predictor starts over when this changes.
   */
  get attachCount(): number {
    return this.#attachCount;
  }
  get reconnectionToken(): string | undefined {
    return this.#room?.reconnectionToken;
  }
  /** True while this connection watches a match as a spectator (joining, watching or coming back after a drop). */
  get spectating(): boolean {
    return this.#watching !== undefined;
  }

  /** Server time now, ms since room start (estimated from patches). */
  serverNow(): number {
    return this.#room?.clock.serverNow() ?? 0;
  }
  /** Server time of the newest patch. */
  lastServerTime(): number {
    return this.#room?.clock.lastServerTime() ?? 0;
  }
  /**
   * The input round trip: an input frame's sampling to its acknowledgement in
   * a patch (the SDK's smoothed figure). It includes the wait for the next
   * tick and the next patch, so it is the network round trip plus up to one
   * tick and one patch interval; it drives the render clock and the
   * lag-compensation stamps.
   */
  roundTripMs(): number {
    return this.#room?.clock.smoothedRtt() ?? 0;
  }

  /**
   * The network round trip: a ping frame (`room.ping`, opcode 18) to its
   * answer, which the server sends at once. What a player calls ping;
   * undefined until the first answer in this room.
   */
  pingMs(): number | undefined {
    return this.#pingMs;
  }

  async quickPlay(name: string, mode?: string): Promise<void> {
    await this.enter(() => this.client.joinOrCreate<ArenaRoomType>(ROOM_NAME, this.options(name, mode), ArenaState));
  }

  /** Creates a private room and joins it; resolves with its join code. */
  async createPrivate(name: string, mode?: string): Promise<string> {
    let code = "";
    await this.enter(async () => {
      const answer = await this.post("/api/private-rooms", this.options(name, mode));
      code = answer.code ?? "";
      return this.client.consumeSeatReservation<ArenaRoomType>(answer.seat, ArenaState);
    });
    return code;
  }

  async joinByCode(code: string, name: string): Promise<void> {
    await this.enter(async () => {
      const answer = await this.post(`/api/private-rooms/${encodeURIComponent(code)}/seats`, this.options(name));
      return this.client.consumeSeatReservation<ArenaRoomType>(answer.seat, ArenaState);
    });
  }

  /** Joins a public room picked from the list. */
  async joinRoom(roomId: string, name: string): Promise<void> {
    await this.enter(() => this.client.joinById<ArenaRoomType>(roomId, this.options(name), ArenaState));
  }

  /** Watches a public room as a spectator (no player, no inputs, no chat). */
  async watchRoom(roomId: string, name: string): Promise<void> {
    await this.enter(() => this.spectate({ roomId }, name), { target: { roomId }, name });
  }

  /** Watches a private room as a spectator, with its join code. */
  async watchByCode(code: string, name: string): Promise<void> {
    await this.enter(() => this.spectate({ code }, name), { target: { code }, name });
  }

  /** Follows the public room list; returns a function that stops following. */
  watchLobby(update: (rooms: RoomListing[]) => void): () => void {
    return watchLobby(this.client, update);
  }

  /** After a page reload: rejoins the seat saved in this tab, if it can still be held. Resolves true if it did. */
  async resume(): Promise<boolean> {
    const seat = this.savedSeat();
    if (seat === undefined) return false;
    const deadline = seat.savedAt + seat.graceMs;
    if (this.#clock.now() >= deadline) {
      this.forgetSeat();
      return false;
    }
    this.#graceMs = seat.graceMs;
    return this.rejoin(seat.token, deadline);
  }

  /**
   * One input frame (one step), sent with the next ones in an input group
   * (INPUT_GROUP_FRAMES to a message); returns its sequence number, or 0 when
   * not connected.
   */
  sendFrame(frame: InputFrame): number {
    const input = this.#input;
    const frames = this.#frames;
    if (input === undefined || frames === undefined || this.#status !== "playing") return 0;
    Object.assign(input.data, frame);
    return frames.send();
  }

  /**
   * Where the stamps of lag compensation read the interpolation delay
   * (remote players are drawn that far behind): the session's adaptive
   * delay. Undefined: the default, 100 ms.
   */
  setRenderDelay(provider: (() => number) | undefined): void {
    this.#renderDelay = provider;
  }

  /** The interpolation delay the stamps declare now, ms. */
  renderDelayMs(): number {
    return this.#renderDelay?.() ?? DEFAULT_RENDER_DELAY_MS;
  }

  /** A chat message; nothing for a spectator (the server refuses theirs with `spectator_chat`). */
  sendChat(text: string): void {
    if (this.spectating) return;
    this.#room?.send("chat", { text });
  }

  /** One netcode report (TelemetryReporter); dropped while not playing (joining, reconnecting). */
  sendTelemetry(report: TelemetryReport): void {
    if (this.#status === "playing") this.#room?.send("telemetry", report);
  }

  /** Leaves on purpose: the seat is not held. */
  async leave(): Promise<void> {
    const room = this.#room;
    this.#watching = undefined;
    this.forgetSeat();
    this.setStatus("left");
    this.detach();
    await room?.leave(true).catch(() => {});
  }

  /** Test hook (servers with ENABLE_TEST_HOOKS): the server cuts this client's TCP connection. */
  testDrop(): void {
    this.#room?.send("__test:drop");
  }

  /** Test hook: the server answers `__test:inputWaits` with how long our input frames waited in its buffer (ENABLE_TEST_HOOKS). True if it was sent. */
  testInputWaits(): boolean {
    this.#room?.send("__test:inputWaits");
    return this.#room !== undefined;
  }

  /** Test hook: the server moves this player (ENABLE_TEST_HOOKS). */
  testPlace(x: number, y: number): void {
    this.#room?.send("__test:place", { x, y });
  }

  private options(name: string, mode?: string): JoinOptions {
    return mode === undefined ? { name, protocol: PROTOCOL_VERSION } : { name, mode, protocol: PROTOCOL_VERSION };
  }

  /** Joins as a spectator: by id for a public room, through a seat by code for a private one. */
  private async spectate(target: WatchTarget, name: string): Promise<ArenaRoom> {
    const options: JoinOptions = { name, protocol: PROTOCOL_VERSION, spectate: true };
    if ("roomId" in target) return this.client.joinById<ArenaRoomType>(target.roomId, options, ArenaState);
    const answer = await this.post(`/api/private-rooms/${encodeURIComponent(target.code)}/seats`, options);
    return this.client.consumeSeatReservation<ArenaRoomType>(answer.seat, ArenaState);
  }

  /** A POST to the private-room routes; a failure throws the body's error text, with the status as `code`. */
  private async post(path: string, body: unknown): Promise<SeatAnswer> {
    const res = await fetch(new URL(path, this.endpoint), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const json: unknown = await res.json().catch(() => ({}));
    const answer = typeof json === "object" && json !== null ? (json as { [K in keyof SeatAnswer | "error"]?: unknown }) : {};
    if (!res.ok) throw Object.assign(new Error(typeof answer.error === "string" ? answer.error : `HTTP ${res.status}`), { code: res.status });
    if (typeof answer.seat !== "object" || answer.seat === null) throw new Error("The server's answer carried no seat.");
    return { seat: answer.seat as SeatReservation, code: typeof answer.code === "string" ? answer.code : undefined };
  }

  /** Joins (`watch`: as a spectator of it); a failure throws a sentence for the player, the original error as its cause. */
  private async enter(join: () => Promise<Room<ArenaRoomType, ArenaState>>, watch?: { target: WatchTarget; name: string }): Promise<void> {
    if (this.#room !== undefined) await this.leave();
    this.#watching = watch;
    this.setStatus("joining");
    try {
      this.attach(await join());
    } catch (error) {
      this.#watching = undefined;
      this.setStatus("idle");
      // A link to watch a room that is gone; a wrong code is told as for a player ("No room has that code").
      const gone = watch !== undefined && "roomId" in watch.target && isRoomGone(error);
      throw new Error(gone ? WATCH_GONE : errorSentence(error), { cause: error });
    }
  }

  private attach(room: Room<ArenaRoomType, ArenaState>): void {
    this.#room = room;
    this.#attachCount++;
    // Reconnection is ours (see rejoin): the SDK's would not end with the seat.
    room.reconnection.enabled = false;
    // A spectator sends no input frames (the server would close it with 4103): no input handle at all.
    if (!this.spectating) this.bindInput(room);
    this.#lastPatchAt = this.#clock.now();
    // The first state is the full one: its events come again in the next patch.
    let first = true;
    room.onStateChange((state) => {
      this.#lastPatchAt = this.#clock.now();
      for (const listener of this.#listeners.patch) listener(state);
      if (first) first = false;
      else
        forEachPatchEvent(state, (event) => {
          for (const listener of this.#listeners.event) listener(event);
        });
    });
    room.onMessage("*", (type, payload) => {
      if (type === "welcome") {
        const welcome = payload as ServerMessages["welcome"];
        if (this.spectating && welcome.spectator !== true) return void this.refuseSeat(room);
        this.#graceMs = welcome.reconnectGraceSeconds * 1000;
        this.saveSeat();
      }
      for (const listener of this.#listeners.message) listener(type as keyof ServerMessages, payload as never);
    });
    room.onLeave((code) => this.onClose(room, code));
    this.#pingMs = undefined;
    this.#pingSentAt = -Infinity;
    this.saveSeat();
    this.startWatchdog();
    this.setStatus("playing");
  }

  private bindInput(room: ArenaRoom): void {
    const input = room.input<InputFrameSchema>({ type: InputFrameSchema });
    // Each frame's stamp declares the delay remote players are drawn with when it is sampled.
    if (!bindsRenderDelay(input)) throw new Error("@colyseus/sdk: the input handle has no bindRenderDelay (client/test/netcode.test.ts pins it)");
    input.bindRenderDelay(() => this.renderDelayMs());
    this.#input = input;
    this.#frames = new InputGroup(room, this.#input);
  }

  /**
   * Asked to watch, seated as a player (a server that does not know
   * spectators): leave at once rather than stand in the match as a player
   * who never moves.
   */
  private refuseSeat(room: ArenaRoom): void {
    this.#watching = undefined;
    this.detach();
    void room.leave(true).catch(() => {});
    this.end("This server cannot be watched: it does not know spectators.", 0);
  }

  /** Stops listening to the current room without closing anything on the server. */
  private detach(): void {
    this.#clock.clearInterval(this.#watchdog);
    const room = this.#room;
    this.#room = undefined;
    // Frames held for a group go with the room: a rejoin numbers inputs anew.
    this.#input = undefined;
    this.#frames = undefined;
    room?.removeAllListeners();
  }

  private onClose(room: Room<ArenaRoomType, ArenaState>, code: number): void {
    if (room !== this.#room || this.#status === "left") return;
    const token = room.reconnectionToken;
    this.detach();
    if (DROP_CLOSE_CODES.has(code) && (token || this.spectating)) {
      this.stats.drops++;
      this.recover(token, code === MAY_TRY_RECONNECT);
      return;
    }
    this.end(this.spectating && ROOM_CLOSED_CODES.has(code) ? MATCH_OVER : closeSentence(code), code);
  }

  private startWatchdog(): void {
    this.#clock.clearInterval(this.#watchdog);
    this.#watchdog = this.#clock.setInterval(() => {
      const room = this.#room;
      if (room === undefined || this.#status !== "playing") return;
      // The grace window starts when the connection drops (a reload, a crash):
      // keep the saved seat's time fresh so a reload knows how long it has.
      this.saveSeat();
      this.ping(room);
      if (this.#clock.now() - this.#lastPatchAt < WATCHDOG_MS) return;
      // The socket looks open but nothing arrives: give up on it and rejoin.
      this.stats.watchdogTrips++;
      this.stats.drops++;
      const token = room.reconnectionToken;
      this.detach();
      room.connection.close();
      this.recover(token, false);
    }, 250);
  }

  /** One ping every PING_INTERVAL_MS: a frame of one byte each way. */
  private ping(room: Room<ArenaRoomType, ArenaState>): void {
    if (this.#clock.now() - this.#pingSentAt < PING_INTERVAL_MS) return;
    this.#pingSentAt = this.#clock.now();
    room.ping((ms) => {
      if (room === this.#room) this.#pingMs = ms;
    });
  }

  /** After a drop: a player rejoins its held seat with the token; a spectator, which has none, joins again. */
  private recover(token: string, handedOver: boolean): void {
    const watching = this.#watching;
    if (watching !== undefined) void this.rewatch(watching, handedOver);
    else void this.rejoin(token, this.#clock.now() + this.#graceMs);
  }

  /**
   * A spectator's way back after a drop: joins the match again, the way it
   * first did, on the backoff schedule for SPECTATOR_RETRY_MS. A match that
   * is gone has ended (unless it is being handed over to another process,
   * when its room is missing for a moment).
   */
  private async rewatch(watching: { target: WatchTarget; name: string }, handedOver: boolean): Promise<boolean> {
    if (this.#rejoining) return false;
    this.#rejoining = true;
    this.setStatus("reconnecting");
    try {
      for (const delay of reconnectDelays({ graceMs: SPECTATOR_RETRY_MS }, this.#random)) {
        await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, delay));
        if (this.#status !== "reconnecting" || this.#watching !== watching) return false;
        const attempt = this.spectate(watching.target, watching.name);
        try {
          const room = await withTimeout(attempt, ATTEMPT_TIMEOUT_MS, this.#clock);
          this.stats.rejoins++;
          this.attach(room);
          return true;
        } catch (error) {
          // An answer after the deadline is a spectator seat nobody uses: let it go.
          if (error instanceof AttemptTimeout)
            void attempt
              .then(
                (late) => late.leave(true),
                () => {},
              )
              .catch(() => {});
          const code = errorCodeOf(error);
          if (code !== null && (FINAL_ERRORS.has(code) || code === "spectators_full")) return this.end(errorSentence(error), 0);
          if (isRoomGone(error) && !handedOver) return this.end(MATCH_OVER, 0);
          // Unreachable, busy, a match on its way to another process: try again while the schedule runs.
        }
      }
      return this.end("The connection to the match could not be restored. Back to the menu.", 0);
    } finally {
      this.#rejoining = false;
    }
  }

  /**
   * Retries the reconnection token until it works, the server refuses it, or
   * the seat is released. The same token also finds the match after it moved
   * to another server process (migration): the server answers "moving" until
   * it is there, and retries then come every MIGRATION_RETRY_MS or so.
   */
  private async rejoin(token: string, deadline: number): Promise<boolean> {
    if (this.#rejoining) return false;
    this.#rejoining = true;
    this.setStatus("reconnecting");
    try {
      const delays = reconnectDelays({ graceMs: Math.max(0, deadline - this.#clock.now()) }, this.#random);
      // Retries come every MIGRATION_RETRY_MS or so while the server says the match is
      // moving, and after it has said so, while the answers are the ones a move gives.
      let moving = false;
      let sawMigration = false;
      for (;;) {
        const delay = moving ? MIGRATION_RETRY_MS * (0.5 + this.#random() / 2) : delays.shift();
        if (delay === undefined || this.#clock.now() + delay >= deadline) break;
        await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, delay));
        if (this.#status !== "reconnecting") return false;
        try {
          const room = await withTimeout(this.client.reconnect<ArenaRoomType>(token, ArenaState), ATTEMPT_TIMEOUT_MS, this.#clock);
          this.stats.rejoins++;
          this.attach(room);
          return true;
        } catch (error) {
          const code = errorCodeOf(error);
          if (code !== null && FINAL_ERRORS.has(code)) return this.end(errorSentence(error), 0);
          // The server answered that the token is no good: the seat is gone.
          if (isSeatRefused(error)) return this.end("Your seat in the match was released. Back to the menu.", 0);
          sawMigration ||= code === "match_migrating";
          moving = code === "match_migrating" || (sawMigration && (code === "server_draining" || isMatchBetweenProcesses(error)));
          // Anything else (unreachable, busy, a match on its way, a seat on a process that
          // just went): try again, on the backoff schedule, while the grace runs.
        }
      }
      return this.end("The connection could not be restored before your seat was released. Back to the menu.", 0);
    } finally {
      this.#rejoining = false;
    }
  }

  private end(reason: string, code: number): false {
    this.#watching = undefined;
    this.forgetSeat();
    this.setStatus("left");
    for (const listener of this.#listeners.left) listener(reason, code);
    return false;
  }

  private setStatus(status: ConnectionStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    for (const listener of this.#listeners.status) listener(status);
  }

  private savedSeat(): SavedSeat | undefined {
    return this.#seats.load(this.endpoint);
  }

  /** A player's seat, for a reload; a spectator's is not held, so nothing is saved for it. */
  private saveSeat(): void {
    if (this.spectating) return;
    const token = this.#room?.reconnectionToken;
    if (token !== undefined) this.#seats.save({ token, endpoint: this.endpoint, graceMs: this.#graceMs, savedAt: this.#clock.now() });
  }

  private forgetSeat(): void {
    this.#seats.forget();
  }
}
