import {
  FIRE_COOLDOWN_S,
  FixedStepper,
  RESPAWN_DELAY_S,
  STEP_SECONDS,
  TICK_RATE_HZ,
  inputClockRate,
  sanitizeInput,
  type ArenaState,
  type InputFrame,
  type PatchEvent,
  type PlayerState,
  type ScoreLine,
  type ServerMessages,
  type ShotEvent,
} from "@arena/shared";
import type { ArenaConnection } from "./ArenaConnection.ts";
import { InterpolationDelay } from "./InterpolationDelay.ts";
import { PredictedPlayer } from "./PredictedPlayer.ts";
import { SnapshotBuffer } from "./SnapshotBuffer.ts";

/** What the player is doing this frame (keyboard, mouse, gamepad). */
export interface Controls {
  moveX: number;
  moveY: number;
  aim: number;
  fire: boolean;
}

/** A player as drawn: the synced fields, at the drawn position. */
export type PlayerView = Pick<PlayerState, "name" | "x" | "y" | "aim" | "hp" | "score" | "alive" | "connected" | "shielded"> & {
  id: string;
  isMe: boolean;
};

export interface ShotView {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  hit: boolean;
  mine: boolean;
  /** 0 when fired, 1 when gone. */
  age: number;
}

export interface View {
  me: PlayerView | undefined;
  players: PlayerView[];
  pickups: { x: number; y: number; active: boolean }[];
  shots: ShotView[];
  /** The local player fired on this frame (muzzle flash, sound), before any server answer. */
  firedLocally: boolean;
  /**
   * `pingMs`: the network round trip (a ping frame and its answer; null until
   * measured). `inputMs`: an input frame's round trip to its acknowledgement,
   * which adds the server's wait for its tick and its patch.
   */
  hud: {
    pingMs: number | null;
    inputMs: number;
    tickRate: number;
    players: number;
    score: number;
    round: number;
    phase: string;
    secondsLeft: number;
  };
  /** The last round's ranking, shown between rounds. */
  scoreboard: ScoreLine[] | undefined;
  feed: string[];
  /** What the local player is shown of hits, confirmed by the server: each fades from 1 to 0. */
  feedback: Feedback;
}

export interface Feedback {
  /** The local player was hit: a red flash, 1 when the hit arrives. */
  hurt: number;
  /** The local player's shots that hit, where they hit: a marker for each (the server's confirmation). */
  hits: { x: number; y: number; fade: number }[];
  /** Players taken out, where they fell: a mark for each, so a victim does not just vanish. */
  falls: { x: number; y: number; fade: number }[];
  /** Who took the local player out, while it waits to respawn; undefined when alive. */
  killedBy: string | undefined;
  /** Seconds until the local player is back (counted from the kill's arrival); undefined when alive. */
  respawnInS: number | undefined;
}

/**
 * What the netcode did, counted since the session began (the figures, the
 * tests and the telemetry the client reports).
 */
export interface NetcodeStats {
  /** Display frames that drew at least one remote player. */
  remoteFrames: number;
  /** Of those, frames drawn past the newest state: the interpolation buffer ran dry and remote players stood still. */
  frozenFrames: number;
  /** Times a remote player was drawn at an earlier server time than on the frame before (must stay 0). */
  backwards: number;
}

/** What a session can be told besides its connection. */
export interface SessionOptions {
  /** The local clock, ms. Default `performance.now`. */
  clockMs?: () => number;
  /** Hold the interpolation delay at this value instead of following the jitter (tests, figures). */
  fixedDelayMs?: number;
}

/** How long a shot's trace stays on screen. */
const SHOT_VISIBLE_MS = 250;
/** How long the flash of being hit, and the marker of a hit landed, fade for. */
const HIT_FEEDBACK_MS = 300;
/** How long the mark where a player fell stays. */
const FALL_VISIBLE_MS = 1500;
const FEED_LINES = 5;

/**
 * One match as the client plays it, without any rendering: each frame it
 * turns controls into input frames at the tick rate (predicting the local
 * player at once), reconciles with each server state, interpolates everyone
 * else, and returns a view model for the scene to draw. A spectator's
 * session only interpolates: everyone is someone else.
 */
