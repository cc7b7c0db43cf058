import http from "node:http";
import { Client, type Room } from "@colyseus/sdk";
import { Redis } from "ioredis";
import { io } from "socket.io-client";
import { ArenaState, PROTOCOL_VERSION } from "@arena/shared";
import { freePort, postJson, quantile, request, spawnServer, type ServerProcess, waitFor } from "@arena/testkit";
import { Bot } from "../Bot.ts";
import { cpuMs, parseMetrics, rssBytes } from "./processStats.ts";
import { spawnBaseline } from "../baseline/spawnBaseline.ts";
import { holdToCores } from "./cpuQuota.ts";
import { pin, setAffinity } from "./smoke.ts";

const RAISED = {
  RATE_JOINS_PER_MINUTE: "1000000",
  RATE_CONNECTIONS_PER_MINUTE: "1000000",
  RATE_CREATES_PER_MINUTE: "1000000",
  MAX_SOCKETS_PER_ADDRESS: "1000000",
  ROOM_CAPACITY: "8",
};

export interface LatencyFigures {
  joins: number;
  errors: number;
  /** Joins per second over the burst: joins / totalMs. */
  joinsPerSecond: number;
  /** Request to first state. */
  joinP50Ms: number;
  joinP99Ms: number;
  totalMs: number;
  /** The arena's quick-play answer alone (request to seat reservation), before the WebSocket. */
  seatP50Ms?: number;
  seatP99Ms?: number;
  /** This process's CPU over the burst, in cores (the bots': near 1 means they, not the servers, set the pace). */
  botsCpuCores: number;
  /** The servers' CPU over the burst, in cores, all processes together (arena only). */
  serversCpuCores?: number;
  /** Redis's CPU over the burst, in cores (from INFO cpu; arena only). */
  redisCpuCores?: number;
  /** Rooms the burst made, and how many of them are full. */
  rooms?: number;
  fullRooms?: number;
  /** The share of the seats decided without the cluster's turn (a room of their own), by the servers' `arena_quickplay_seats_total`. */
  seatsWithoutTurn?: number;
}

const CAPACITY = Number(RAISED.ROOM_CAPACITY);

async function redisArena(redisUrl: string, processes: number): Promise<ServerProcess[]> {
  const redis = new Redis(redisUrl);
  await redis.flushdb();
  redis.disconnect();
  const procs: ServerProcess[] = [];
  for (let i = 0; i < processes; i++) {
    const port = await freePort();
    procs.push(await spawnServer({ ...RAISED, PORT: String(port), PUBLIC_ADDRESS: `127.0.0.1:${port}`, REDIS_URL: redisUrl }));
  }
  return procs;
}

/**
 * `count` quick-play joins fired together at 1, 2, ... processes sharing
 * Redis (joins spread over them in turn), then at one Socket.IO process;
 * each timed from request to first state, the arena's also to its seat
 * (the matchmaking answer). This process (the bots) is pinned to CPU 1
 * when `taskset` exists; the servers may run on every CPU (CPU 0 alone
 * with `pinServers`). With `seatsOnly` a join is its seat: the join figures
 * are the seat's.
 */
export interface StormOptions {
  /** Seats only: each bot asks for its seat over HTTP and stops there (matchmaking alone, no WebSocket, no baseline). */
  seatsOnly?: boolean;
  /** Pin every server process to CPU 0 (the bots stay on CPU 1): one core for all of them. */
  pinServers?: boolean;
  /** The arena's seat requests over this many kept-alive connections per process (at most that many in flight), instead of one connection each. */
  keepAlive?: number;
  /** Each server process, and the baseline's, held to this much CPU (`holdToCores`): every process gets the same share however many there are. */
  serverCores?: number;
  /**
   * Seats asked of each arena process before the burst, whose rooms are then
   * left to close (their seats expire unclaimed): the burst meets processes
   * whose JIT has warmed up, as a launch meets processes up for a while.
   */
  warmUp?: number;
  /** Lobby clients connected to each arena process through the burst, as players browsing the room list (each is sent every listed room's changes). */
  lobbyWatchers?: number;
}

/** What `joinStorm` measured: the arena per process count, the baseline, and why any join failed (by system, error text, count). */
export interface StormResult {
  arena: Record<string, LatencyFigures>;
  baseline: LatencyFigures | undefined;
  botsPinned: boolean;
  failures: Record<string, Record<string, number>>;
}

