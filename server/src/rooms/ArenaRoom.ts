import { randomInt } from "node:crypto";
import { CloseCode as ColyseusCloseCode, Room, RoomInternalState, matchMaker, type StepContext, type AuthContext } from "@colyseus/core";
import {
  ArenaState,
  CloseCode,
  CloseReason,
  InputFrameSchema,
  PATCH_INTERVAL_MS,
  PROTOCOL_VERSION,
  Pickup,
  STEP_SECONDS,
  Player,
  TICK_RATE_HZ,
  clearEvents,
  initWorld,
  isPatchEvent,
  joinPlayer,
  leavePlayer,
  livePositions,
  recordEvent,
  restoreWorld,
  sanitizeInput,
  snapshotWorld,
  stepTick,
  isSpectating,
  type ArenaListingMetadata,
  type InputFrame,
  type SeenBy,
  type ServerMessages,
  type SimEvent,
} from "@arena/shared";
import type { Settings } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { Matchmaking } from "../matchmaking/Matchmaking.ts";
import type { Metrics } from "../Metrics.ts";
import { PREVIOUS_TOKEN_KEPT_MS, type MatchRecorder } from "../migration/MatchRecorder.ts";
import { redisError } from "../migration/MatchStore.ts";
import type { Migration, Restoring } from "../migration/Migration.ts";
import type { ReplayStore } from "../replays/ReplayStore.ts";
import { ReplayRecorder } from "../replays/ReplayRecorder.ts";
import { bufferPlainFrames, coreOf, interceptSeatReservations, type SeatAdmission } from "./coreRoom.ts";
import { SpectatorSeats } from "./Spectators.ts";
import { HeldSeats } from "./HeldSeats.ts";
import { INPUT_BUFFER_FRAMES, InputBudget, InputLeadMeter } from "@arena/shared";
import { RoomChat } from "./RoomChat.ts";
import { RoomTelemetry } from "./RoomTelemetry.ts";
import { ClientGuard } from "./ClientGuard.ts";
import { LagCompensation } from "./LagCompensation.ts";
import { TickFrames } from "./TickFrames.ts";
import { broadcastRecipients, patchRecipients } from "./sentFrames.ts";
import { arenaFrames, spectatorFrames } from "./framePolicy.ts";
import { compileInputGrammar } from "./inputGrammar.ts";
import { sendRoomError, sendUnknownMessage } from "./sendRoomError.ts";
import type { ArenaClient } from "./ArenaClient.ts";
import { InputWaits } from "./InputWaits.ts";
import { WaitLog, registerTestHooks } from "./testHooks.ts";
import { validateJoinOptions, type ValidJoinOptions } from "./joinOptions.ts";

/** What a room needs from the process. */
export interface RoomContext {
  settings: Settings;
  log: Logger;
  matchmaking: Matchmaking;
  metrics: Metrics;
  /** Match migration (with Redis). */
  migration?: Migration;
  /** Where finished matches' replays go (REPLAY_DIR); absent: matches are not recorded. */
  replays?: ReplayStore;
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
export class ArenaRoom extends Room<{ state: ArenaState; input: InputFrameSchema; client: ArenaClient }> {
  override inputs = this.defineInput(InputFrameSchema, {
    bufferMaxSize: INPUT_BUFFER_FRAMES,
    sanitize: (frame) => this.sanitize(frame),
  });