export class GameSession {
  readonly predicted = new PredictedPlayer();
  readonly #stepper = new FixedStepper(STEP_SECONDS * 1000);
  readonly delay: InterpolationDelay;
  readonly #remotes = new Map<string, SnapshotBuffer>();
  /** The server time each remote player was drawn at on the last frame. */
  readonly #drawnAt = new Map<string, number>();
  readonly #clockMs: () => number;
  #shots: { shot: ShotEvent; atMs: number }[] = [];
  #feed: string[] = [];
  #hurtAt = -Infinity;
  #hits: { x: number; y: number; atMs: number }[] = [];
  #falls: { x: number; y: number; atMs: number }[] = [];
  #down: { killer: string; atMs: number } | undefined;
  #scoreboard: ScoreLine[] | undefined;
  /** The connection's attachCount the predictor is in step with; frames wait until it is. */
  #synced = -1;
  /** The connection's attachCount the remote players' buffers and the delay are for (a spectator has no predictor to say). */
  #buffered = -1;
  #mySessionId: string | undefined;
  #cooldownS = 0;
  #unsubscribe: (() => void)[] = [];
  /** Frames sent in total (tests and figures). */
  framesSent = 0;
  /** How far behind the server's present remote players are drawn, ms, by this client's estimate of server time (figures). */
  remoteDelayMs = 0;
  /** The server time remote players were drawn at on the last frame, ms (figures: compared with a server clock of their own). */
  renderTimeMs = 0;
  /** The rate of the input clock on the last frame (1, or the lean the server asked for; net/inputLead.ts). */
  inputClockRate = 1;
  readonly stats: NetcodeStats = { remoteFrames: 0, frozenFrames: 0, backwards: 0 };

