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
    return { result, window, pid: server.pid, threadsCpu };
  } finally {
    await Promise.all(bots.map((b) => b.stop()));
    await server.stop();
  }
}