export async function joinStorm(
  count: number,
  processCounts: readonly number[],
  redisUrl: string,
  progress: (l: string) => void,
  options: StormOptions = {},
): Promise<StormResult> {
  const botsPinned = pin(process.pid, 1);
  const arena: Record<string, LatencyFigures> = {};
  const failures: Record<string, Record<string, number>> = {};
  for (const processes of processCounts) {
    progress(`arena: ${count} ${options.seatsOnly ? "seats" : "joins"} at once across ${processes} process(es) on Redis`);
    const procs = await redisArena(redisUrl, processes);
    // Spawned after the bots pinned themselves, the servers would share CPU 1 with them: given their own.
    for (const p of procs) setAffinity(p.child.pid!, options.pinServers ? "0" : undefined);
    const quotas = options.serverCores === undefined ? [] : procs.map((p) => holdToCores(p.child.pid!, options.serverCores!));
    if (options.warmUp !== undefined && options.warmUp > 0) {
      progress(`warming up: ${options.warmUp} seats per process, then their rooms left to close`);
      await warmUp(procs, options.warmUp);
    }
    const lobbies = await watchLobbies(procs, options.lobbyWatchers ?? 0);
    const decided0 = await decidedSeats(procs);
    const serverCpu0 = procs.reduce((ms, p) => ms + cpuMs(p.child.pid!), 0);
    const redisCpu0 = await redisCpuMs(redisUrl);
    const seats: number[] = [];
    const roomOf = new Map<string, number>();
    // Node's fetch (its own connection pool, unbounded), or `keepAlive` reused connections per process.
    const agent = options.keepAlive === undefined ? undefined : new http.Agent({ keepAlive: true, maxSockets: options.keepAlive });
    const { figures, failed } = await storm(count, async (i) => {
      const endpoint = procs[i % processes].endpoint;
      const t0 = performance.now();
      const ask = { name: `s${i}`, protocol: PROTOCOL_VERSION };
      const { status, body: seat } = (await (agent === undefined
        ? request(endpoint, "POST", "/matchmake/joinOrCreate/arena", ask)
        : postJson(`${endpoint}/matchmake/joinOrCreate/arena`, ask, agent))) as { status: number; body: { roomId: string } };
      if (status !== 200) throw new Error(`HTTP ${status}: ${JSON.stringify(seat)}`);
      seats.push(performance.now() - t0);
      roomOf.set(seat.roomId, (roomOf.get(seat.roomId) ?? 0) + 1);
      if (options.seatsOnly) return () => {};
      const room = await new Client(endpoint).consumeSeatReservation(seat as never, ArenaState);
      // As the game's client does: every message type has a handler (else the SDK warns on the console, per message).
      room.onMessage("*", () => {});
      await new Promise<void>((r) => (room.state.players?.size ? r() : room.onStateChange.once(() => r())));
      return () => void room.leave().catch(() => {});
    });
    agent?.destroy();
    for (const lobby of lobbies) void lobby.leave().catch(() => {});
    const serverCpuMs = procs.reduce((ms, p) => ms + cpuMs(p.child.pid!), 0) - serverCpu0;
    const decided1 = await decidedSeats(procs);
    const decided = { turn: decided1.turn - decided0.turn, own: decided1.own - decided0.own };
    const redisCpuMsUsed = (await redisCpuMs(redisUrl)) - redisCpu0;
    // A count given twice (`--processes 1,2,1,2`, runs alternating) keeps each run: "1", "2", "1#2", "2#2".
    let key = String(processes);
    for (let k = 2; key in arena; k++) key = `${processes}#${k}`;
    if (figures.errors > 0) failures[`arena:${key}p`] = failed;
    arena[key] = {
      ...figures,
      serversCpuCores: serverCpuMs / figures.totalMs,
      redisCpuCores: redisCpuMsUsed / figures.totalMs,
      seatP50Ms: quantile(seats, 0.5),
      seatP99Ms: quantile(seats, 0.99),
      rooms: roomOf.size,
      fullRooms: [...roomOf.values()].filter((n) => n === CAPACITY).length,
      seatsWithoutTurn: decided.own / Math.max(1, decided.turn + decided.own),
    };
    await Promise.all(procs.map((p) => p.stop()));
    for (const quota of quotas) quota.release();
  }
  if (options.seatsOnly) return { arena, baseline: undefined, botsPinned, failures };
  progress(`baseline: ${count} joins at once on one Socket.IO process`);
  const base = await spawnBaseline(8);
  setAffinity(base.pid, options.pinServers ? "0" : undefined);
  const baseQuota = options.serverCores === undefined ? undefined : holdToCores(base.pid, options.serverCores);
  const { figures: baseline, failed } = await storm(count, async (i) => {
    const socket = io(base.endpoint, { transports: ["websocket"], reconnection: false });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect_error", reject);
      socket.once("state", () => resolve());
      socket.emit("join", { name: `s${i}` });
    });
    return () => void socket.disconnect();
  });
  await base.stop();
  baseQuota?.release();
  if (baseline.errors > 0) failures.baseline = failed;
  return { arena, baseline, botsPinned, failures };
}

