/**
 * Benchmark (not a test): what sending input frames in groups costs in input
 * delay at the server, and what it does to the steps the server runs.
 *
 * SDK clients in this process, against a server in this process (one
 * clock, loopback, no added latency), send input frames as the browser
 * client does: a FixedStepper driven by a 60 Hz display frame, each step's
 * frame through InputGroup, some clients alone (group of 1, the SDK's own
 * path) and others in groups of 2, 3 and 4, all at once. Each frame is timed
 * when sampled (its `send()`) and when the room simulates it (its input
 * accessor's `next()`, the n-th one being seq n); the delay between the two
 * is the client's wait for the rest of its group, the wait for the next
 * tick, and any wait in the server's input buffer. Also counted, per size:
 * ticks that ran two or more of a player's frames (a burst), and patch
 * intervals in which the player did not move at all (what a remote player
 * sees as a stop).
 *
 *   npm run bench:inputs -w server [-- --seconds 20 --clients 4 --sizes 1,2,3,4]
 */
import { parseArgs } from "node:util";
import { matchMaker } from "@colyseus/core";
import { Client, type Room } from "@colyseus/sdk";
import { ArenaState, FixedStepper, InputFrameSchema, InputGroup, PROTOCOL_VERSION, STEP_SECONDS } from "@arena/shared";
import { quantile } from "@arena/testkit";
import { startServer } from "../test/helpers/servers.ts";

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "20" },
    clients: { type: "string", default: "4" },
    sizes: { type: "string", default: "1,2,3,4" },
  },
});
const SECONDS = Number(args.seconds);
const CLIENTS = Number(args.clients);
const SIZES = args.sizes.split(",").map(Number);
/** The display frame the stepper is driven by, ms (a 60 Hz screen). */
const DISPLAY_FRAME_MS = 1000 / 60;
/** Frames sampled in the first seconds are left out: joins, first patches, clock sync. */
const WARMUP_MS = 3000;
/** Two frames simulated closer than this ran in the same tick (ticks are 33 ms apart; a tick's frames, microseconds). */
const SAME_TICK_MS = 5;

interface Player {
  size: number;
  sessionId: string;
  /** When each frame was sampled, by seq (1-based). */
  sampledAt: number[];
  /** When the server simulated each frame, in order (the n-th is seq n). */
  simulatedAt: number[];
  discarded: number;
}

interface ObservedRoom {
  patchAt: number[];
}

const server = await startServer({
  RATE_JOINS_PER_MINUTE: "100000",
  RATE_CONNECTIONS_PER_MINUTE: "100000",
  RATE_CREATES_PER_MINUTE: "100000",
  MAX_SOCKETS_PER_ADDRESS: "100000",
});
const players = new Map<string, Player>();
const rooms = new Map<string, ObservedRoom>();

/** Watches a room's input accessors and patches (core's `inputs.get`, `broadcastPatch`), once. */
function observe(roomId: string): void {
  if (rooms.has(roomId)) return;
  const observed: ObservedRoom = { patchAt: [] };
  rooms.set(roomId, observed);
  const room = matchMaker.getLocalRoomById(roomId) as unknown as {
    inputs: { get(sessionId: string): { next(): unknown; take(n: number): unknown[] } };
    broadcastPatch(): boolean;
  };
  const patch = room.broadcastPatch.bind(room);
  room.broadcastPatch = () => {
    observed.patchAt.push(performance.now());
    return patch();
  };
  const get = room.inputs.get.bind(room.inputs);
  const wrapped = new WeakSet<object>();
  room.inputs.get = (sessionId) => {
    const accessor = get(sessionId);
    const player = players.get(sessionId);
    if (player === undefined || wrapped.has(accessor)) return accessor;
    {
      wrapped.add(accessor);
      const next = accessor.next.bind(accessor);
      const take = accessor.take.bind(accessor);
      accessor.next = () => {
        const frame = next();
        if (frame !== undefined) player.simulatedAt.push(performance.now());
        return frame;
      };
      accessor.take = (n) => {
        const taken = take(n);
        player.discarded += taken.length;
        return taken;
      };
    }
    return accessor;
  };
}