  constructor(
    private readonly connection: ArenaConnection,
    options: SessionOptions = {},
  ) {
    this.#clockMs = options.clockMs ?? (() => performance.now());
    this.delay = new InterpolationDelay(options.fixedDelayMs);
    // The stamps of lag compensation declare the render time remote players are drawn at.
    connection.setRenderDelay(() => this.stampDelayMs());
    this.#unsubscribe.push(
      connection.on("patch", (state) => this.onPatch(state)),
      connection.on("event", (event) => this.onEvent(event)),
      connection.on("message", (type, payload) => this.onMessage(type, payload)),
    );
  }

  dispose(): void {
    for (const off of this.#unsubscribe) off();
    this.connection.setRenderDelay(undefined);
  }

  /**
   * One display frame: send the steps that are due, then build what to draw.
   * A spectator (`connection.spectating`) has no player: nothing is sampled,
   * sent or predicted, and every player is drawn as a remote one.
   */
  update(frameMs: number, controls: Controls): View {
    const now = this.#clockMs();
    if (this.connection.spectating) return this.view(now, false, sanitizeInput({ ...controls }));
    let firedLocally = false;
    // The server says how our frames meet its ticks; the send clock leans by it.
    const myId = this.connection.sessionId;
    const lead = myId === undefined ? 0 : (this.connection.state?.players.get(myId)?.inputLead ?? 0);
    this.inputClockRate = inputClockRate(lead);
    const steps = this.#stepper.advance(frameMs, this.inputClockRate);
    for (let i = 0; i < steps; i++) firedLocally = this.step(controls) || firedLocally;
    return this.view(now, firedLocally, sanitizeInput({ ...controls }));
  }

  /** Sends one input frame and predicts it; returns true if the weapon fired. */
  private step(controls: Controls): boolean {
    // Until the first state of this connection, there is nothing to predict from.
    if (this.#synced !== this.connection.attachCount) return false;
    const frame: InputFrame = sanitizeInput({ ...controls });
    const seq = this.connection.sendFrame(frame);
    if (seq === 0) return false;
    this.framesSent++;
    this.predicted.predict(seq, frame, STEP_SECONDS);
    // Mirror of the server's cooldown (counted in the shooter's own steps), for instant feedback.
    if (this.#cooldownS > 0) this.#cooldownS = Math.max(0, this.#cooldownS - STEP_SECONDS);
    const me = this.#mySessionId === undefined ? undefined : this.connection.state?.players.get(this.#mySessionId);
    if (frame.fire && this.#cooldownS === 0 && me?.alive && this.connection.state?.phase === "playing") {
      this.#cooldownS = FIRE_COOLDOWN_S;
      return true;
    }
    return false;
  }

  /**
   * The server time remote players are drawn at (InterpolationDelay); before
   * the first patch, the SDK's estimate of server time less half the input
   * round trip and the initial delay.
   */
  private renderTime(nowMs: number): number {
    const t = this.delay.renderTime(nowMs);
    return Number.isNaN(t) ? this.connection.serverNow() - this.connection.roundTripMs() / 2 - this.delay.delayMs : t;
  }

  /**
   * What an input frame sampled now declares as its interpolation delay: the
   * SDK stamps `server now - (this + half its input round trip)`, and that
   * must be the server time remote players are drawn at now, so the server
   * rewinds to what was seen: the render time, or, when the buffer has run
   * dry, the newest patch's time, where they stand frozen (at most 65,535 ms,
   * none below 0, as the SDK's stamp carries it).
   */
  private stampDelayMs(): number {
    const drawnAt = Math.min(this.renderTime(this.#clockMs()), this.connection.lastServerTime());
    const delay = this.connection.serverNow() - this.connection.roundTripMs() / 2 - drawnAt;
    return Math.min(0xffff, Math.max(0, delay));
  }

  private onPatch(state: ArenaState): void {
    const myId = this.connection.sessionId;
    const t = this.connection.lastServerTime();
    const attached = this.connection.attachCount;
    if (attached !== this.#buffered) {
      // A new connection: a new clock estimate, and patches stamped on it.
      this.#buffered = attached;
      this.#remotes.clear();
      this.#drawnAt.clear();
      this.delay.reset();
    }
    this.delay.patch(this.#clockMs(), t);
    state.players.forEach((player, id) => {
      if (id === myId) return;
      let buffer = this.#remotes.get(id);
      if (buffer === undefined) this.#remotes.set(id, (buffer = new SnapshotBuffer()));
      buffer.push(t, player.x, player.y);
    });
    for (const id of this.#remotes.keys())
      if (!state.players.has(id)) {
        this.#remotes.delete(id);
        this.#drawnAt.delete(id);
      }

    const me = myId === undefined ? undefined : state.players.get(myId);
    if (me === undefined || myId === undefined) return;
    if (attached !== this.#synced) {
      // A join or a rejoin: input numbering restarted, start over from the server.
      this.#mySessionId = myId;
      this.#synced = attached;
      this.predicted.reset(me.x, me.y, me.alive);
      return;
    }
    this.predicted.reconcile({ x: me.x, y: me.y, alive: me.alive }, this.connection.ackSeq, STEP_SECONDS, this.#clockMs());
  }

  private onEvent(event: PatchEvent): void {
    const names = (id: string) => this.connection.state?.players.get(id)?.name ?? "someone";
    const myId = this.connection.sessionId;
    const now = this.#clockMs();
    if (event.type === "shot") {
      this.#shots.push({ shot: event, atMs: now });
      if (event.target !== null && event.shooter === myId) this.#hits.push({ x: event.x2, y: event.y2, atMs: now });
      if (event.target !== null && event.target === myId) this.#hurtAt = now;
    } else if (event.type === "kill") {
      this.pushFeed(`${names(event.killer)} took out ${names(event.victim)}`);
      const victim = this.connection.state?.players.get(event.victim);
      if (victim !== undefined) this.#falls.push({ x: victim.x, y: victim.y, atMs: now });
      if (event.victim === myId) this.#down = { killer: names(event.killer), atMs: now };
    }
  }

  private feedback(now: number, me: PlayerView | undefined): Feedback {
    const fade = (atMs: number, ms: number) => Math.max(0, 1 - (now - atMs) / ms);
    this.#hits = this.#hits.filter((h) => now - h.atMs < HIT_FEEDBACK_MS);
    this.#falls = this.#falls.filter((f) => now - f.atMs < FALL_VISIBLE_MS);
    if (me?.alive) this.#down = undefined;
    const down = this.#down;
    return {
      hurt: fade(this.#hurtAt, HIT_FEEDBACK_MS),
      hits: this.#hits.map((h) => ({ x: h.x, y: h.y, fade: fade(h.atMs, HIT_FEEDBACK_MS) })),
      falls: this.#falls.map((f) => ({ x: f.x, y: f.y, fade: fade(f.atMs, FALL_VISIBLE_MS) })),
      killedBy: down?.killer,
      respawnInS: down === undefined ? undefined : Math.max(0, RESPAWN_DELAY_S - (now - down.atMs) / 1000),
    };
  }

  private onMessage(type: keyof ServerMessages, payload: unknown): void {
    if (type === "round_end") this.#scoreboard = (payload as ServerMessages["round_end"]).scoreboard;
    else if (type === "round_start") this.#scoreboard = undefined;
  }

  private pushFeed(line: string): void {
    this.#feed = [...this.#feed, line].slice(-FEED_LINES);
  }

  private view(now: number, firedLocally: boolean, controls: InputFrame): View {
    const state = this.connection.state;
    const myId = this.connection.sessionId;
    const serverNow = this.connection.serverNow();
    const renderTime = this.renderTime(now);
    this.remoteDelayMs = serverNow - renderTime;
    this.renderTimeMs = renderTime;
    const players: PlayerView[] = [];
    let me: PlayerView | undefined;
    let remotes = 0;
    let frozen = false;
    state?.players.forEach((p, id) => {
      const isMe = id === myId;
      let at: { x: number; y: number } = p;
      if (isMe) at = this.predicted.render(this.#stepper.alpha, now, controls, STEP_SECONDS);
      else {
        const buffer = this.#remotes.get(id);
        const drawn = buffer?.sample(renderTime);
        if (buffer !== undefined && drawn !== undefined) {
          at = drawn;
          remotes++;
          frozen ||= renderTime > (buffer.newestTime ?? Infinity);
          if (drawn.t < (this.#drawnAt.get(id) ?? -Infinity)) this.stats.backwards++;
          this.#drawnAt.set(id, drawn.t);
        }
      }
      const view: PlayerView = {
        id,
        name: p.name,
        x: at.x,
        y: at.y,
        aim: p.aim,
        hp: p.hp,
        score: p.score,
        alive: p.alive,
        connected: p.connected,
        shielded: p.shielded,
        isMe,
      };
      players.push(view);
      if (isMe) me = view;
    });
    if (remotes > 0) {
      this.stats.remoteFrames++;
      if (frozen) this.stats.frozenFrames++;
    }
    this.#shots = this.#shots.filter((s) => now - s.atMs < SHOT_VISIBLE_MS);
    const ping = this.connection.pingMs();
    return {
      me,
      players,
      pickups: state ? [...state.pickups].map((k) => ({ x: k.x, y: k.y, active: k.active })) : [],
      shots: this.#shots.map(({ shot, atMs }) => ({
        x1: shot.x1,
        y1: shot.y1,
        x2: shot.x2,
        y2: shot.y2,
        hit: shot.target !== null,
        mine: shot.shooter === myId,
        age: (now - atMs) / SHOT_VISIBLE_MS,
      })),
      firedLocally,
      hud: {
        pingMs: ping === undefined ? null : Math.round(ping),
        inputMs: Math.round(this.connection.roundTripMs()),
        tickRate: TICK_RATE_HZ,
        players: state?.players.size ?? 0,
        score: me?.score ?? 0,
        round: state?.round ?? 0,
        phase: state?.phase ?? "",
        secondsLeft: state?.phaseSecondsLeft ?? 0,
      },
      scoreboard: state?.phase === "intermission" ? this.#scoreboard : undefined,
      feed: this.#feed,
      feedback: this.feedback(now, me),
    };
  }
}
