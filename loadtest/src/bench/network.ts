/**
 * The `network` scenario: the browser client's netcode on each link profile.
 *
 * For each profile a fresh server runs a room of bots (on loopback), and two
 * headless clients join it through a TcpProxy with that link: the real
 * client netcode (ArenaConnection + GameSession, no Phaser), one drawing at
 * 60 frames a second and one at 30. Each plays as a person would (the bots'
 * brain, fed with what the client draws: it runs about, aims at the nearest
 * enemy where it is drawn and fires). After a warm-up, the figures are taken
 * over `seconds`: corrections, frozen frames, backwards draws, how far behind
 * the server's present remote players are drawn (against the server's clock
 * as a bot on loopback reads it), how long the client's input frames waited in the
 * server's buffer (the `__test:inputWaits` hook), hit registration and
 * reconnections.
 */
import { performance } from "node:perf_hooks";
import { ArenaConnection, GameSession, SNAP_DISTANCE_PX, TelemetryReporter, type Controls, type PlayerView, type View } from "@arena/client/netcode";
import { STEP_SECONDS, hasLineOfSight, type ServerMessages } from "@arena/shared";
import { LINK_PROFILES, TcpProxy, quantile, seededRandom, spawnServer, type LinkProfile, type LinkProfileName } from "@arena/testkit";
import { Bot } from "../Bot.ts";
import { BotBrain } from "../brain.ts";

/** Bots in the room beside the two clients: a full room of 8. */
export const NETWORK_BOTS = 6;
/** Seconds of play before the figures start: the interpolation delay and the input clock settle. */
const WARMUP_S = 4;
const TICK_MS = STEP_SECONDS * 1000;

/** What one profile's run reports: the 60 fps client's figures, unless the key names 30 fps; shots and reconnections are both clients'. */
export interface NetworkFigures {
  pingMs: number;
  correctionsPerMinute: number;
  correctionP50Px: number;
  correctionP99Px: number;
  frozenFramesShare: number;
  /** The share of time the profile's stalls hold the downstream (what frozen frames are held against on `mobile`). */
  stallsShare: number;
  backwards: number;
  remoteBehindP50Ms: number;
  remoteBehindP99Ms: number;
  /** The same by the client's own estimate of server time (the SDK's clock, which counts half the input round trip as the one-way trip). */
  remoteBehindEstimateP50Ms: number;
  interpolationDelayP50Ms: number;
  inputWait60fpsP50Ticks: number;
  inputWait60fpsP99Ticks: number;
  inputWait30fpsP50Ticks: number;
  inputWait30fpsP99Ticks: number;
  /** Shots at remote players where drawn, the target still up on the server. */
  shots: number;
  /** Shots that missed a target the server had already taken out (by someone else, a moment before). */
  shotsAtDownTargets: number;
  hitShare: number;
  reconnections: number;
  /** Telemetry reports (every 5 s from each client) the server accepted, by its /metrics. */
  telemetryReports: number;
}

export interface NetworkResult {
  figures: Record<string, NetworkFigures>;
  /** Each target of the issue, met or not, per profile. */
  targets: string[];
  errors: string[];
}

export interface NetworkOptions {
  links: readonly LinkProfileName[];
  seconds: number;
  bots: number;
  progress: (line: string) => void;
}

export async function runNetwork(options: NetworkOptions): Promise<NetworkResult> {
  const figures: Record<string, NetworkFigures> = {};
  const errors: string[] = [];
  for (const name of options.links) {
    const link: LinkProfile = LINK_PROFILES[name];
    options.progress(`${name}: ${link.roundTripMs} ms round trip, ${link.jitterMs} ms jitter${link.stalls ? ", stalls" : ""}`);
    const result = await runProfile(link, options);
    figures[name] = result.figures;
    errors.push(...result.errors.map((e) => `${name}: ${e}`));
    options.progress(
      `${name}: frozen ${(result.figures.frozenFramesShare * 100).toFixed(1)}%, behind ${result.figures.remoteBehindP50Ms.toFixed(0)} ms, ` +
        `wait p50 ${result.figures.inputWait60fpsP50Ticks.toFixed(2)} ticks, hits ${(result.figures.hitShare * 100).toFixed(0)}% of ${result.figures.shots}`,
    );
  }
  return { figures, targets: targetsOf(figures), errors };
}