  /** How long input frames wait in the buffer (arena_input_wait_seconds, arena_input_queue_depth). */
  private readonly waits = new InputWaits(
    () => performance.now(),
    (ms) => this.ctx.metrics.inputWait.observe(ms / 1000),
    (frames) => this.ctx.metrics.inputQueueDepth.observe(frames),
    (playerId, ms) => this.waitLog?.record(playerId, ms),
  );
  /** Every frame's wait, by player, for the `__test:inputWaits` hook (ENABLE_TEST_HOOKS only). */
  private waitLog: WaitLog | undefined;
  private readonly frames = new TickFrames(
    new InputBudget(),
    (dropped) => {
      this.ctx.metrics.inputs.dropped += dropped;
    },
    this.waits,
  );
  /** stepTick's callbacks, made once: the frames a tick simulates, and where a shooter saw the others (live without rewind). */
  private readonly framesOf = (playerId: string): Iterable<InputFrame> => {
    const frames = this.frames.of(playerId, this.inputs.get(playerId), this.guard.framesPerMessage(playerId));
    this.measureLead(playerId, frames);
    return frames;
  };
  /** How each connected player's frames meet the ticks; written to `inputLead` once a window (shared/src/net/inputLead.ts). */
  private readonly leads = new InputLeadMeter();
  private seenBy: SeenBy = () => livePositions;
  private readonly chat = new RoomChat({
    nameOf: (sessionId) => this.state.players.get(sessionId)?.name,
    broadcast: (message) => this.announce("chat", message),
  });
  /** Players' netcode reports, into the process's `arena_client_*` metrics. */
  private readonly telemetry: RoomTelemetry;
  private draining = false;
  private lastTickAt: number | undefined;
  private firstTickAt: number | undefined;
  private closing = false;
  private faultRequested = false;
  private readonly guard: ClientGuard;
  /** Migration: this match's snapshots (with Redis), and the seats a restored match waits to see taken again. */
  private recorder: MatchRecorder | undefined;
  private readonly held = new HeldSeats(this, (sessionId) => this.seatExpired(sessionId));
  /** The match went to another process: handed over on a drain, or taken over (this process looked dead). */
  private movedOut: "handed" | "taken" | undefined;
  /** No more steps: the match's last state here is in its final snapshot. */
  private frozen = false;
  /** People watching (Spectators.ts): no player, no player seat, no input, no chat. */
  private readonly spectators: SpectatorSeats;
  /** Spectators told the match is over (their close is under way). */
  private readonly matchOverSent = new WeakSet<ArenaClient>();
  /** Players this room seats (ROOM_CAPACITY); `maxClients` adds the spectators' seats. */
  private capacity = 0;
  /** This match's replays (with a replay store): every change to the world, as it happens. */
  private replay: ReplayRecorder | undefined;

  /** Colyseus constructs rooms with no arguments: `arenaRoomFor` binds the context. */
  constructor(private readonly ctx: RoomContext) {
    super();
    this.telemetry = new RoomTelemetry(ctx.metrics.telemetry);
    this.spectators = new SpectatorSeats(
      ctx.settings.maxSpectators,
      (count) => this.listSpectators(count),
      () => this.seatReservationTimeout * 1000,
    );
    this.guard = new ClientGuard(
      this,
      arenaFrames(INPUT_BODY, () => this.stampsBoth()),
      ctx,
      {
        frames: spectatorFrames,
        has: (sessionId) => this.spectators.has(sessionId),
      },
    );
    interceptSeatReservations(this, (sessionId, options) => this.admitSeat(sessionId, options));
    // Each input frame's arrival, as core puts it in the client's buffer (for arena_input_wait_seconds).
    const controller = coreOf(this)._inputController;
    if (controller !== undefined) {
      const capture = controller.capture.bind(controller);
      controller.capture = (client, ...rest) => {
        this.waits.arrived(client.sessionId);
        bufferPlainFrames(client);
        capture(client, ...rest);
      };
    }
  }

  /** Runs during matchmaking, before any room is chosen or created. */
  static override async onAuth(_token: string, options: unknown, _context: AuthContext): Promise<boolean> {
    const valid = validateJoinOptions(options);
    // Matchmaking reads the same object next (filterBy "mode"): store the
    // normalised values so a missing mode matches "ffa" rooms.
    Object.assign(options as object, valid);
    return true;
  }

