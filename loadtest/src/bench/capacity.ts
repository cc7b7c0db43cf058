import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { quantile, spawnServer } from "@arena/testkit";
import { BaselineBot } from "../baseline/BaselineBot.ts";
import { Bot } from "../Bot.ts";
import { RawBot } from "../RawBot.ts";
import { cpuMs, histogramQuantile, mainThreadCpuMs, parseMetrics, rssBytes, threadsCpuMs } from "./processStats.ts";
import { spawnBaseline } from "../baseline/spawnBaseline.ts";
import { pin, type SystemFigures } from "./smoke.ts";
import { summarizeProfile, trimProfile, type CpuProfile, type ProfileSummary, type ProfileWindow } from "./cpuProfile.ts";
import { tsxLocator } from "./tsxSourceLines.ts";
import { DEFAULT_VARIANT, systemName, type RuntimeVariant } from "./runtimeVariants.ts";

/** `arena` (the default runtime), `arena:NAME` (a runtime variant) or `baseline`. */
export type SystemName = string;

export interface StepResult {
  players: number;
  system: SystemName;
  figures: SystemFigures;
  /** Share of one core the bots' process used: near 1 means the bots, not the server, are the limit. */
  botCpuShare: number;
  joinErrors: number;
  /** `--spectators N`: what N spectators added to this step (the arena only). */
  spectators?: SpectatorCost;
}

/**
 * What spectators cost: the step measured again with `count` raw spectators
 * watching its rooms (spread evenly), the difference over the players-only
 * window divided by the spectators.
 */
export interface SpectatorCost {
  count: number;
  joinErrors: number;
  seconds: number;
  cpuMsPerSpectatorSecond: number;
  bytesPerSpectatorSecond: number;
  framesOutPerSpectatorSecond: number;
  /** The same step's players, for comparison: ms and bytes per player-second in the players-only window. */
  cpuMsPerPlayerSecond: number;
  bytesPerPlayerSecond: number;
  /** The tick interval's p99 with the spectators in, ms. */
  tickIntervalP99Ms: number;
}

/** A run of the arena under `--cpu-prof`: where the files are, and the measured window's summary. */
export interface ProfiledRun {
  players: number;
  /** The whole process's life (start-up, joins, warm-up, the window, the drain), as Node wrote it. */
  rawProfilePath: string;
  /** The measured window only: open this one in DevTools (Performance, or chrome://inspect's profiler). */
  windowProfilePath: string;
  summary: ProfileSummary;
  /** The profiled run's own figures: the sampler's cost shows against the unprofiled step. */
  figures: SystemFigures;
  threadsCpuMsPerClientSecond: ThreadsCpu;
}

/** A profiled run that left no profile (the server had to be killed). */
export interface ProfileFailure {
  players: number;
  error: string;
}

/** The checkout's root as a `file://` URL, to tell the project's scripts from its dependencies. */
const PROJECT_ROOT = new URL("../../../", import.meta.url).href;
/** How long a profiled server may take to drain and write its profile before it is killed, ms. */
const PROFILE_EXIT_MS = 15_000;

const WARMUP_MS = 3000;

interface Running {
  pid: number;
  endpoint: string;
  /** The arena's Prometheus metrics (the baseline has none). */
  metrics?(): Promise<Map<string, number>>;
  stop(): Promise<void>;
  /** The server's own figures over `seconds`, and the window they cover, between the reads of its counters. */
  measure(seconds: number): Promise<{ figures: Omit<SystemFigures, "clients" | "seconds" | "cpuMsPerClientSecond" | "rssMegabytes">; window: ProfileWindow }>;
}

const nowMicros = () => Number(process.hrtime.bigint() / 1000n);

/** Waits `seconds`, noting the span on the monotonic clock that `--cpu-prof` uses too (µs). */
async function timedWait(seconds: number): Promise<ProfileWindow> {
  const startMicros = nowMicros();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return { startMicros, endMicros: nowMicros() };
}

/** Prometheus sums and counts of prom-client's GC histogram, over every kind (major, minor, incremental, weakcb). */
function gcTotal(metrics: Map<string, number>, part: "sum" | "count", kind?: string): number {
  let total = 0;
  for (const [key, value] of metrics) {
    if (key.startsWith(`nodejs_gc_duration_seconds_${part}{`) && (kind === undefined || key.includes(`kind="${kind}"`))) total += value;
  }
  return total;
}

/** Where a profiled run writes, and V8's sampling interval (µs; Node's default is 1000). */
export interface ProfileOptions {
  dir: string;
  intervalMicros: number;
}