async function runProfile(link: LinkProfile, options: NetworkOptions): Promise<{ figures: NetworkFigures; errors: string[] }> {
  const server = await spawnServer({ ENABLE_TEST_HOOKS: "1" });
  const random = seededRandom(0x5eed);
  const proxy = await TcpProxy.start(server.port, { link, random });
  const bots: Bot[] = [];
  const players: HeadlessPlayer[] = [];
  try {
    for (let i = 0; i < Math.min(options.bots, NETWORK_BOTS); i++) {
      const bot = new Bot({ endpoint: server.endpoint, name: `Bot${i}`, random });
      await bot.join();
      bots.push(bot.start());
    }
    const roomId = bots[0]?.room?.roomId;
    const serverClock = new LoopbackServerClock();
    bots[0]?.room?.onStateChange(() => serverClock.patch(performance.now(), bots[0].room?.clock.lastServerTime() ?? NaN));
    for (const fps of [60, 30]) {
      const player = new HeadlessPlayer(proxy.endpoint, `Client${fps}`, fps, random, serverClock);
      await player.join(roomId);
      players.push(player.start());
    }
    await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
    for (const p of players) p.measure();
    await new Promise((r) => setTimeout(r, options.seconds * 1000));
    for (const p of players) p.stop();
    // The last answer of the wait hook.
    await Promise.all(players.map((p) => p.collectWaits()));
    const telemetryReports = await acceptedReports(server.metricsEndpoint);
    const [at60, at30] = players;
    const waits60 = at60.waitsTicks();
    const waits30 = at30.waitsTicks();
    const figures: NetworkFigures = {
      ...at60.figures(),
      stallsShare: stallsShare(link),
      backwards: at60.session.stats.backwards + at30.session.stats.backwards,
      ...shotsOf([at60, at30]),
      reconnections: at60.reconnections + at30.reconnections,
      inputWait60fpsP50Ticks: quantile(waits60, 0.5),
      inputWait60fpsP99Ticks: quantile(waits60, 0.99),
      inputWait30fpsP50Ticks: quantile(waits30, 0.5),
      inputWait30fpsP99Ticks: quantile(waits30, 0.99),
      telemetryReports,
    };
    const errors = [...bots.flatMap((b) => b.counters.errors), ...players.flatMap((p) => p.errors)];
    return { figures, errors };
  } finally {
    for (const p of players) p.stop();
    await Promise.all([...players.map((p) => p.leave()), ...bots.map((b) => b.stop())]);
    await proxy.stop();
    await server.stop();
  }
}

/** Both clients' shots at remote players where drawn, and the share that hit. */
function shotsOf(players: HeadlessPlayer[]): Pick<NetworkFigures, "shots" | "shotsAtDownTargets" | "hitShare"> {
  const shots = players.reduce((n, p) => n + p.shots.shots, 0);
  const hits = players.reduce((n, p) => n + p.shots.hits, 0);
  return { shots, shotsAtDownTargets: players.reduce((n, p) => n + p.shots.atDown, 0), hitShare: shots > 0 ? hits / shots : NaN };
}