  override async onCreate(options: CreateOptions): Promise<void> {
    const { settings, migration } = this.ctx;
    const restoring = migration?.restoring(this.roomId);
    const privateCode = restoring?.snapshot.privateCode ?? options.privateCode ?? null;
    this.capacity = settings.capacity[options.mode];
    this.maxClients = this.capacity + settings.maxSpectators;
    const listed: ArenaListingMetadata = { mode: options.mode, capacity: this.capacity, spectators: 0, maxSpectators: settings.maxSpectators };
    await this.setMetadata({ ...(coreOf(this)._listing.metadata as object | undefined), ...listed });
    this.patchRate = PATCH_INTERVAL_MS;
    this.state = new ArenaState();
    initWorld(this.state, options.mode, randomInt(2 ** 31), () => new Pickup());
    if (settings.testRoundSeconds !== undefined) shortenRounds(this.state, settings.testRoundSeconds);
    if (migration !== undefined) {
      this.recorder = migration.recorder(
        {
          roomId: this.roomId,
          mode: options.mode,
          privateCode,
          graceSeconds: settings.reconnectGraceSeconds,
          world: () => snapshotWorld(this.state),
          bankedSteps: (sessionId) => this.frames.budget.banked(sessionId),
        },
        () => this.takenOver(),
      );
      if (restoring !== undefined) this.restoreMatch(restoring);
      this.clock.setInterval(() => {
        this.recorder?.refresh();
        if (restoring !== undefined) void this.keepListing();
      }, settings.matchSnapshotMs);
    }
    if (settings.rewindWindowMs > 0) {
      const rewind = this.allowRewindState({ maxRewindMs: settings.rewindWindowMs });
      rewind.attachAll(this.state.players, { fields: ["x", "y"] });
      // The rewind's timeline is the room clock's (core records it at `clock.elapsedTime`).
      this.seenBy = new LagCompensation(
        rewind,
        () => this.clock.elapsedTime,
        (depthMs) => this.ctx.metrics.rewindDepth.observe(depthMs / 1000),
      ).seenBy;
    }
    if (this.ctx.replays !== undefined) {
      // From the world as it is now: a new match's, or a restored one's (its replay on the old process ended at the hand-over).
      const { replays: store, log } = this.ctx;
      this.replay = new ReplayRecorder({ store, log, roomId: this.roomId, mode: this.state.mode, world: this.state, dt: STEP_SECONDS });
    }
    this.onMessage("chat", (client: ArenaClient, message: unknown) => {
      if (this.spectators.has(client.sessionId)) sendRoomError(client, "spectator_chat");
      else this.chat.receive(client, message);
    });
    this.onMessage("telemetry", (client: ArenaClient, message: unknown) => this.telemetry.receive(client, message));
    this.onMessage("*", (client: ArenaClient, type) => sendUnknownMessage(client, type));
    if (settings.testHooks) {
      const waitLog = (this.waitLog = new WaitLog());
      registerTestHooks(
        this,
        () => {
          this.faultRequested = true;
        },
        (sessionId) => waitLog.take(sessionId),
        (sessionId, x, y) => this.replay?.placed(sessionId, x, y),
      );
    }
    this.setFixedTimestep((step) => this.tick(step), TICK_RATE_HZ);
    const isPrivate = privateCode !== null;
    if (isPrivate) await this.setPrivate(true);
    await this.ctx.matchmaking.roomOpened(this.roomId, privateCode ?? undefined);
    this.ctx.log.info(
      {
        roomId: this.roomId,
        mode: options.mode,
        capacity: this.capacity,
        spectators: settings.maxSpectators,
        private: isPrivate,
        restored: restoring !== undefined,
      },
      "room created",
    );
  }

  /**
   * A match taken over from another process: its world as the snapshot
   * left it, and a held seat for each player whose grace has not run out
   * (shown disconnected, as any held seat, until the player is back).
   */
  private restoreMatch({ snapshot, seats }: Restoring): void {
    restoreWorld(this.state, snapshot.world, () => new Player());
    const kept = new Set(seats.map(({ seat }) => seat.sessionId));
    const gone: string[] = [];
    this.state.players.forEach((_, sessionId) => {
      if (!kept.has(sessionId)) gone.push(sessionId);
    });
    for (const sessionId of gone) leavePlayer(this.state, sessionId);
    for (const { seat, graceLeftMs } of seats) {
      this.state.players.get(seat.sessionId)!.connected = false;
      this.frames.budget.restore(seat.sessionId, seat.bankedSteps);
      this.held.hold(seat.sessionId, seat.tokens, graceLeftMs);
    }
    // Connected players lost their connection with the old process, at about its last write.
    this.recorder?.resume(
      snapshot,
      seats.map(({ seat }) => ({ ...seat, droppedAt: seat.droppedAt ?? snapshot.savedAt })),
    );
  }

  /**
   * A restored match's listing row stays its own. Core writes listing rows
   * whole, and a process that ran this match before (cut off from Redis, and
   * taken over) may write its stale row over this one when Redis comes back,
   * sending reconnections to it: the row is checked with each snapshot and
   * written again if it names another process.
   */
  private async keepListing(): Promise<void> {
    const core = coreOf(this);
    if (core._internalState !== RoomInternalState.CREATED || this.movedOut !== undefined) return;
    try {
      const row = await matchMaker.driver.findOne({ roomId: this.roomId });
      if (row?.processId === matchMaker.processId || core._internalState !== RoomInternalState.CREATED) return;
      await matchMaker.driver.persist(core._listing);
      this.ctx.log.warn({ roomId: this.roomId, listedOn: row?.processId }, "a restored match's listing named another process; written again");
    } catch (err) {
      this.ctx.log.debug({ err: redisError(err), roomId: this.roomId }, "could not check a restored match's listing");
    }
  }