/** The arena's process; under `--cpu-prof` when asked, then stopped by a drain so Node writes the profile. */
async function startArena(roomSize: number, runtime: RuntimeVariant, profile?: ProfileOptions): Promise<Running> {
  const env = {
    ROOM_CAPACITY: String(roomSize),
    RATE_JOINS_PER_MINUTE: "1000000",
    RATE_CONNECTIONS_PER_MINUTE: "1000000",
    RATE_CREATES_PER_MINUTE: "1000000",
    MAX_SOCKETS_PER_ADDRESS: "1000000",
    LOG_LEVEL: "info",
  };
  const server = profile
    ? await spawnServer(
        { ...env, SHUTDOWN_DEADLINE_SECONDS: "0" },
        {
          execPath: runtime.execPath,
          execArgv: [...runtime.execArgv, "--cpu-prof", `--cpu-prof-dir=${profile.dir}`, `--cpu-prof-interval=${profile.intervalMicros}`],
        },
      )
    : await spawnServer(env, runtime);
  const read = async () => parseMetrics(await (await fetch(`${server.metricsEndpoint}/metrics`)).text());
  const drain = async () => {
    server.child.kill("SIGTERM");
    const exited = await Promise.race([server.exited, new Promise((r) => setTimeout(r, PROFILE_EXIT_MS, false))]);
    if (exited === false) await server.stop();
  };
  return {
    pid: server.child.pid!,
    endpoint: server.endpoint,
    metrics: read,
    stop: profile ? drain : () => server.stop(),
    async measure(seconds) {
      const before = await read();
      const window = await timedWait(seconds);
      const after = await read();
      const clients = after.get("arena_clients") ?? 1;
      const perClientSecond = (counter: string) => ((after.get(counter) ?? 0) - (before.get(counter) ?? 0)) / (clients * seconds);
      const figures = {
        gcPauseMsPerClientSecond: ((gcTotal(after, "sum") - gcTotal(before, "sum")) * 1000) / (clients * seconds),
        minorGcPerSecond: (gcTotal(after, "count", "minor") - gcTotal(before, "count", "minor")) / seconds,
        bytesPerClientSecond: perClientSecond("arena_bytes_sent_total"),
        framesInPerClientSecond: perClientSecond("arena_frames_received_total"),
        framesOutPerClientSecond: perClientSecond("arena_frames_sent_total"),
        tickP99Ms: histogramQuantile(before, after, "arena_tick_duration_seconds", 0.99) * 1000,
        tickIntervalP50Ms: histogramQuantile(before, after, "arena_tick_interval_seconds", 0.5) * 1000,
        tickIntervalP99Ms: histogramQuantile(before, after, "arena_tick_interval_seconds", 0.99) * 1000,
      };
      return { figures, window };
    },
  };
}

async function startBaseline(roomSize: number): Promise<Running> {
  const baseline = await spawnBaseline(roomSize);
  const { endpoint } = baseline;
  const stats = async (reset = false) =>
    (await fetch(`${endpoint}/stats${reset ? "?reset=1" : ""}`)).json() as Promise<{
      bytesSent: number;
      framesSent: number;
      framesReceived: number;
      clients: number;
      tickDurationsMs: number[];
      tickIntervalsMs: number[];
    }>;
  return {
    pid: baseline.pid,
    endpoint,
    stop: async () => baseline.stop(),
    async measure(seconds) {
      await stats(true);
      const window = await timedWait(seconds);
      const s = await stats();
      const figures = {
        bytesPerClientSecond: s.bytesSent / (Math.max(1, s.clients) * seconds),
        framesInPerClientSecond: s.framesReceived / (Math.max(1, s.clients) * seconds),
        framesOutPerClientSecond: s.framesSent / (Math.max(1, s.clients) * seconds),
        tickP99Ms: quantile(s.tickDurationsMs, 0.99),
        tickIntervalP50Ms: quantile(s.tickIntervalsMs, 0.5),
        tickIntervalP99Ms: quantile(s.tickIntervalsMs, 0.99),
      };
      return { figures, window };
    },
  };
}

/** Full SDK bots (decoding every patch) among the raw ones in the arena runs (`--light`); the rest play blind. */
const FULL_BOTS = 32;

/** One system at one load; the arena under a runtime variant when given. */
export interface StepOptions {
  system: "arena" | "baseline";
  players: number;
  seconds: number;
  roomSize: number;
  progress: (line: string) => void;
  /** Raw bots beyond the first 32 full ones (the arena only). */
  light?: boolean;
  /** The arena's Node and flags; default: this Node, no flags. */
  runtime?: RuntimeVariant;
  /** Spectators to add once the players are measured, to measure them again (the arena only). */
  spectators?: number;
}