/** Quick-play seats the servers gave so far, in the turn and in rooms of their own (`arena_quickplay_seats_total`). */
async function decidedSeats(procs: readonly ServerProcess[]): Promise<{ turn: number; own: number }> {
  const decided = { turn: 0, own: 0 };
  for (const p of procs) {
    const metrics = parseMetrics(await (await fetch(`${p.metricsEndpoint}/metrics`)).text());
    decided.turn += metrics.get('arena_quickplay_seats_total{decided="turn"}') ?? 0;
    decided.own += metrics.get('arena_quickplay_seats_total{decided="own_room"}') ?? 0;
  }
  return decided;
}

/** `perProcess` quick-play seats asked of each process (64 at a time each), never claimed; resolves once every room they made has closed. */
async function warmUp(procs: readonly ServerProcess[], perProcess: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  try {
    await Promise.all(
      procs.flatMap((p) =>
        Array.from({ length: perProcess }, (_, i) =>
          postJson(`${p.endpoint}/matchmake/joinOrCreate/arena`, { name: `w${i}`, protocol: PROTOCOL_VERSION }, agent),
        ),
      ),
    );
  } finally {
    agent.destroy();
  }
  // Unclaimed seats expire (Colyseus's seat reservation time, 15 s), then the empty rooms close.
  await waitFor(
    "the warm-up's rooms to close",
    async () => ((await request(procs[0].endpoint, "GET", "/api/rooms")).body.rooms as unknown[]).length === 0 || undefined,
    60_000,
  );
}

/** `perProcess` lobby clients on each process (the room list's realtime listing), joined before the burst. */
async function watchLobbies(procs: readonly ServerProcess[], perProcess: number): Promise<Room[]> {
  const joins = procs.flatMap((p) =>
    Array.from({ length: perProcess }, async () => {
      const lobby = await new Client(p.endpoint).joinOrCreate("lobby");
      lobby.onMessage("*", () => {});
      return lobby;
    }),
  );
  return Promise.all(joins);
}

/** Redis's CPU time so far (user + system, all its threads), ms. */
async function redisCpuMs(redisUrl: string): Promise<number> {
  const redis = new Redis(redisUrl);
  try {
    const info = await redis.info("cpu");
    const read = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info.replace(/\r/g, ""))?.[1] ?? NaN);
    return (read("used_cpu_user") + read("used_cpu_sys")) * 1000;
  } finally {
    redis.disconnect();
  }
}

/** A burst's figures, and why its failed joins failed: each error's text (its first 120 characters), how many times. */
async function storm(count: number, join: (i: number) => Promise<() => void>): Promise<{ figures: LatencyFigures; failed: Record<string, number> }> {
  const latencies: number[] = [];
  const leaves: (() => void)[] = [];
  const failed: Record<string, number> = {};
  let errors = 0;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const t0 = performance.now();
      try {
        leaves.push(await join(i));
        latencies.push(performance.now() - t0);
      } catch (error) {
        errors++;
        const text = (error instanceof Error ? error.message : String(error)).slice(0, 120);
        failed[text] = (failed[text] ?? 0) + 1;
      }
    }),
  );
  const totalMs = performance.now() - started;
  const cpu = process.cpuUsage(cpu0);
  for (const leave of leaves) leave();
  const figures = {
    joins: latencies.length,
    errors,
    botsCpuCores: (cpu.user + cpu.system) / 1000 / totalMs,
    joinsPerSecond: latencies.length / (totalMs / 1000),
    joinP50Ms: quantile(latencies, 0.5),
    joinP99Ms: quantile(latencies, 0.99),
    totalMs,
  };
  return { figures, failed };
}

export interface ReconnectFigures {
  clients: number;
  dropped: number;
  back: number;
  allBackMs: number;
  p50Ms: number;
  p99Ms: number;
}

