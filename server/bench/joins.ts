/**
 * Benchmark (not a test): join throughput and latency, from the matchmaking
 * request to the first state received, at rising request rates, for one
 * process with the embedded defaults against two processes sharing Redis,
 * alternating in one run. Servers run as child processes on 127.0.0.1;
 * requests alternate between the two processes of the Redis system.
 *
 * Each bot leaves as soon as it has its first state (`--hold`: stays to the
 * end of the step, so the bots also decode every patch of every room).
 * `--bots raw`: each bot makes the SDK's join on a plain `ws` socket (the
 * seat over HTTP on kept-alive connections, as fetch keeps them, the
 * socket, the join acknowledged, the first state received but not decoded,
 * then a consented leave), so that the bots' own CPU, which shares this
 * machine with the servers, is less of what is measured; the servers do
 * the same work for either.
 *
 * `--warmup S`: each system first takes S seconds of joins at the first rate,
 * reported apart (fresh processes: V8 has compiled little yet, every room is
 * new), so that the rates measure processes in their steady state. The
 * Redis system's row also gives the commands Redis ran per join (`INFO
 * commandstats`, those its scripts run included; server-wide: run it alone).
 *
 *   npm run bench:joins -w server [-- --rates 50,100,200 --seconds 3 --warmup 8 --redis redis://127.0.0.1:6379/14 --hold --bots sdk|raw]
 */
import type { ChildProcess } from "node:child_process";
import http from "node:http";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Client } from "@colyseus/sdk";
import { Redis } from "ioredis";
import { WebSocket } from "ws";
import { ArenaState, PROTOCOL_VERSION } from "@arena/shared";
import { cpuMs, freePort, postJson, quantile, spawnServer } from "@arena/testkit";

const { values: args } = parseArgs({
  options: {
    rates: { type: "string", default: "25,50,100,200,400" },
    seconds: { type: "string", default: "3" },
    warmup: { type: "string", default: "0" },
    redis: { type: "string", default: "redis://127.0.0.1:6379/14" },
    hold: { type: "boolean", default: false },
    bots: { type: "string", default: "sdk" },
  },
});
if (args.bots !== "sdk" && args.bots !== "raw") throw new Error(`--bots: sdk or raw, not ${args.bots}`);
const RATES = args.rates.split(",").map(Number);
const SECONDS = Number(args.seconds);
const WARMUP_SECONDS = Number(args.warmup);

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

/** Colyseus opcodes (`@colyseus/shared-types` Protocol) a raw bot speaks; the high bits of a state frame's first byte are flags. */
const JOIN_ROOM = 10;
const LEAVE_ROOM = 12;
const ROOM_STATE = 14;
const OPCODE_MASK = 0x1f;

/** A joined bot: leaves with consent, as the SDK's `leave()`. */
type Joined = { leave(): Promise<unknown> };

/** The SDK's join: resolves once the room's first state is decoded. */
async function sdkJoin(endpoint: string, name: string): Promise<Joined> {
  const room = await new Client(endpoint).joinOrCreate("arena", { name, protocol: PROTOCOL_VERSION }, ArenaState);
  room.onMessage("*", () => {}); // every message type, as the game's client handles them (else the SDK warns per bot)
  await new Promise<void>((resolve) => {
    if (room.state.players?.size > 0) resolve();
    else room.onStateChange.once(() => resolve());
  });
  return room;
}

/** Kept-alive connections for the raw bots' seat requests, as Node's fetch keeps them (without its cost per request). */
const agent = new http.Agent({ keepAlive: true });

/** The same join on a plain `ws` socket: resolves once the first state frame arrives (not decoded). */
async function rawJoin(endpoint: string, name: string): Promise<Joined> {
  const { status, body } = await postJson(`${endpoint}/matchmake/joinOrCreate/arena`, { name, protocol: PROTOCOL_VERSION }, agent);
  if (status !== 200) throw new Error(`matchmaking answered ${status}: ${JSON.stringify(body)}`);
  const seat = body as { roomId: string; processId: string; sessionId: string; publicAddress?: string };
  const base = seat.publicAddress !== undefined ? `ws://${seat.publicAddress}` : endpoint.replace(/^http/, "ws");
  const ws = new WebSocket(`${base}/${seat.processId}/${seat.roomId}?sessionId=${encodeURIComponent(seat.sessionId)}`);
  ws.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    ws.on("message", (data: Buffer) => {
      const opcode = data[0] & OPCODE_MASK;
      if (opcode === JOIN_ROOM) ws.send(Uint8Array.of(JOIN_ROOM));
      else if (opcode === ROOM_STATE) resolve();
    });
    ws.once("close", (code) => reject(new Error(`closed with ${code} before the first state`)));
  });
  return {
    leave: () =>
      new Promise<void>((resolve) => {
        ws.once("close", () => resolve());
        ws.send(Uint8Array.of(LEAVE_ROOM));
      }),
  };
}