  /**
   * Core's seat reservation, judged by role first (Spectators.ts): a
   * spectator while spectator seats are free, a player while the players and
   * their reserved or held seats are under the capacity. Core's own check
   * (every client under `maxClients`) runs after.
   */
  private admitSeat(sessionId: string, options: unknown): SeatAdmission {
    if (isSpectating(options)) {
      return this.spectators.reserve(sessionId) ? { admitted: true, undo: () => this.spectators.unreserve(sessionId) } : { admitted: false };
    }
    return { admitted: this.playerSeats() < this.capacity };
  }

  /** Players in the room, and seats reserved or held for players (counted from core's tables, whatever spectators do). */
  private playerSeats(): number {
    let seats = 0;
    for (const client of this.clients) if (!this.spectators.has(client.sessionId)) seats++;
    // A claimed seat stays in the table, made non-enumerable, until its player leaves: its player is among the clients.
    for (const sessionId of Object.keys(coreOf(this)._reservedSeats)) if (!this.spectators.has(sessionId)) seats++;
    return seats;
  }

  /** The spectator count in the listing (its metadata), for listings, the lobby and quick play. */
  private listSpectators(count: number): void {
    const metadata = coreOf(this)._listing.metadata as ArenaListingMetadata | undefined;
    if (metadata === undefined || metadata.spectators === count) return;
    this.setMetadata({ ...metadata, spectators: count }).catch((err: unknown) =>
      this.ctx.log.debug({ err: redisError(err), roomId: this.roomId }, "could not list the spectator count"),
    );
  }

  override async onDispose(): Promise<void> {
    this.spectators.dispose();
    // Saved in the background; waited for at the end (a process that drains exits after its rooms are disposed).
    const replaySaved = this.replay?.finish();
    // Core clears the listing's id of a room that never went live (a duplicate of another process's).
    const listed = coreOf(this)._listing.roomId !== undefined;
    if (this.movedOut === "handed") {
      await this.ctx.migration
        ?.release(this.roomId)
        .catch((err: unknown) =>
          this.ctx.log.warn(
            { err: redisError(err), roomId: this.roomId },
            "could not let a handed-over match go; another process takes it when this one has exited",
          ),
        );
    } else if (this.movedOut === undefined && listed) {
      await this.recorder?.discard();
    } else {
      this.recorder?.stop();
    }
    await this.ctx.matchmaking.roomClosed(this.roomId, this.movedOut !== undefined || !listed);
    await replaySaved;
  }

  override onJoin(client: ArenaClient, options: ValidJoinOptions): void {
    if (this.spectators.has(client.sessionId)) return this.watchMatch(client);
    joinPlayer(this.state, client.sessionId, new Player(), options.name);
    this.replay?.joined(client.sessionId, options.name);
    this.recorder?.joined(client.sessionId, client.reconnectionToken);
    this.guard.watch(client);
    this.ctx.metrics.connections.inc({ event: "joined" });
    client.send("welcome", {
      protocol: PROTOCOL_VERSION,
      reconnectGraceSeconds: this.ctx.settings.reconnectGraceSeconds,
      patchIntervalMs: PATCH_INTERVAL_MS,
      tickRate: TICK_RATE_HZ,
      spectator: false,
    });
    this.ctx.log.info({ roomId: this.roomId, sessionId: client.sessionId }, "player joined");
  }

  /** A spectator came in: the state and the events, nothing in the world. */
  private watchMatch(client: ArenaClient): void {
    this.spectators.joined(client.sessionId);
    this.guard.watch(client);
    this.ctx.metrics.connections.inc({ event: "joined" });
    client.send("welcome", {
      protocol: PROTOCOL_VERSION,
      reconnectGraceSeconds: 0,
      patchIntervalMs: PATCH_INTERVAL_MS,
      tickRate: TICK_RATE_HZ,
      spectator: true,
    });
    this.ctx.log.info({ roomId: this.roomId, sessionId: client.sessionId }, "spectator joined");
  }