/** `count` playing bots on one process; all drop at once; how long until each is back in its seat. */
export async function reconnectStorm(count: number, progress: (l: string) => void): Promise<ReconnectFigures> {
  const server = await spawnServer({ ...RAISED });
  const bots = Array.from({ length: count }, (_, i) => new Bot({ endpoint: server.endpoint, name: `r${i}` }));
  try {
    progress(`${count} bots joining`);
    await Promise.all(
      bots.map(async (bot, i) => {
        await new Promise((r) => setTimeout(r, i * 5));
        await bot.join();
        bot.start();
      }),
    );
    await new Promise((r) => setTimeout(r, 2000));
    progress(`dropping all ${count} at once`);
    const started = performance.now();
    const times: number[] = [];
    await Promise.all(
      bots.map(async (bot) => {
        await bot.dropAndReconnect();
        if (bot.counters.reconnects > 0) times.push(performance.now() - started);
      }),
    );
    return {
      clients: count,
      dropped: bots.filter((b) => b.counters.drops > 0).length,
      back: times.length,
      allBackMs: Math.max(...times),
      p50Ms: quantile(times, 0.5),
      p99Ms: quantile(times, 0.99),
    };
  } finally {
    await Promise.all(bots.map((b) => b.stop()));
    await server.stop();
  }
}

export interface SoakFigures {
  minutes: number;
  botsJoined: number;
  rssStartMb: number;
  rssEndMb: number;
  redisKeysStart: number;
  redisKeysEnd: number;
  errors: number;
  cpuMsPerSecond: number;
}

/** A soak's figures, and the first few of its bots' error texts (for the report's checks). */
export interface SoakResult {
  figures: SoakFigures;
  errorSamples: string[];
}

/** How many error texts a soak keeps. */
const SOAK_ERROR_SAMPLES = 10;

/**
 * A long run with room churn on two processes sharing Redis: bots join,
 * play and leave all the time. Memory and Redis keys at the end (everyone
 * gone) against the start.
 */
export async function soak(minutes: number, bots: number, redisUrl: string, progress: (l: string) => void): Promise<SoakResult> {
  const procs = await redisArena(redisUrl, 2);
  const redis = new Redis(redisUrl);
  const keys = async () => (await redis.keys("*")).filter((k) => !k.startsWith("arena:rl:")).length;
  try {
    await new Promise((r) => setTimeout(r, 2000));
    const rssStart = procs.map((p) => rssBytes(p.child.pid!));
    const keysStart = await keys();
    const cpuStart = procs.map((p) => cpuMs(p.child.pid!));
    const started = Date.now();
    let errors = 0;
    const errorSamples: string[] = [];
    let joined = 0;
    const active = new Set<Bot>();
    // Churn: keep about `bots` players; each plays 20 to 60 s, then leaves and a new one comes.
    while (Date.now() - started < minutes * 60_000) {
      while (active.size < bots) {
        const bot = new Bot({ endpoint: procs[joined % 2].endpoint, name: `soak ${joined++}`, dropRate: 1 / 120 });
        active.add(bot);
        bot.join().then(
          () => {
            bot.start();
            setTimeout(
              () => {
                active.delete(bot);
                errors += bot.counters.errors.length;
                errorSamples.push(...bot.counters.errors.slice(0, SOAK_ERROR_SAMPLES - errorSamples.length));
                void bot.stop();
              },
              20_000 + Math.random() * 40_000,
            );
          },
          (error: unknown) => {
            errors++;
            if (errorSamples.length < SOAK_ERROR_SAMPLES) errorSamples.push(`join: ${String(error)}`);
            active.delete(bot);
          },
        );
        await new Promise((r) => setTimeout(r, 30));
      }
      await new Promise((r) => setTimeout(r, 1000));
      const elapsed = Math.round((Date.now() - started) / 1000);
      if (elapsed % 60 === 0)
        progress(`${elapsed / 60} min, ${joined} bots so far, rss ${procs.map((p) => (rssBytes(p.child.pid!) / 2 ** 20).toFixed(0)).join("/")} MB`);
    }
    await Promise.all([...active].map((b) => b.stop()));
    // Let seats, rooms and listings clear, then compare.
    await waitFor("every room gone", async () => (await (await fetch(`${procs[0].endpoint}/api/rooms`)).json()).rooms.length === 0, 60_000).catch(() => {});
    await new Promise((r) => setTimeout(r, 5000));
    const seconds = (Date.now() - started) / 1000;
    const figures: SoakFigures = {
      minutes,
      botsJoined: joined,
      rssStartMb: rssStart.reduce((a, b) => a + b, 0) / 2 ** 20,
      rssEndMb: procs.reduce((n, p) => n + rssBytes(p.child.pid!), 0) / 2 ** 20,
      redisKeysStart: keysStart,
      redisKeysEnd: await keys(),
      errors,
      cpuMsPerSecond: procs.reduce((n, p, i) => n + cpuMs(p.child.pid!) - cpuStart[i], 0) / seconds,
    };
    return { figures, errorSamples };
  } finally {
    redis.disconnect();
    await Promise.all(procs.map((p) => p.stop()));
  }
}