const join = args.bots === "raw" ? rawJoin : sdkJoin;

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
  /** Commands Redis ran over the step per join (the Redis system's), scripts' own included. */
  redisCommandsPerJoin?: number;
  warmup: boolean;
}

/** Commands Redis has run since its start (`INFO commandstats`), scripts' own included. */
async function redisCommands(redis: Redis): Promise<number> {
  let calls = 0;
  for (const match of (await redis.info("commandstats")).matchAll(/calls=(\d+)/g)) calls += Number(match[1]);
  return calls;
}

/** Opens joins at `rate` per second for SECONDS, open loop; measures request to first state. */
async function step(system: { child: ChildProcess; endpoint: string }[], rate: number, redis?: Redis, warmup = false): Promise<Step> {
  const seconds = warmup ? WARMUP_SECONDS : SECONDS;
  const commands0 = redis === undefined ? 0 : await redisCommands(redis);
  const endpoints = system.map((p) => p.endpoint);
  const serversCpu = () => system.reduce((sum, p) => sum + cpuMs(p.child.pid!), 0);
  const serversCpu0 = serversCpu();
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  const rooms: Joined[] = [];
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
          const room = await join(endpoints[i % endpoints.length], `b${i}`);
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
  const joined = Math.max(1, latencies.length);
  return {
    rate,
    joined: latencies.length,
    errors,
    throughput: latencies.length / elapsed,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    botsCpuCores: (cpu.user + cpu.system) / 1e6 / elapsed,
    serverCpuMsPerJoin: serverCpuMs / joined,
    redisCommandsPerJoin: redis === undefined ? undefined : ((await redisCommands(redis)) - commands0) / joined,
    warmup,
  };
}

const redis = new Redis(args.redis);
await redis.flushdb();
const single = await startProcess({});
const pair = [await startProcess({ REDIS_URL: args.redis }), await startProcess({ REDIS_URL: args.redis })];
const results: Record<string, Step[]> = { "1 process, embedded": [], "2 processes, Redis": [] };
try {
  if (WARMUP_SECONDS > 0) {
    process.stderr.write(`warm-up at ${RATES[0]}/s ...\n`);
    results["1 process, embedded"].push(await step([single], RATES[0], undefined, true));
    results["2 processes, Redis"].push(await step(pair, RATES[0], redis, true));
  }
  for (const rate of RATES) {
    // Alternate systems at each rate, so both see the same machine.
    process.stderr.write(`rate ${rate}/s ...\n`);
    results["1 process, embedded"].push(await step([single], rate));
    results["2 processes, Redis"].push(await step(pair, rate, redis));
  }
} finally {
  for (const p of [single, ...pair]) p.child.kill("SIGKILL");
  await redis.flushdb();
  redis.disconnect();
}

console.log(`# Join benchmark: matchmake request to first state, ${SECONDS} s per rate, rooms of 8, ${args.bots === "raw" ? "raw" : "SDK"} bots\n`);
console.log(
  `Bots ${args.hold ? "stay in their rooms to the end of each step" : "leave as soon as they have their first state"}; the bots' CPU is this process's, in cores; the servers' CPU is every server process's of the system over the step and the 0.5 s after it, per join.\n`,
);
console.log("| system | offered joins/s | joined | errors | achieved joins/s | p50 ms | p99 ms | bots' CPU | servers' CPU ms/join | Redis commands/join |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const [system, steps] of Object.entries(results)) {
  for (const s of steps) {
    console.log(
      `| ${system}${s.warmup ? ` (warm-up, ${WARMUP_SECONDS} s)` : ""} | ${s.rate} | ${s.joined} | ${s.errors} | ${s.throughput.toFixed(0)} | ${s.p50.toFixed(1)} | ${s.p99.toFixed(1)} | ${s.botsCpuCores.toFixed(2)} | ${s.serverCpuMsPerJoin.toFixed(2)} | ${s.redisCommandsPerJoin?.toFixed(1) ?? "-"} |`,
    );
  }
}
process.exit(0);
