import { spawnServer } from "../../../server/test/helpers/servers.ts";
import { BaselineBot } from "../baseline/BaselineBot.ts";
import { Bot } from "../Bot.ts";
import { RawBot } from "../RawBot.ts";
import { cpuMs, histogramQuantile, parseMetrics, quantile, rssBytes } from "./processStats.ts";
import { spawnBaseline } from "../baseline/spawnBaseline.ts";
import { pin, type SystemFigures } from "./smoke.ts";

export type SystemName = "arena" | "baseline";

export interface StepResult {
  players: number;
  system: SystemName;
  figures: SystemFigures;
  /** Share of one core the bots' process used: near 1 means the bots, not the server, are the limit. */
  botCpuShare: number;
  joinErrors: number;
}

const WARMUP_MS = 3000;

interface Running {
  pid: number;
  endpoint: string;
  stop(): Promise<void>;
  measure(seconds: number): Promise<Omit<SystemFigures, "clients" | "seconds" | "cpuMsPerClientSecond" | "rssMegabytes">>;
}

async function startArena(roomSize: number): Promise<Running> {
  const server = await spawnServer({ ROOM_CAPACITY: String(roomSize), RATE_JOINS_PER_MINUTE: "1000000", RATE_CONNECTIONS_PER_MINUTE: "1000000", RATE_CREATES_PER_MINUTE: "1000000", MAX_SOCKETS_PER_ADDRESS: "1000000", LOG_LEVEL: "info" });
  const read = async () => parseMetrics(await (await fetch(`${server.metricsEndpoint}/metrics`)).text());
  return {
    pid: server.child.pid!, endpoint: server.endpoint, stop: () => server.stop(),
    async measure(seconds) {
      const before = await read();
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const after = await read();
      const clients = after.get("arena_clients") ?? 1;
      const perClientSecond = (counter: string) => ((after.get(counter) ?? 0) - (before.get(counter) ?? 0)) / (clients * seconds);
      return {
        bytesPerClientSecond: perClientSecond("arena_bytes_sent_total"),
        framesInPerClientSecond: perClientSecond("arena_frames_received_total"),
        framesOutPerClientSecond: perClientSecond("arena_frames_sent_total"),
        tickP99Ms: histogramQuantile(before, after, "arena_tick_duration_seconds", 0.99) * 1000,
        tickIntervalP50Ms: histogramQuantile(before, after, "arena_tick_interval_seconds", 0.5) * 1000,
        tickIntervalP99Ms: histogramQuantile(before, after, "arena_tick_interval_seconds", 0.99) * 1000,
      };
    },
  };
}

async function startBaseline(roomSize: number): Promise<Running> {
  const baseline = await spawnBaseline(roomSize);
  const { endpoint } = baseline;
  const stats = async (reset = false) => (await fetch(`${endpoint}/stats${reset ? "?reset=1" : ""}`)).json() as Promise<{ bytesSent: number; framesSent: number; framesReceived: number; clients: number; tickDurationsMs: number[]; tickIntervalsMs: number[] }>;
  return {
    pid: baseline.pid, endpoint,
    stop: async () => baseline.stop(),
    async measure(seconds) {
      await stats(true);
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const s = await stats();
      return {
        bytesPerClientSecond: s.bytesSent / (Math.max(1, s.clients) * seconds),
        framesInPerClientSecond: s.framesReceived / (Math.max(1, s.clients) * seconds),
        framesOutPerClientSecond: s.framesSent / (Math.max(1, s.clients) * seconds),
        tickP99Ms: quantile(s.tickDurationsMs, 0.99),
        tickIntervalP50Ms: quantile(s.tickIntervalsMs, 0.5),
        tickIntervalP99Ms: quantile(s.tickIntervalsMs, 0.99),
      };
    },
  };
}

/** One system at one load, rooms of `roomSize`: its own server process (CPU 0), `players` bots here (CPU 1). */
/** Full SDK bots (decoding every patch) among the raw ones in the arena runs (`--light`); the rest play blind. */
const FULL_BOTS = 32;

export async function measureStep(system: SystemName, players: number, seconds: number, roomSize: number, progress: (line: string) => void, light = false): Promise<StepResult> {
  const server = system === "arena" ? await startArena(roomSize) : await startBaseline(roomSize);
  pin(server.pid, 0);
  pin(process.pid, 1);
  const bots = Array.from({ length: players }, (_, i) => system === "baseline"
    ? new BaselineBot(server.endpoint, `bot ${i}`)
    : light && i >= FULL_BOTS ? new RawBot(server.endpoint, `raw ${i}`) : new Bot({ endpoint: server.endpoint, name: `bot ${i}` }));
  let joinErrors = 0;
  try {
    progress(`${system}: ${players} players joining`);
    await Promise.all(bots.map(async (bot, i) => {
      await new Promise((r) => setTimeout(r, i * 10));
      try {
        await bot.join();
        bot.start();
      } catch {
        joinErrors++;
      }
    }));
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    progress(`${system}: ${players} players, measuring ${seconds} s`);
    const cpuBefore = cpuMs(server.pid);
    const botCpuBefore = process.cpuUsage();
    const started = performance.now();
    const measured = await server.measure(seconds);
    const wall = (performance.now() - started) / 1000;
    const cpu = cpuMs(server.pid) - cpuBefore;
    const botCpu = process.cpuUsage(botCpuBefore);
    const clients = players - joinErrors;
    return {
      players, system, joinErrors,
      botCpuShare: (botCpu.user + botCpu.system) / 1e6 / wall,
      figures: { clients, seconds: wall, cpuMsPerClientSecond: cpu / (clients * wall), rssMegabytes: rssBytes(server.pid) / 2 ** 20, ...measured },
    };
  } finally {
    await Promise.all(bots.map((b) => b.stop()));
    await server.stop();
  }
}