const sdkRooms: Room<any, ArenaState>[] = [];
const timers: ReturnType<typeof setInterval>[] = [];
const startedAt = performance.now();
for (let c = 0; c < CLIENTS; c++) {
  for (const size of SIZES) {
    const room = (await new Client(server.endpoint).joinOrCreate("arena", { name: `G${size}-${c}`, protocol: PROTOCOL_VERSION }, ArenaState)) as Room<
      any,
      ArenaState
    >;
    sdkRooms.push(room);
    room.onMessage("*", () => {});
    observe(room.roomId);
    const player: Player = { size, sessionId: room.sessionId, sampledAt: [], simulatedAt: [], discarded: 0 };
    players.set(room.sessionId, player);
    const input = room.input<InputFrameSchema>({ type: InputFrameSchema });
    const frames = new InputGroup(room, input, size);
    const stepper = new FixedStepper(STEP_SECONDS * 1000);
    // A random phase against the server's ticks, as players have.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * STEP_SECONDS * 1000));
    let last = performance.now();
    timers.push(
      setInterval(() => {
        const now = performance.now();
        const steps = stepper.advance(now - last);
        last = now;
        for (let i = 0; i < steps; i++) {
          // Walk back and forth along x, so a remote player would see every step.
          input.data.moveX = Math.floor(player.sampledAt.length / 45) % 2 === 0 ? 1 : -1;
          const seq = frames.send();
          if (seq > 0) player.sampledAt[seq - 1] = performance.now();
        }
      }, DISPLAY_FRAME_MS),
    );
  }
}
console.error(`# ${players.size} players in ${rooms.size} rooms, ${SECONDS} s`);
await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
for (const timer of timers) clearInterval(timer);
await new Promise((resolve) => setTimeout(resolve, 500));
await Promise.all(sdkRooms.map((room) => room.leave().catch(() => {})));
await server.stop();

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

console.log(`# Input delay at the server, by frames per message (${CLIENTS} clients each, ${SECONDS} s, loopback, no added latency)\n`);
console.log(
  "| frames per message | messages per second | delay sampled → simulated, ms: mean / p50 / p90 / max | frames run in the same tick as the one before | patch intervals with no step | frames discarded |",
);
console.log("|---:|---:|---|---:|---:|---:|");
const baseMean: number[] = [];
for (const size of SIZES) {
  const group = [...players.values()].filter((p) => p.size === size);
  const delays: number[] = [];
  let pairs = 0,
    sameTick = 0,
    intervals = 0,
    stops = 0,
    discarded = 0,
    frames = 0;
  for (const p of group) {
    discarded += p.discarded;
    const simulated = Math.min(p.simulatedAt.length, p.sampledAt.length);
    for (let i = 0; i < simulated; i++) {
      if (p.sampledAt[i] - startedAt < WARMUP_MS) continue;
      delays.push(p.simulatedAt[i] - p.sampledAt[i]);
      frames++;
      if (i === 0) continue;
      pairs++;
      if (p.simulatedAt[i] - p.simulatedAt[i - 1] < SAME_TICK_MS) sameTick++;
    }
    // Patch intervals while the player's frames flowed steadily (after warm-up, before it stopped sending).
    const patches = rooms.get(sdkRooms.find((r) => r.sessionId === p.sessionId)!.roomId)!.patchAt;
    const from = p.simulatedAt[p.sampledAt.findIndex((t) => t - startedAt >= WARMUP_MS)] ?? Infinity;
    const to = p.simulatedAt.at(-30) ?? -Infinity;
    let k = 0;
    for (let j = 1; j < patches.length; j++) {
      if (patches[j - 1] < from || patches[j] > to) continue;
      while (k < p.simulatedAt.length && p.simulatedAt[k] <= patches[j - 1]) k++;
      let n = 0;
      while (k + n < p.simulatedAt.length && p.simulatedAt[k + n] <= patches[j]) n++;
      intervals++;
      if (n === 0) stops++;
    }
  }
  delays.sort((a, b) => a - b);
  const m = mean(delays);
  baseMean.push(m);
  const perSecond = 1000 / (STEP_SECONDS * 1000 * size);
  console.log(
    `| ${size} | ${perSecond.toFixed(1)} | ${m.toFixed(1)} / ${quantile(delays, 0.5).toFixed(1)} / ${quantile(delays, 0.9).toFixed(1)} / ${delays.at(-1)?.toFixed(1)} (${size === SIZES[0] ? "" : `+${(m - baseMean[0]).toFixed(1)} `}over ${frames} frames) | ${((100 * sameTick) / Math.max(1, pairs)).toFixed(1)}% | ${((100 * stops) / Math.max(1, intervals)).toFixed(1)}% | ${discarded} |`,
  );
}
process.exit(0);
