import { randomInt } from "node:crypto";
import { Room, type Client, type StepContext, type AuthContext } from "@colyseus/core";
import {
  ArenaState, CloseCode, InputFrameSchema, PATCH_INTERVAL_MS, PROTOCOL_VERSION, Pickup, Player, TICK_RATE_HZ,
  clearEvents, initWorld, isPatchEvent, joinPlayer, snapPosition, leavePlayer, livePositions, recordEvent, sanitizeInput, stepTick,
  type InputFrame, type SeenBy, type SimEvent,
} from "@arena/shared";
import type { Settings } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { Matchmaking } from "../matchmaking/Matchmaking.ts";
import type { Metrics } from "../Metrics.ts";
import { INPUT_BUFFER_FRAMES, InputBudget } from "./InputBudget.ts";
import { RoomChat } from "./RoomChat.ts";
import { ClientGuard } from "./ClientGuard.ts";
import { LagCompensation } from "./LagCompensation.ts";
import { TickFrames } from "./TickFrames.ts";
import { broadcastRecipients, patchRecipients } from "./sentFrames.ts";
import { arenaFrames } from "./framePolicy.ts";
import { compileInputGrammar } from "./inputGrammar.ts";
import { sendUnknownMessage } from "./sendRoomError.ts";
import { validateJoinOptions, type ValidJoinOptions } from "./joinOptions.ts";

/** What a room needs from the process. */
export interface RoomContext {
  settings: Settings;
  log: Logger;
  matchmaking: Matchmaking;
  metrics: Metrics;
}

/** Core's broadcast options (`except` and the send options; core does not export the type). */
type BroadcastOptions = Parameters<Room["broadcastBytes"]>[2];

/** The grammar of an input frame's body, from the shared input schema. */
const INPUT_BODY = compileInputGrammar(InputFrameSchema);

/** onCreate's options: a client's validated join options, plus what only the server sets. */
export type CreateOptions = ValidJoinOptions & {
  /** Set by the private room API (never accepted from a client): makes the room private under this code. */
  privateCode?: string;
};

/**
 * One match: an authoritative simulation of the shared rules at a fixed tick
 * rate. Clients only send input frames; the room decides everything else and
 * sends the state back as schema patches. Lifecycle and wiring only: the
 * rules live in @arena/shared.
 */
export class ArenaRoom extends Room<{ state: ArenaState; input: InputFrameSchema }> {
  /** Set by `arenaRoomFor` on the subclass registered with the server. */
  static context: RoomContext;

  override inputs = this.defineInput(InputFrameSchema, {
    bufferMaxSize: INPUT_BUFFER_FRAMES,
    sanitize: (frame) => this.sanitize(frame),
  });

  private readonly frames = new TickFrames(new InputBudget(), (dropped) => { this.ctx.metrics.inputs.dropped += dropped; });
  /** stepTick's callbacks, made once: the frames a tick simulates, and where a shooter saw the others (live without rewind). */
  private readonly framesOf = (playerId: string): Iterable<InputFrame> => this.frames.of(playerId, this.inputs.get(playerId), this.guard.framesPerMessage(playerId));
  private seenBy: SeenBy = () => livePositions;
  private readonly chat = new RoomChat({
    nameOf: (sessionId) => this.state.players.get(sessionId)?.name,
    broadcast: (message) => this.broadcast("chat", message),
  });
  private draining = false;
  private lastTickAt: number | undefined;
  private firstTickAt: number | undefined;
  private closing = false;
  private faultRequested = false;
  private readonly ctx = (this.constructor as typeof ArenaRoom).context;
  private readonly guard = new ClientGuard(this, arenaFrames(INPUT_BODY, () => this.stampsBoth()), this.ctx);

  /** Runs during matchmaking, before any room is chosen or created. */
  static override async onAuth(_token: string, options: unknown, _context: AuthContext): Promise<boolean> {
    const valid = validateJoinOptions(options);
    // Matchmaking reads the same object next (filterBy "mode"): store the
    // normalised values so a missing mode matches "ffa" rooms.
    Object.assign(options as object, valid);
    return true;
  }

  override async onCreate(options: CreateOptions): Promise<void> {
    const { settings } = this.ctx;
    this.maxClients = settings.capacity[options.mode];
    this.patchRate = PATCH_INTERVAL_MS;
    this.state = new ArenaState();
    initWorld(this.state, options.mode, randomInt(2 ** 31), () => new Pickup());
    if (settings.rewindWindowMs > 0) {
      const rewind = this.allowRewindState({ maxRewindMs: settings.rewindWindowMs });
      rewind.attachAll(this.state.players, { fields: ["x", "y"] });
      this.seenBy = new LagCompensation(rewind).seenBy;
    }
    this.onMessage("chat", (client, message: unknown) => this.chat.receive(client, message));
    this.onMessage("*", (client, type) => sendUnknownMessage(client, type));
    if (settings.testHooks) this.registerTestHooks();
    this.setFixedTimestep((step) => this.tick(step), TICK_RATE_HZ);
    const isPrivate = options.privateCode !== undefined;
    if (isPrivate) await this.setPrivate(true);
    await this.ctx.matchmaking.roomOpened(this.roomId, options.privateCode);
    this.ctx.log.info({ roomId: this.roomId, mode: options.mode, maxClients: this.maxClients, private: isPrivate }, "room created");
  }