/** What `arena_client_reports_total{outcome="accepted"}` says on the server's /metrics. */
async function acceptedReports(endpoint: string): Promise<number> {
  const text = await (await fetch(`${endpoint}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith('arena_client_reports_total{outcome="accepted"}'));
  return line === undefined ? NaN : Number(line.split(" ").at(-1));
}

/** The share of time a profile's stalls hold the stream one way: mean stall / (mean gap + mean stall). */
function stallsShare(link: LinkProfile): number {
  if (link.stalls === undefined) return 0;
  const mean = (link.stalls.minMs + link.stalls.maxMs) / 2;
  return mean / (link.stalls.everyMs + mean);
}

/**
 * The server's present, read off a bot on loopback (no proxy): a patch
 * stamped with server time d arrives within a millisecond or so of being
 * sent. The stamp is the time of the tick the patch carries, up to one tick
 * before the patch was sent (20 patches a second over 30 ticks), so the
 * offset from local time is the largest of the recent (d - arrival): the
 * patches sent right after a tick.
 */
class LoopbackServerClock {
  readonly #offsets: number[] = [];

  patch(arrivalMs: number, serverMs: number): void {
    if (!Number.isFinite(serverMs) || serverMs <= 0) return;
    this.#offsets.push(serverMs - arrivalMs);
    if (this.#offsets.length > 40) this.#offsets.shift();
  }

  /** Server time at local time `nowMs`; NaN before any patch. */
  now(nowMs: number): number {
    return this.#offsets.length === 0 ? NaN : nowMs + Math.max(...this.#offsets);
  }
}

/**
 * A client as a person plays it, without Phaser: a display frame every
 * 1000 / fps ms (timer-driven, so its frame times jitter as a browser's do),
 * controls from the bots' brain fed with what this client draws.
 */
class HeadlessPlayer {
  readonly connection: ArenaConnection;
  readonly session: GameSession;
  readonly errors: string[] = [];
  readonly #brain: BotBrain;
  readonly #telemetry: TelemetryReporter;
  #controls: Controls = { moveX: 0, moveY: 0, aim: 0, fire: false };
  #timer: ReturnType<typeof setInterval> | undefined;
  #waitTimer: ReturnType<typeof setInterval> | undefined;
  #lastFrameAt = performance.now();
  #measuring = false;
  #startedAt = 0;
  #endedAt = 0;
  readonly #behind: number[] = [];
  readonly #behindEstimate: number[] = [];
  readonly #delays: number[] = [];
  readonly #waitsMs: number[] = [];
  #waitAnswer: (() => void) | undefined;
  /** `__test:inputWaits` asked and answered (answers come in order); answers up to the `measure()` one hold the warm-up's waits. */
  #waitAsks = 0;
  #waitAnswers = 0;
  #warmupAnswers = Infinity;
  #shots = 0;
  #hits = 0;
  #shotsAtDown = 0;
  /** The player each shot fired locally was aimed at, oldest first, until the server's shot events say how they went. */
  readonly #aimedAt: (string | undefined)[] = [];
  #target: string | undefined;
  #base = { remoteFrames: 0, frozenFrames: 0, drops: 0 };

  constructor(
    endpoint: string,
    readonly name: string,
    readonly fps: number,
    random: () => number,
    private readonly serverClock: LoopbackServerClock,
  ) {
    this.connection = new ArenaConnection(endpoint, undefined, { random });
    this.session = new GameSession(this.connection);
    this.#brain = new BotBrain(random);
    this.#telemetry = new TelemetryReporter(this.session, this.connection);
    this.connection.on("event", (event) => {
      if (event.type !== "shot" || event.shooter !== this.connection.sessionId) return;
      const aimed = this.#aimedAt.shift();
      if (!this.#measuring) return;
      // A miss at a player the server has down already (taken out by someone else a moment
      // earlier, still drawn standing): not lag compensation's to answer for; counted apart.
      const victim = aimed === undefined ? undefined : this.connection.state?.players.get(aimed);
      if (event.target === null && victim !== undefined && (!victim.alive || victim.shielded)) this.#shotsAtDown++;
      else {
        this.#shots++;
        if (event.target !== null) this.#hits++;
      }
    });
    this.connection.on("message", (type, payload) => {
      if (type !== "__test:inputWaits") return;
      if (++this.#waitAnswers > this.#warmupAnswers) this.#waitsMs.push(...(payload as ServerMessages["__test:inputWaits"]).waitsMs);
      if (this.#waitAnswers >= this.#waitAsks) this.#waitAnswer?.();
    });
    this.connection.on("left", (reason) => this.errors.push(`${name} left: ${reason}`));
  }

  async join(roomId: string | undefined): Promise<void> {
    if (roomId === undefined) await this.connection.quickPlay(this.name);
    else await this.connection.joinRoom(roomId, this.name);
  }

  start(): this {
    this.#lastFrameAt = performance.now();
    this.#timer = setInterval(() => this.frame(), 1000 / this.fps);
    this.#waitTimer = setInterval(() => this.askWaits(), 1000);
    return this;
  }

  private askWaits(): void {
    if (this.connection.testInputWaits()) this.#waitAsks++;
  }

  /** From now on, figures count (the waits before are asked for and dropped). */
  measure(): void {
    this.askWaits();
    this.#warmupAnswers = this.#waitAsks;
    this.#measuring = true;
    this.#startedAt = performance.now();
    this.#base = { remoteFrames: this.session.stats.remoteFrames, frozenFrames: this.session.stats.frozenFrames, drops: this.connection.stats.drops };
  }

  stop(): void {
    clearInterval(this.#timer);
    clearInterval(this.#waitTimer);
    if (this.#measuring) {
      this.#measuring = false;
      this.#endedAt = performance.now();
    }
  }

  /** Asks for the waits not yet reported and waits for the answers to every ask (1 s at most). */
  async collectWaits(): Promise<void> {
    const answered = new Promise<void>((resolve) => (this.#waitAnswer = resolve));
    this.askWaits();
    await Promise.race([answered, new Promise((r) => setTimeout(r, 1000))]);
  }

  waitsTicks(): number[] {
    return this.#waitsMs.map((ms) => ms / TICK_MS);
  }

  get shots(): { shots: number; hits: number; atDown: number } {
    return { shots: this.#shots, hits: this.#hits, atDown: this.#shotsAtDown };
  }

  get reconnections(): number {
    return this.connection.stats.drops - this.#base.drops;
  }

  figures(): Omit<
    NetworkFigures,
    "stallsShare" | "backwards" | "telemetryReports" | "shots" | "shotsAtDownTargets" | "hitShare" | "reconnections" | `inputWait${string}`
  > {
    const minutes = (this.#endedAt - this.#startedAt) / 60_000;
    const corrections = this.session.predicted.corrections.filter((c) => c.atMs >= this.#startedAt && c.atMs <= this.#endedAt).map((c) => c.sizePx);
    const { remoteFrames, frozenFrames } = this.session.stats;
    const frames = remoteFrames - this.#base.remoteFrames;
    return {
      pingMs: this.connection.pingMs() ?? NaN,
      correctionsPerMinute: corrections.length / minutes,
      correctionP50Px: corrections.length ? quantile(corrections, 0.5) : 0,
      correctionP99Px: corrections.length ? quantile(corrections, 0.99) : 0,
      frozenFramesShare: frames > 0 ? (frozenFrames - this.#base.frozenFrames) / frames : NaN,
      remoteBehindP50Ms: quantile(this.#behind, 0.5),
      remoteBehindP99Ms: quantile(this.#behind, 0.99),
      remoteBehindEstimateP50Ms: quantile(this.#behindEstimate, 0.5),
      interpolationDelayP50Ms: quantile(this.#delays, 0.5),
    };
  }

  async leave(): Promise<void> {
    this.session.dispose();
    await this.connection.leave();
  }

  private frame(): void {
    const now = performance.now();
    const frameMs = now - this.#lastFrameAt;
    this.#lastFrameAt = now;
    const view = this.session.update(frameMs, this.#controls);
    if (view.firedLocally) {
      this.#aimedAt.push(this.#target);
      if (this.#aimedAt.length > 8) this.#aimedAt.shift();
    }
    this.#telemetry.frame();
    if (this.#measuring) {
      const behind = this.serverClock.now(now) - this.session.renderTimeMs;
      if (Number.isFinite(behind)) this.#behind.push(behind);
      this.#behindEstimate.push(this.session.remoteDelayMs);
      this.#delays.push(this.session.delay.delayMs);
    }
    this.#controls = this.decide(view);
  }

  /** The brain's decision on what this client draws: targets where they are drawn, only those a shot can hurt. */
  private decide(view: View): Controls {
    const me = view.me;
    if (me === undefined || !me.alive) return { moveX: 0, moveY: 0, aim: this.#controls.aim, fire: false };
    const targets = view.players.filter((p) => !p.isMe && p.alive && p.connected && !p.shielded);
    const decision = this.#brain.decide(me, me.id, targets, view.pickups);
    // The brain aims at the nearest target in sight: remember which, to judge the shot.
    let nearest: PlayerView | undefined;
    for (const p of targets) if ((!nearest || distance(me, p) < distance(me, nearest)) && hasLineOfSight(me.x, me.y, p.x, p.y)) nearest = p;
    this.#target = decision.fire ? nearest?.id : undefined;
    return decision;
  }
}

/** The targets, each with what was measured and whether it was met. */
function targetsOf(figures: Record<string, NetworkFigures>): string[] {
  const lines: string[] = [];
  const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
  const check = (profile: string, what: string, met: boolean) => lines.push(`${profile}: ${what}: ${met ? "met" : "NOT met"}`);
  for (const [profile, f] of Object.entries(figures)) {
    check(profile, `no backwards movement (${f.backwards})`, f.backwards === 0);
    if (profile === "broadband" || profile === "wifi") check(profile, `frozen frames ${pct(f.frozenFramesShare)} ≤ 2%`, f.frozenFramesShare <= 0.02);
    if (profile === "mobile")
      check(profile, `frozen frames ${pct(f.frozenFramesShare)} ≤ stalls' ${pct(f.stallsShare)} + 3 points`, f.frozenFramesShare <= f.stallsShare + 0.03);
    if (profile === "lan" || profile === "broadband")
      check(profile, `remote players drawn ${f.remoteBehindP50Ms.toFixed(0)} ms behind (p50) ≤ 110 ms`, f.remoteBehindP50Ms <= 110);
    for (const fps of ["60", "30"] as const) {
      const p50 = f[`inputWait${fps}fpsP50Ticks`];
      const p99 = f[`inputWait${fps}fpsP99Ticks`];
      check(profile, `input wait at ${fps} fps p50 ${p50.toFixed(2)} ≤ 1 tick, p99 ${p99.toFixed(2)} ≤ 3 ticks`, p50 <= 1 && p99 <= 3);
    }
    if (profile === "lan" || profile === "broadband")
      check(profile, `corrections ${f.correctionsPerMinute.toFixed(1)} per minute = 0`, f.correctionsPerMinute === 0);
    else check(profile, `correction p99 ${f.correctionP99Px.toFixed(1)} px < snap distance ${SNAP_DISTANCE_PX} px`, f.correctionP99Px < SNAP_DISTANCE_PX);
    if (profile === "broadband" || profile === "wifi") check(profile, `hits ${pct(f.hitShare)} of ${f.shots} shots ≥ 95%`, f.hitShare >= 0.95);
    else lines.push(`${profile}: hits ${pct(f.hitShare)} of ${f.shots} shots (reported)`);
  }
  return lines;
}

function distance(a: { x: number; y: number }, b: { x: number; y: number }): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}