/** One system at one load, rooms of `roomSize`: its own server process (CPU 0), `players` bots here (CPU 1). */
export async function measureStep(options: StepOptions): Promise<StepResult> {
  return (await runStep(options)).result;
}

/**
 * The arena at one load under `--cpu-prof` (its own run: the sampler costs
 * CPU, so the unprofiled steps stay clean), summarised over the measured
 * window only. Files go to a new folder under `profile.dir`.
 */
export async function profileStep(options: Omit<StepOptions, "system">, profile: ProfileOptions): Promise<ProfiledRun | ProfileFailure> {
  mkdirSync(profile.dir, { recursive: true });
  const dir = mkdtempSync(join(profile.dir, `arena-rooms${options.roomSize}-${options.players}players-`));
  const { result, window, pid, threadsCpu } = await runStep({ ...options, system: "arena" }, { ...profile, dir });
  // Node names it CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile; thread 0 is the main one (tsx's loader thread writes one too).
  const file = readdirSync(dir).find((f) => f.includes(`.${pid}.0.`) && f.endsWith(".cpuprofile"));
  if (!file) return { players: options.players, error: `no main-thread profile in ${dir}: the server did not exit by itself within ${PROFILE_EXIT_MS} ms` };
  const rawProfilePath = join(dir, file);
  const written = JSON.parse(readFileSync(rawProfilePath, "utf8")) as CpuProfile;
  const windowProfilePath = join(dir, "window.cpuprofile");
  writeFileSync(windowProfilePath, JSON.stringify(trimProfile(written, window)));
  return {
    players: options.players,
    rawProfilePath,
    windowProfilePath,
    summary: summarizeProfile(written, { projectRoot: PROJECT_ROOT, window, sourceLine: tsxLocator() }),
    figures: result.figures,
    threadsCpuMsPerClientSecond: threadsCpu,
  };
}

/** The server's CPU in the window by thread, ms per client-second: its main thread, V8's sampler (profiled runs), the rest (GC and compiler helpers, libuv). */
export interface ThreadsCpu {
  mainThread: number;
  profiler: number;
  otherThreads: number;
}

async function runStep(
  options: StepOptions,
  profile?: ProfileOptions,
): Promise<{ result: StepResult; window: ProfileWindow; pid: number; threadsCpu: ThreadsCpu }> {
  const { system, players, seconds, roomSize, progress } = options;
  const runtime = options.runtime ?? DEFAULT_VARIANT;
  const name = system === "baseline" ? "baseline" : systemName(runtime);
  const server = system === "baseline" ? await startBaseline(roomSize) : await startArena(roomSize, runtime, profile);
  pin(server.pid, 0);
  pin(process.pid, 1);
  const bots = Array.from({ length: players }, (_, i) =>
    system === "baseline"
      ? new BaselineBot(server.endpoint, `bot ${i}`)
      : options.light && i >= FULL_BOTS
        ? new RawBot(server.endpoint, `raw ${i}`)
        : new Bot({ endpoint: server.endpoint, name: `bot ${i}` }),
  );
  const label = `${name}${profile ? " (profiled)" : ""}, rooms of ${roomSize}`;
  let joinErrors = 0;
  try {
    progress(`${label}: ${players} players joining`);
    await Promise.all(
      bots.map(async (bot, i) => {
        await new Promise((r) => setTimeout(r, i * 10));
        try {
          await bot.join();
          bot.start();
        } catch {
          joinErrors++;
        }
      }),
    );
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    progress(`${label}: ${players} players, measuring ${seconds} s`);
    const cpuBefore = cpuMs(server.pid);
    const mainBefore = mainThreadCpuMs(server.pid);
    const threadsBefore = threadsCpuMs(server.pid);
    const botCpuBefore = process.cpuUsage();
    const started = performance.now();
    const { figures: measured, window } = await server.measure(seconds);
    const wall = (performance.now() - started) / 1000;
    const cpu = cpuMs(server.pid) - cpuBefore;
    const main = mainThreadCpuMs(server.pid) - mainBefore;
    const threads = threadsCpuMs(server.pid).map((t) => ({ ...t, ms: t.ms - (threadsBefore.find((b) => b.tid === t.tid)?.ms ?? 0) }));
    const botCpu = process.cpuUsage(botCpuBefore);
    const clients = players - joinErrors;
    const result: StepResult = {
      players,
      system: name,
      joinErrors,
      botCpuShare: (botCpu.user + botCpu.system) / 1e6 / wall,
      figures: {
        clients,
        seconds: wall,
        cpuMsPerClientSecond: cpu / (clients * wall),
        mainThreadCpuMsPerClientSecond: main / (clients * wall),
        rssMegabytes: rssBytes(server.pid) / 2 ** 20,
        ...measured,
      },
    };
    const perClientSecond = (ms: number) => ms / (clients * wall);
    const threadsCpu = {
      mainThread: perClientSecond(main),
      profiler: perClientSecond(threads.filter((t) => t.name.startsWith("v8:Prof")).reduce((n, t) => n + t.ms, 0)),
      otherThreads: perClientSecond(threads.filter((t) => t.tid !== server.pid && !t.name.startsWith("v8:Prof")).reduce((n, t) => n + t.ms, 0)),
    };
    if (system === "arena" && (options.spectators ?? 0) > 0 && !profile) {
      result.spectators = await measureSpectators(server, options.spectators!, seconds, result, progress, label);
    }
    return { result, window, pid: server.pid, threadsCpu };
  } finally {
    await Promise.all(bots.map((b) => b.stop()));
    await server.stop();
  }
}