  /** A connection dropped without the player leaving: hold the seat for the grace period. */
  override onDrop(client: ArenaClient, code?: number): void {
    // Refused for flooding or a bad frame: no seat is held; Colyseus calls onLeave next.
    if (this.guard.refused(client.sessionId)) return;
    // A spectator's seat is not held: it comes back by joining again.
    if (this.spectators.has(client.sessionId)) return;
    const player = this.state.players.get(client.sessionId);
    if (player === undefined || this.draining) return;
    player.connected = false;
    this.replay?.connected(client.sessionId, false);
    // Back with a new connection, the frames meet the ticks anew.
    this.leads.forget(client.sessionId);
    player.inputLead = 0;
    this.ctx.metrics.connections.inc({ event: "dropped" });
    this.ctx.log.info({ roomId: this.roomId, sessionId: client.sessionId, code }, "player dropped, seat held");
    this.allowReconnection(client, this.ctx.settings.reconnectGraceSeconds).catch(() => {
      // Expired or room closing: Colyseus calls onLeave next.
    });
    this.recorder?.dropped(client.sessionId);
  }

  override onReconnect(client: ArenaClient): void {
    const player = this.state.players.get(client.sessionId);
    if (player !== undefined) {
      player.connected = true;
      this.replay?.connected(client.sessionId, true);
    }
    if (this.recorder !== undefined) {
      const { sessionId, reconnectionToken } = client;
      this.recorder.reconnected(sessionId, reconnectionToken, this.held.takeUsedToken(sessionId));
      this.clock.setTimeout(() => this.recorder?.settled(sessionId, reconnectionToken), PREVIOUS_TOKEN_KEPT_MS);
    }
    this.guard.watch(client);
    this.ctx.metrics.connections.inc({ event: "reconnected" });
    this.ctx.log.info({ roomId: this.roomId, sessionId: client.sessionId }, "player reconnected");
  }

  override onLeave(client: ArenaClient, code?: number): void {
    this.removePlayer(client, code);
  }

  private removePlayer(client: ArenaClient, code?: number): void {
    this.guard.forget(client.sessionId);
    if (this.spectators.has(client.sessionId)) {
      this.spectators.left(client.sessionId);
      this.ctx.metrics.connections.inc({ event: "left" });
      this.ctx.log.info({ roomId: this.roomId, sessionId: client.sessionId, code }, "spectator left");
      return;
    }
    this.forgetPlayer(client.sessionId);
    this.ctx.log.info({ roomId: this.roomId, sessionId: client.sessionId, code }, "player left");
  }

  private forgetPlayer(sessionId: string): void {
    leavePlayer(this.state, sessionId);
    this.replay?.left(sessionId);
    this.frames.forget(sessionId);
    this.leads.forget(sessionId);
    this.recorder?.left(sessionId);
    this.ctx.metrics.connections.inc({ event: "left" });
  }

  /**
   * A match without players, and without a seat that a player may still
   * take, is over for those watching it: they are closed, and hold the room
   * no longer. Checked every tick (the players' table's size, then, only
   * when it is empty, the seats), so it also catches the last reserved seat
   * expiring unclaimed.
   */
  private closeSpectatorsOfEmptyMatch(): void {
    if (this.state.players.size > 0 || this.spectators.joinedIds.size === 0 || this.playerSeats() > 0) return;
    for (const client of this.clients) {
      if (!this.spectators.has(client.sessionId) || this.matchOverSent.has(client)) continue;
      this.matchOverSent.add(client);
      client.leave(CloseCode.MATCH_OVER, CloseReason[CloseCode.MATCH_OVER]);
    }
  }

  /**
   * A restored seat nobody came back to: the player leaves. Core then
   * decides, as for any seat it lets go, whether the room is empty (no
   * client, no seat of its own still held for a dropped player) and closes.
   */
  private seatExpired(sessionId: string): void {
    this.forgetPlayer(sessionId);
    this.ctx.log.info({ roomId: this.roomId, sessionId }, "restored seat expired");
    coreOf(this).resetAutoDisposeTimeout(0);
  }

  /**
   * SIGTERM: the room is already locked. The round in progress plays on until
   * it ends or the shutdown deadline passes, whichever is first; then every
   * player is closed with SERVER_DRAINING, which tells clients to find
   * another room rather than reconnect.
   */
  override onBeforeShutdown(): void {
    this.draining = true;
    void this.handOverOrPlayOn();
  }

