/**
 * Benchmark (not a test): match migration.
 *
 * 1. Crash: `--runs` times, a match of `--players` SDK players (moving) on
 *    process B, a second process A, SIGKILL of B; the time from the kill
 *    until every player is back in the match on A through
 *    `client.reconnect(token)` (retrying every 100 ms, as a client told
 *    `match_migrating` does). p50 and worst.
 * 2. Deploy: the same with SIGTERM of B (`--term-runs` times).
 * 3. Cost: one process holding `--rooms` matches of `--players` moving
 *    players each for `--seconds`, with snapshots every second and, as the
 *    baseline in the same run, with migration off (MATCH_SNAPSHOT_MS=0):
 *    the server's CPU (from /proc) per room-second for both, the snapshot's
 *    size and its making time (the process's own counters), and Redis
 *    commands per room-second (Redis's INFO, both runs).
 *
 *   npm run bench:migration -w server [-- --runs 20 --term-runs 10 --players 8 --rooms 16 --seconds 15 --redis redis://127.0.0.1:6379/9]
 *
 * Servers bind 127.0.0.1 on free ports and are stopped at the end; the
 * Redis database given is flushed before and after.
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Client, type Room } from "@colyseus/sdk";
import { Redis } from "ioredis";
import { ArenaState, PROTOCOL_VERSION } from "@arena/shared";
import { type ArenaRoomClient, cpuMs, freePort, quantile, type ServerProcess, spawnServer, TestPlayer } from "@arena/testkit";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "20" },
    "term-runs": { type: "string", default: "10" },
    players: { type: "string", default: "8" },
    rooms: { type: "string", default: "16" },
    seconds: { type: "string", default: "15" },
    redis: { type: "string", default: "redis://127.0.0.1:6379/9" },
  },
});
function count(name: keyof typeof args, min: number, max: number): number {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}`);
  return value;
}
const RUNS = count("runs", 0, 200);
const TERM_RUNS = count("term-runs", 0, 200);
const PLAYERS = count("players", 1, 32);
const ROOMS = count("rooms", 1, 256);
const SECONDS = count("seconds", 1, 600);
const redis = new Redis(args.redis);

async function start(env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  return spawnServer({
    PORT: String(port),
    PUBLIC_ADDRESS: `127.0.0.1:${port}`,
    REDIS_URL: args.redis,
    ROOM_CAPACITY: String(Math.max(PLAYERS, 8)),
    RATE_JOINS_PER_MINUTE: "1000000",
    RATE_CONNECTIONS_PER_MINUTE: "1000000",
    RATE_CREATES_PER_MINUTE: "1000000",
    MAX_SOCKETS_PER_ADDRESS: "1000000",
    SHUTDOWN_DEADLINE_SECONDS: "30",
    ...env,
  });
}

/** A match of PLAYERS moving players on `host`. */
async function match(host: ServerProcess): Promise<TestPlayer[]> {
  const options = { name: "Bot", protocol: PROTOCOL_VERSION };
  const first = await new Client(host.endpoint).create("arena", options, ArenaState);
  const rooms: Room[] = [first];
  for (let i = 1; i < PLAYERS; i++) rooms.push(await new Client(host.endpoint).joinById(first.roomId, options, ArenaState));
  return rooms.map((room, i) => {
    room.reconnection.enabled = false;
    const player = new TestPlayer(room as ArenaRoomClient);
    player.controls.moveX = Math.cos(i);
    player.controls.moveY = Math.sin(i);
    return player.play();
  });
}

async function allBack(players: TestPlayer[], via: ServerProcess): Promise<TestPlayer[]> {
  return Promise.all(
    players.map(async (player) => {
      const token = player.room.reconnectionToken;
      player.pause();
      const client = new Client(via.endpoint);
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          return new TestPlayer((await client.reconnect(token, ArenaState)) as ArenaRoomClient);
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }),
  );
}

/** One migration: ms from the signal to every player back. */
async function migrate(signal: "SIGKILL" | "SIGTERM"): Promise<number> {
  await redis.flushdb();
  const b = await start();
  const players = await match(b);
  const a = await start();
  // Let a few snapshots go by, as in a match that has been running.
  await new Promise((r) => setTimeout(r, 1500));
  const sentAt = performance.now();
  b.child.kill(signal);
  const back = await allBack(players, a);
  const ms = performance.now() - sentAt;
  await Promise.all([...players, ...back].map((p) => p.leave()));
  await Promise.all([a.stop(), b.stop()]);
  return ms;
}