/**
 * Adds `count` raw spectators (RawBot watching: the Colyseus protocol on a
 * plain socket, patches counted, nothing sent) to the arena's rooms, evenly,
 * and measures the server again: their cost is the difference from the
 * players-only window, per spectator.
 */
async function measureSpectators(
  server: Running,
  count: number,
  seconds: number,
  players: StepResult,
  progress: (line: string) => void,
  label: string,
): Promise<SpectatorCost> {
  const { rooms } = (await (await fetch(`${server.endpoint}/api/rooms`)).json()) as { rooms: { roomId: string }[] };
  if (rooms.length === 0) throw new Error("no room to watch");
  const watchers = Array.from({ length: count }, (_, i) => new RawBot(server.endpoint, `watch ${i}`, Math.random, rooms[i % rooms.length].roomId));
  let joinErrors = 0;
  try {
    progress(`${label}: ${count} spectators joining`);
    await Promise.all(
      watchers.map(async (watcher, i) => {
        await new Promise((r) => setTimeout(r, i * 5));
        await watcher.join().catch(() => joinErrors++);
      }),
    );
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    progress(`${label}: ${players.players} players and ${count} spectators, measuring ${seconds} s`);
    const withThem = await window(server, seconds);
    await Promise.all(watchers.map((w) => w.stop()));
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    // The players alone again: their cost is the mean of the windows before and after (a server still warming up, or a busier machine, moves both).
    progress(`${label}: ${players.players} players again, measuring ${seconds} s`);
    const again = await window(server, seconds);
    const { clients } = players.figures;
    const playersAlone = (perClient: number, later: number) => (perClient * clients + later) / 2;
    const watching = count - joinErrors;
    const extra = (withSpectators: number, alone: number) => (withSpectators - alone) / Math.max(1, watching);
    return {
      count: watching,
      joinErrors,
      seconds: withThem.seconds,
      cpuMsPerSpectatorSecond: extra(withThem.cpuMs, playersAlone(players.figures.cpuMsPerClientSecond, again.cpuMs)),
      bytesPerSpectatorSecond: extra(withThem.bytes, playersAlone(players.figures.bytesPerClientSecond, again.bytes)),
      framesOutPerSpectatorSecond: extra(withThem.framesOut, playersAlone(players.figures.framesOutPerClientSecond ?? 0, again.framesOut)),
      cpuMsPerPlayerSecond: playersAlone(players.figures.cpuMsPerClientSecond, again.cpuMs) / clients,
      bytesPerPlayerSecond: playersAlone(players.figures.bytesPerClientSecond, again.bytes) / clients,
      tickIntervalP99Ms: withThem.tickIntervalP99Ms,
    };
  } finally {
    await Promise.all(watchers.map((w) => w.stop()));
  }
}

/** The arena's totals per second over a window of `seconds`: CPU (ms), bytes and frames sent. */
async function window(
  server: Running,
  seconds: number,
): Promise<{ seconds: number; cpuMs: number; bytes: number; framesOut: number; tickIntervalP99Ms: number }> {
  const before = await server.metrics!();
  const cpuBefore = cpuMs(server.pid);
  const started = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const wall = (performance.now() - started) / 1000;
  const cpu = cpuMs(server.pid) - cpuBefore;
  const after = await server.metrics!();
  const perSecond = (counter: string) => ((after.get(counter) ?? 0) - (before.get(counter) ?? 0)) / wall;
  return {
    seconds: wall,
    cpuMs: cpu / wall,
    bytes: perSecond("arena_bytes_sent_total"),
    framesOut: perSecond("arena_frames_sent_total"),
    tickIntervalP99Ms: histogramQuantile(before, after, "arena_tick_interval_seconds", 0.99) * 1000,
  };
}
