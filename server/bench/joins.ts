/**
 * Benchmark (not a test): join throughput and latency, from the matchmaking
 * request to the first state received, at rising request rates, for one
 * process with the embedded defaults against two processes sharing Redis,
 * alternating in one run. Servers run as child processes on 127.0.0.1;
 * requests alternate between the two processes of the Redis system.
 *
 * Each bot leaves as soon as it has its first state (`--hold`: stays to the
 * end of the step, so the bots also decode every patch of every room).
 *
 *   npm run bench:joins -w server [-- --rates 50,100,200 --seconds 3 --redis redis://127.0.0.1:6379/14 --hold]
 */
import type { ChildProcess } from "node:child_process";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Client, type Room } from "@colyseus/sdk";
import { Redis } from "ioredis";
import { ArenaState, PROTOCOL_VERSION } from "@arena/shared";
import { cpuMs, freePort, quantile, spawnServer } from "@arena/testkit";

const { values: args } = parseArgs({
  options: {
    rates: { type: "string", default: "25,50,100,200,400" },
    seconds: { type: "string", default: "3" },
    redis: { type: "string", default: "redis://127.0.0.1:6379/14" },
    hold: { type: "boolean", default: false },
  },
});
const RATES = args.rates.split(",").map(Number);
const SECONDS = Number(args.seconds);

async function startProcess(env: Record<string, string>): Promise<{ child: ChildProcess; endpoint: string }> {
  const port = await freePort();
  const server = await spawnServer({
    PORT: String(port),
    PUBLIC_ADDRESS: `127.0.0.1:${port}`,
    ROOM_CAPACITY: "8",
    RATE_JOINS_PER_MINUTE: "1000000",
    RATE_CONNECTIONS_PER_MINUTE: "1000000",
    RATE_CREATES_PER_MINUTE: "1000000",
    MAX_SOCKETS_PER_ADDRESS: "1000000",
    ...env,
  });
  return { child: server.child, endpoint: server.endpoint };
}

interface Step {
  rate: number;
  joined: number;
  errors: number;
  throughput: number;
  p50: number;
  p99: number;
  botsCpuCores: number;
  /** The servers' CPU over the step (every process of the system, from /proc), ms per join. */
  serverCpuMsPerJoin: number;
}

/** Opens joins at `rate` per second for SECONDS, open loop; measures request to first state. */
async function step(system: { child: ChildProcess; endpoint: string }[], rate: number): Promise<Step> {
  const endpoints = system.map((p) => p.endpoint);
  const serversCpu = () => system.reduce((sum, p) => sum + cpuMs(p.child.pid!), 0);
  const serversCpu0 = serversCpu();
  const total = Math.round(rate * SECONDS);
  const latencies: number[] = [];
  const rooms: Room[] = [];
  let errors = 0;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const joins: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.now();
    joins.push(
      (async () => {
        try {
          const room = await new Client(endpoints[i % endpoints.length]).joinOrCreate("arena", { name: `b${i}`, protocol: PROTOCOL_VERSION }, ArenaState);
          room.onMessage("*", () => {}); // every message type, as the game's client handles them (else the SDK warns per bot)
          await new Promise<void>((resolve) => {
            if (room.state.players?.size > 0) resolve();
            else room.onStateChange.once(() => resolve());
          });
          latencies.push(performance.now() - t0);
          // Joined: by default the bot leaves at once, so this one process measures joins, not
          // thousands of players decoding patches (with --hold they stay to the end of the step).
          if (args.hold) rooms.push(room);
          else void room.leave().catch(() => {});
        } catch {
          errors++;
        }
      })(),
    );
  }
  await Promise.all(joins);
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // The rooms' closing is part of what a join costs (the last leave disposes the room, its listing goes).
  await Promise.all(rooms.map((r) => r.leave().catch(() => {})));
  await new Promise((r) => setTimeout(r, 500));
  const serverCpuMs = serversCpu() - serversCpu0;
  return {
    rate,
    joined: latencies.length,
    errors,
    throughput: latencies.length / elapsed,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    botsCpuCores: (cpu.user + cpu.system) / 1e6 / elapsed,
    serverCpuMsPerJoin: serverCpuMs / Math.max(1, latencies.length),
  };
}

const redis = new Redis(args.redis);
await redis.flushdb();
const single = await startProcess({});
const pair = [await startProcess({ REDIS_URL: args.redis }), await startProcess({ REDIS_URL: args.redis })];
const results: Record<string, Step[]> = { "1 process, embedded": [], "2 processes, Redis": [] };
try {
  for (const rate of RATES) {
    // Alternate systems at each rate, so both see the same machine.
    process.stderr.write(`rate ${rate}/s ...\n`);
    results["1 process, embedded"].push(await step([single], rate));
    results["2 processes, Redis"].push(await step(pair, rate));
  }
} finally {
  for (const p of [single, ...pair]) p.child.kill("SIGKILL");
  await redis.flushdb();
  redis.disconnect();
}

console.log(`# Join benchmark: matchmake request to first state, ${SECONDS} s per rate, rooms of 8\n`);
console.log(
  `Bots ${args.hold ? "stay in their rooms to the end of each step" : "leave as soon as they have their first state"}; the bots' CPU is this process's, in cores; the servers' CPU is every server process's of the system over the step and the 0.5 s after it, per join.\n`,
);
console.log("| system | offered joins/s | joined | errors | achieved joins/s | p50 ms | p99 ms | bots' CPU | servers' CPU ms/join |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const [system, steps] of Object.entries(results)) {
  for (const s of steps) {
    console.log(
      `| ${system} | ${s.rate} | ${s.joined} | ${s.errors} | ${s.throughput.toFixed(0)} | ${s.p50.toFixed(1)} | ${s.p99.toFixed(1)} | ${s.botsCpuCores.toFixed(2)} | ${s.serverCpuMsPerJoin.toFixed(2)} |`,
    );
  }
}
process.exit(0);