  override async onDispose(): Promise<void> {
    await this.ctx.matchmaking.roomClosed(this.roomId);
  }

  override onJoin(client: Client, options: ValidJoinOptions): void {
    joinPlayer(this.state, client.sessionId, new Player(), options.name);
    this.guard.watch(client);
    this.ctx.metrics.connections.inc({ event: "joined" });
    client.send("welcome", {
      protocol: PROTOCOL_VERSION,
      reconnectGraceSeconds: this.ctx.settings.reconnectGraceSeconds,
      patchIntervalMs: PATCH_INTERVAL_MS,
      tickRate: TICK_RATE_HZ,
    });
    this.ctx.log.info({ roomId: this.roomId, sessionId: client.sessionId }, "player joined");
  }

  /** A connection dropped without the player leaving: hold the seat for the grace period. */
  override onDrop(client: Client, code?: number): void {
    // Refused for flooding or a bad frame: no seat is held; Colyseus calls onLeave next.
    if (this.guard.refused(client.sessionId)) return;
    const player = this.state.players.get(client.sessionId);
    if (player === undefined || this.draining) return;
    player.connected = false;
    this.ctx.metrics.connections.inc({ event: "dropped" });
    this.ctx.log.info({ roomId: this.roomId, sessionId: client.sessionId, code }, "player dropped, seat held");
    this.allowReconnection(client, this.ctx.settings.reconnectGraceSeconds).catch(() => {
      // Expired or room closing: Colyseus calls onLeave next.
    });
  }

  override onReconnect(client: Client): void {
    const player = this.state.players.get(client.sessionId);
    if (player !== undefined) player.connected = true;
    this.guard.watch(client);
    this.ctx.metrics.connections.inc({ event: "reconnected" });
    this.ctx.log.info({ roomId: this.roomId, sessionId: client.sessionId }, "player reconnected");
  }

  override onLeave(client: Client, code?: number): void {
    this.removePlayer(client, code);
  }

  private removePlayer(client: Client, code?: number): void {
    this.guard.forget(client.sessionId);
    leavePlayer(this.state, client.sessionId);
    this.frames.forget(client.sessionId);
    this.ctx.metrics.connections.inc({ event: "left" });
    this.ctx.log.info({ roomId: this.roomId, sessionId: client.sessionId, code }, "player left");
  }

  /**
   * SIGTERM: the room is already locked. The round in progress plays on until
   * it ends or the shutdown deadline passes, whichever is first; then every
   * player is closed with SERVER_DRAINING, which tells clients to find
   * another room rather than reconnect.
   */
  override onBeforeShutdown(): void {
    this.draining = true;
    this.clock.setTimeout(() => this.closeForDrain("deadline"), this.ctx.settings.shutdownDeadlineSeconds * 1000);
  }

  override onUncaughtException(error: Error, methodName: string): void {
    this.ctx.log.error({ roomId: this.roomId, method: methodName, err: error }, "room error");
    if (methodName === "setFixedTimestep") {
      // The world may be half-updated: end this match, keep the process.
      this.disconnect(CloseCode.ROOM_FAULT).catch(() => {});
    }
  }

  private tick(step: StepContext): void {
    if (this.faultRequested) {
      this.faultRequested = false;
      throw new Error("fault injected by test hook");
    }
    const { metrics } = this.ctx;
    const started = performance.now();
    if (this.lastTickAt !== undefined) {
      metrics.tickInterval.observe((started - this.lastTickAt) / 1000);
      this.firstTickAt ??= started - step.tick * step.dtMs;
      if (started - (this.firstTickAt + step.tick * step.dtMs) > step.dtMs / 2) metrics.ticksLate.inc();
    }
    this.lastTickAt = started;
    const events: SimEvent[] = [];
    stepTick(this.state, this.framesOf, step.dt, this.seenBy, events);
    for (const event of events) this.publish(event);
    metrics.tickDuration.observe((performance.now() - started) / 1000);
  }

  /** Cleans a decoded input frame (shared rule); counts it, and counts it as rejected if anything had to change. */
  private sanitize(frame: InputFrameSchema): void {
    const { moveX, moveY, aim } = frame;
    sanitizeInput(frame);
    const { inputs } = this.ctx.metrics;
    inputs.received++;
    // The wire gives float32 values; a sound client sends sticks in [-1, 1] and any finite aim.
    if (!(Object.is(moveX, frame.moveX) && Object.is(moveY, frame.moveY) && Number.isFinite(aim))) inputs.rejected++;
  }