function cpuSeconds(pid: number): number {
  return cpuMs(pid) / 1000;
}

async function redisCommands(): Promise<number> {
  const info = await redis.info("stats");
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? NaN);
}

async function metric(proc: ServerProcess, name: string, labels = ""): Promise<number> {
  const text = await (await fetch(`${proc.metricsEndpoint}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels} `) || (labels === "" && l.startsWith(`${name} `)));
  return line === undefined ? 0 : Number(line.split(" ")[1]);
}

interface Cost {
  cpuMsPerRoomSecond: number;
  redisCommandsPerRoomSecond: number;
  snapshotBytes: number;
  snapshotMakeMs: number;
  snapshotsPerRoomSecond: number;
}

/** ROOMS matches on one process for SECONDS; `snapshotMs` 0 is the baseline without migration. */
async function cost(snapshotMs: number): Promise<Cost> {
  await redis.flushdb();
  const server = await start({ MATCH_SNAPSHOT_MS: String(snapshotMs) });
  const players: TestPlayer[] = [];
  for (let i = 0; i < ROOMS; i++) players.push(...(await match(server)));
  await new Promise((r) => setTimeout(r, 2000));
  const [cpu0, cmd0, written0, bytes0, make0] = [
    cpuSeconds(server.child.pid!),
    await redisCommands(),
    await metric(server, "arena_match_snapshots_total", '{outcome="written"}'),
    await metric(server, "arena_match_snapshot_bytes_total"),
    await metric(server, "arena_match_snapshot_seconds_total"),
  ];
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const elapsed = (performance.now() - t0) / 1000;
  const [cpu1, cmd1, written1, bytes1, make1] = [
    cpuSeconds(server.child.pid!),
    await redisCommands(),
    await metric(server, "arena_match_snapshots_total", '{outcome="written"}'),
    await metric(server, "arena_match_snapshot_bytes_total"),
    await metric(server, "arena_match_snapshot_seconds_total"),
  ];
  await Promise.all(players.map((p) => p.leave()));
  await server.stop();
  const written = written1 - written0;
  const roomSeconds = ROOMS * elapsed;
  return {
    cpuMsPerRoomSecond: ((cpu1 - cpu0) * 1000) / roomSeconds,
    redisCommandsPerRoomSecond: (cmd1 - cmd0) / roomSeconds,
    snapshotBytes: written === 0 ? 0 : (bytes1 - bytes0) / written,
    snapshotMakeMs: written === 0 ? 0 : ((make1 - make0) * 1000) / written,
    snapshotsPerRoomSecond: written / roomSeconds,
  };
}

const f = (n: number, digits = 0) => n.toFixed(digits);

async function main(): Promise<void> {
  console.log(`match migration: ${PLAYERS} players a match; ${RUNS} crash runs, ${TERM_RUNS} deploy runs; cost: ${ROOMS} matches for ${SECONDS} s`);
  for (const [signal, runs] of [
    ["SIGKILL", RUNS],
    ["SIGTERM", TERM_RUNS],
  ] as const) {
    if (runs === 0) continue;
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      times.push(await migrate(signal));
      process.stdout.write(`  ${signal} run ${i + 1}/${runs}: ${f(times.at(-1)!)} ms\n`);
    }
    times.sort((x, y) => x - y);
    console.log(`${signal} -> all ${PLAYERS} players back: p50 ${f(quantile(times, 0.5))} ms, worst ${f(times.at(-1)!)} ms (${runs} runs)`);
  }
  const on = await cost(1000);
  const off = await cost(0);
  console.log("\n| per match-second | snapshots every 1 s | migration off (baseline) |\n|---|---|---|");
  console.log(`| server CPU, ms | ${f(on.cpuMsPerRoomSecond, 2)} | ${f(off.cpuMsPerRoomSecond, 2)} |`);
  console.log(`| Redis commands | ${f(on.redisCommandsPerRoomSecond, 2)} | ${f(off.redisCommandsPerRoomSecond, 2)} |`);
  console.log(`| snapshots written | ${f(on.snapshotsPerRoomSecond, 2)} | 0 |`);
  console.log(`\nsnapshot: ${f(on.snapshotBytes)} bytes, ${f(on.snapshotMakeMs, 3)} ms to make (world and seats to JSON), ${PLAYERS} players`);
  await redis.flushdb();
  redis.disconnect();
}

await main();
process.exit(0);
