import { spawnSync } from "node:child_process";
import { cpus } from "node:os";
import { spawnServer } from "@arena/testkit";
import { Bot } from "../Bot.ts";
import { cpuMs, histogramQuantile, parseMetrics, rssBytes } from "./processStats.ts";

export interface SystemFigures {
  clients: number;
  seconds: number;
  cpuMsPerClientSecond: number;
  bytesPerClientSecond: number;
  tickP99Ms: number;
  tickIntervalP50Ms: number;
  tickIntervalP99Ms: number;
  rssMegabytes: number;
  /** WebSocket frames per client-second, from and to the clients (capacity). */
  framesInPerClientSecond?: number;
  framesOutPerClientSecond?: number;
  /** The main thread's share of the server's CPU (JavaScript and the event loop; the rest is helper threads), ms per client-second (capacity). */
  mainThreadCpuMsPerClientSecond?: number;
  /** Main-thread GC pauses (prom-client's GC histogram, every kind), ms per client-second; the arena only. */
  gcPauseMsPerClientSecond?: number;
  /** Scavenges of the young generation per second (what `--max-semi-space-size` changes); the arena only. */
  minorGcPerSecond?: number;
}

export interface SmokeResult {
  bots: number;
  joined: number;
  errors: string[];
  dropped: number;
  reconnected: number;
  sampledClients: number;
  stateMismatches: string[];
  figures: SystemFigures;
}

export interface SmokeOptions {
  bots: number;
  /** Full SDK clients whose decoded state is checked against the server's at the end. */
  sampled: number;
  /** Bots made to drop their connection mid-run (they must all come back). */
  drops: number;
  seconds: number;
  progress: (line: string) => void;
}

/** Pins a process to one CPU when `taskset` exists (server and bots apart); returns whether it did. */
export function pin(pid: number, cpu: number): boolean {
  return spawnSync("taskset", ["-pc", String(cpu), String(pid)], { stdio: "ignore" }).status === 0;
}

/**
 * Sets every thread of a process to run on `list` (a taskset list: "0",
 * "0-1"; default every CPU of the machine, not only those this process may
 * use) when `taskset` exists; returns whether it did. A child inherits the
 * affinity of the thread that spawned it: a server spawned after the bots
 * pinned themselves shares the bots' CPU unless it is given its own.
 */
export function setAffinity(pid: number, list = `0-${cpus().length - 1}`): boolean {
  return spawnSync("taskset", ["-apc", list, String(pid)], { stdio: "ignore" }).status === 0;
}

/**
 * The smoke scenario: a server process of its own, bots that join, play,
 * leave and come back, some made to drop and reconnect; at the end the
 * world is frozen and sampled clients' decoded state is compared with the
 * server's. Correctness is the result; figures come along.
 */
export async function runSmoke(options: SmokeOptions): Promise<SmokeResult> {
  const server = await spawnServer({
    ENABLE_TEST_HOOKS: "1",
    ROOM_CAPACITY: "8",
    RECONNECT_GRACE_SECONDS: "20",
    RATE_JOINS_PER_MINUTE: "1000000",
    RATE_CONNECTIONS_PER_MINUTE: "1000000",
    RATE_CREATES_PER_MINUTE: "1000000",
    MAX_SOCKETS_PER_ADDRESS: "1000000",
  });
  pin(server.child.pid!, 0);
  pin(process.pid, 1);
  const bots = Array.from(
    { length: options.bots },
    (_, i) => new Bot({ endpoint: server.endpoint, name: `bot ${i}`, leaveRate: i < options.sampled ? 0 : 1 / 60 }),
  );
  try {
    options.progress(`joining ${bots.length} bots`);
    const joins = await Promise.allSettled(
      bots.map(async (bot, i) => {
        await new Promise((r) => setTimeout(r, i * 20));
        await bot.join();
        bot.start();
      }),
    );
    const joined = joins.filter((j) => j.status === "fulfilled").length;
    const joinErrors = joins.flatMap((j) => (j.status === "rejected" ? [`join: ${String(j.reason)}`] : []));

    const metrics = async () => parseMetrics(await (await fetch(`${server.metricsEndpoint}/metrics`)).text());
    const before = await metrics();
    const cpuBefore = cpuMs(server.child.pid!);
    const started = performance.now();
    const dropping = bots.slice(options.sampled, options.sampled + options.drops);
    for (let s = 1; s <= options.seconds; s++) {
      await new Promise((r) => setTimeout(r, 1000));
      if (s === Math.floor(options.seconds / 2)) {
        options.progress(`dropping ${dropping.length} connections`);
        await Promise.all(dropping.map((bot) => bot.dropAndReconnect()));
      }
      if (s % 5 === 0) options.progress(`${s}/${options.seconds} s`);
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuMs(server.child.pid!) - cpuBefore;
    const after = await metrics();
    const clients = after.get("arena_clients") ?? 0;
    const bytes = (after.get("arena_bytes_sent_total") ?? 0) - (before.get("arena_bytes_sent_total") ?? 0);
    const figures: SystemFigures = {
      clients,
      seconds,
      cpuMsPerClientSecond: cpu / (clients * seconds),
      bytesPerClientSecond: bytes / (clients * seconds),
      tickP99Ms: histogramQuantile(before, after, "arena_tick_duration_seconds", 0.99) * 1000,
      tickIntervalP50Ms: histogramQuantile(before, after, "arena_tick_interval_seconds", 0.5) * 1000,
      tickIntervalP99Ms: histogramQuantile(before, after, "arena_tick_interval_seconds", 0.99) * 1000,
      rssMegabytes: rssBytes(server.child.pid!) / 2 ** 20,
    };

    options.progress("freezing the world and comparing states");
    for (const bot of bots) bot.pause();
    const sampled = bots.slice(0, options.sampled);
    const stateMismatches = await compareStates(server.endpoint, sampled);
    return {
      bots: bots.length,
      joined,
      errors: [...joinErrors, ...bots.flatMap((b) => b.counters.errors)],
      dropped: dropping.reduce((n, b) => n + b.counters.drops, 0),
      reconnected: dropping.reduce((n, b) => n + b.counters.reconnects, 0),
      sampledClients: sampled.length,
      stateMismatches,
      figures,
    };
  } finally {
    await Promise.all(bots.map((b) => b.stop()));
    await server.stop();
  }
}

/** What must agree between a client's decoded state and the server's, once nothing moves. */
function comparable(state: any): unknown {
  const players = Object.entries(state.players ?? {})
    .map(([id, p]: [string, any]) => [id, p.name, p.x, p.y, p.aim, p.hp, p.score, p.alive, p.connected])
    .sort();
  return { players, pickups: (state.pickups ?? []).map((k: any) => [k.x, k.y]), mode: state.mode, round: state.round };
}

/** Compares each sampled client's state with its room's; a few tries, as a respawn may land between reads. */
async function compareStates(endpoint: string, bots: Bot[]): Promise<string[]> {
  let mismatches: string[] = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    await new Promise((r) => setTimeout(r, 400));
    mismatches = [];
    for (const bot of bots) {
      const room = bot.room!;
      const server = await (await fetch(`${endpoint}/api/__test/state/${room.roomId}`)).json();
      const a = JSON.stringify(comparable(room.state.toJSON()));
      const b = JSON.stringify(comparable(server));
      if (a !== b) mismatches.push(`${bot.options.name} in ${room.roomId}: client ${a.slice(0, 200)} / server ${b.slice(0, 200)}`);
    }
    if (mismatches.length === 0) return [];
  }
  return mismatches;
}