  /**
   * After each patch: count its frames (one per joined player), start the
   * event lists over (the patch carried them, patchEvents.ts), then cut
   * players who stopped reading.
   */
  override broadcastPatch(): boolean {
    const changed = super.broadcastPatch();
    this.ctx.metrics.framesSent += patchRecipients(this.clients);
    clearEvents(this.state);
    this.guard.checkBacklogs();
    return changed;
  }

  /** A broadcast's frames (one per recipient) are counted where they are made. */
  override broadcast(type: string | number, message?: unknown, options?: BroadcastOptions): void {
    this.ctx.metrics.framesSent += broadcastRecipients(this.clients, options?.except);
    super.broadcast(type, message as never, options);
  }

  override broadcastBytes(type: string | number, message: Uint8Array, options: BroadcastOptions): void {
    this.ctx.metrics.framesSent += broadcastRecipients(this.clients, options?.except);
    super.broadcastBytes(type, message, options);
  }

  /**
   * Shots, kills and pickups go into the state, so they reach each client
   * inside the next patch frame (one frame per client per patch); round
   * starts and ends, a few a minute, are messages.
   */
  private publish(event: SimEvent): void {
    if (isPatchEvent(event)) return recordEvent(this.state, event);
    const { type, ...payload } = event;
    this.broadcast(type, payload);
    if (type === "round_end" && this.draining) this.closeForDrain("round ended");
  }

  private closeForDrain(why: string): void {
    if (this.closing) return;
    this.closing = true;
    this.ctx.log.info({ roomId: this.roomId, why }, "closing room for shutdown");
    this.dropUnclaimedSeats();
    this.disconnect(CloseCode.SERVER_DRAINING).catch(() => {});
  }

  /**
   * Seats reserved but never claimed: once the last player has left a
   * closing room, core still waits for them, and for the dispose timer each
   * reservation restarts, to expire (the seat reservation time, 15 s) before
   * disposing, which outlasts the drain's overrun. The room will take nobody
   * now, so they go. docs/upstream/disconnect-waits-for-unclaimed-seats.md
   */
  private dropUnclaimedSeats(): void {
    const core = this as unknown as {
      _reservedSeats: Record<string, unknown>;
      _reservedSeatTimeouts: Record<string, NodeJS.Timeout>;
      _autoDisposeTimeout: NodeJS.Timeout | undefined;
    };
    // A claimed seat stays in the table, made non-enumerable, until its player leaves.
    for (const sessionId of Object.keys(core._reservedSeats)) {
      clearTimeout(core._reservedSeatTimeouts[sessionId]);
      delete core._reservedSeatTimeouts[sessionId];
      delete core._reservedSeats[sessionId];
    }
    clearTimeout(core._autoDisposeTimeout);
    core._autoDisposeTimeout = undefined;
  }

  /**
   * Whether an input's stamp carries both reckon and render time: decided by
   * the rewind timeline, as core's RoomInput decides it (`_timelineMode`).
   */
  private stampsBoth(): boolean {
    const timeline = (this as unknown as { _timelineMode(): { snapshot?: boolean; reckon?: boolean } | undefined })._timelineMode();
    return timeline?.snapshot === true && timeline.reckon === true;
  }

  /** Test-only messages (ENABLE_TEST_HOOKS, refused in production). */
  private registerTestHooks(): void {
    this.onMessage("__test:fault", () => { this.faultRequested = true; });
    // Paced large messages, to fill a non-reading client's buffers quickly.
    this.onMessage("__test:blast", (client, { bytes = 65536, count = 100, everyMs = 10 }: { bytes?: number; count?: number; everyMs?: number }) => {
      const payload = "x".repeat(Math.min(bytes, 1 << 20));
      let sent = 0;
      const timer = this.clock.setInterval(() => {
        if (++sent > Math.min(count, 10_000)) return timer.clear();
        client.send("blast", payload);
      }, everyMs);
    });
    this.onMessage("__test:place", (client, at: { x?: unknown; y?: unknown }) => {
      const player = this.state.players.get(client.sessionId);
      if (player && typeof at?.x === "number" && typeof at?.y === "number") {
        player.x = snapPosition(at.x);
        player.y = snapPosition(at.y);
      }
    });
    this.onMessage("__test:drop", (client) => {
      (client as unknown as { ref: { terminate(): void } }).ref.terminate();
    });
  }
}

/** The ArenaRoom class to register on a server, bound to its settings. */
export function arenaRoomFor(context: RoomContext): typeof ArenaRoom {
  return class extends ArenaRoom {
    static override context = context;
  };
}