  /**
   * With migration and another live process, the match is handed over at
   * once: steps stop, the last snapshot is written, and players are closed
   * with Colyseus's 4010 (may try to reconnect), which sends them back in
   * with their tokens once a live process has taken it; the match is let go
   * for that when this room is gone (onDispose). Otherwise the round plays
   * on (above).
   */
  private async handOverOrPlayOn(): Promise<void> {
    const { migration, settings, log } = this.ctx;
    const peer = this.recorder !== undefined && migration !== undefined && (await migration.peerAlive().catch(() => false));
    // A restored match no player is back in yet (its players are still on their way, told to
    // reconnect; spectators may be watching) is let go too without a peer: a process that starts later takes it.
    const unclaimed = this.clients.every((client) => this.spectators.has(client.sessionId)) && this.held.size > 0;
    if (this.recorder !== undefined && (peer || unclaimed)) {
      this.frozen = true;
      if (await this.recorder.seal()) {
        this.movedOut = "handed";
        void this.replay?.finish();
        log.info({ roomId: this.roomId, peer }, "match handed over");
        this.dropUnclaimedSeats();
        this.disconnect(ColyseusCloseCode.MAY_TRY_RECONNECT).catch(() => {});
        return;
      }
      this.frozen = false;
    }
    this.clock.setTimeout(() => this.closeForDrain("deadline"), settings.shutdownDeadlineSeconds * 1000);
  }

  /**
   * Another process took this match over (this one looked dead to Redis for
   * a moment): stop, leave its listing row (now the other process's) alone,
   * and send the players there with 4010.
   */
  private takenOver(): void {
    if (this.movedOut !== undefined || this.closing) return;
    this.movedOut = "taken";
    this.frozen = true;
    void this.replay?.finish();
    this.draining = true; // its players' closes hold no seat here: they are going to the new owner
    (coreOf(this)._listing as { roomId?: string }).roomId = undefined;
    this.dropUnclaimedSeats();
    this.disconnect(ColyseusCloseCode.MAY_TRY_RECONNECT).catch(() => {});
  }

  override onUncaughtException(error: Error, methodName: string): void {
    this.ctx.log.error({ roomId: this.roomId, method: methodName, err: error }, "room error");
    if (methodName === "setFixedTimestep") {
      // The world may be half-updated: end this match, keep the process.
      this.disconnect(CloseCode.ROOM_FAULT).catch(() => {});
    }
  }

  private tick(step: StepContext): void {
    if (this.frozen) return;
    if (this.faultRequested) {
      this.faultRequested = false;
      throw new Error("fault injected by test hook");
    }
    this.closeSpectatorsOfEmptyMatch();
    const { metrics } = this.ctx;
    const started = performance.now();
    if (this.lastTickAt !== undefined) {
      metrics.tickInterval.observe((started - this.lastTickAt) / 1000);
      this.firstTickAt ??= started - step.tick * step.dtMs;
      if (started - (this.firstTickAt + step.tick * step.dtMs) > step.dtMs / 2) metrics.ticksLate.inc();
    }
    this.lastTickAt = started;
    const events: SimEvent[] = [];
    this.waits.tick(step.tick);
    const tap = this.replay?.beginStep(this.framesOf, this.seenBy, step.dt);
    stepTick(this.state, tap?.framesOf ?? this.framesOf, step.dt, tap?.seenBy ?? this.seenBy, events);
    this.replay?.endStep();
    for (const event of events) this.publish(event);
    metrics.tickDuration.observe((performance.now() - started) / 1000);
  }

  /** The replay being recorded: its id and its ops so far (the test hooks' state route reads it with the world, in one turn). */
  replayProgress(): { id: string; ops: number } | undefined {
    return this.replay?.progress;
  }

  private measureLead(playerId: string, frames: TickFrames): void {
    const player = this.state.players.get(playerId);
    if (player === undefined || !player.connected) return;
    const lead = this.leads.tick(playerId, frames.waitingAfter, frames.dry);
    if (lead !== undefined && lead !== player.inputLead) player.inputLead = lead;
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

  /**
   * Sends a message of the wire contract to every client, its frames (one
   * per recipient) counted where they are made. The room's one way to
   * broadcast a message (core's `broadcast`, typed by `ArenaClient`, counts
   * nothing).
   */
  private announce<K extends keyof ServerMessages>(type: K, message: ServerMessages[K]): void {
    this.ctx.metrics.framesSent += broadcastRecipients(this.clients, undefined);
    this.broadcast(type, message);
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
    this.announce(type, payload);
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
    this.held.release();
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
}

/** TEST_ROUND_SECONDS: a new world's rounds last `seconds` (the world carries its round length: replays and migration keep it). */
function shortenRounds(world: ArenaState, seconds: number): void {
  world.roundLengthS = seconds;
  world.phaseTimeS = seconds;
  world.phaseSecondsLeft = seconds;
}

/** The ArenaRoom class to register on a server, bound to its settings. */
export function arenaRoomFor(context: RoomContext): typeof ArenaRoom {
  return class extends ArenaRoom {
    constructor() {
      super(context);
    }
  };
}
