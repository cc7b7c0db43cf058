/**
 * Benchmark (not a test): what recording replays costs. The tick's cost with
 * a ReplayWriter tapping stepTick's callbacks against the same tick without
 * it (alternating rounds, same inputs, the server's schema world); decoding
 * and replaying speed; then a real match (an in-process server, SDK players
 * that run about, aim at the nearest player and fire) for the replay's size
 * per player-minute as the server stores it (gzip).
 *
 *   npm run bench:replay -w server            (-- --rounds 7 --players 16 --match-players 8 --seconds 60; --seconds 0: no match)
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { gunzipSync, gzipSync } from "node:zlib";
import {
  ArenaState,
  PICKUP_SPOTS,
  Pickup,
  Player,
  ReplayRunner,
  ReplayWriter,
  STEP_SECONDS,
  TICK_RATE_HZ,
  decodeReplay,
  initWorld,
  joinPlayer,
  nextRandom,
  snapshotWorld,
  stepTick,
  type SeenBy,
  type SimEvent,
} from "@arena/shared";
import { TestPlayer, median, waitFor } from "@arena/testkit";
import { MemoryReplayStore } from "../test/helpers/replays.ts";
import { botInputs } from "./botInputs.ts";
import { startServer } from "../test/helpers/servers.ts";

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "7" },
    players: { type: "string", default: "16" },
    "match-players": { type: "string", default: "8" },
    seconds: { type: "string", default: "60" },
  },
});
const ROUNDS = Number(args.rounds);
const PLAYERS = Number(args.players);
const MATCH_PLAYERS = Number(args["match-players"]);
const MATCH_SECONDS = Number(args.seconds);
const TICKS = 30 * TICK_RATE_HZ; // 30 s of play per round
const fmt = (n: number, digits = 1) => n.toFixed(digits);

/** Shots see their targets a little behind, as the rewind answers (arbitrary doubles). */
const seenAt = { x: 0, y: 0 };
const rewound: SeenBy = () => (_id, target) => {
  seenAt.x = target.x - 3.25;
  seenAt.y = target.y + 1.5;
  return seenAt;
};

/** One round of TICKS ticks on a fresh schema world; per-tick ms (median), and the replay if recorded. */
function round(seed: number, record: boolean): { ms: number; raw?: Uint8Array } {
  const world = new ArenaState();
  initWorld(world, "ffa", seed, () => new Pickup());
  const ids = Array.from({ length: PLAYERS }, (_, i) => `player${i}`);
  ids.forEach((id, i) => joinPlayer(world, id, new Player(), `Bot ${i}`));
  const writer = record ? new ReplayWriter({ roomId: "bench", mode: "ffa", tickRate: TICK_RATE_HZ, dt: STEP_SECONDS, start: snapshotWorld(world) }) : undefined;
  const inputs = botInputs(seed, PLAYERS);
  const events: SimEvent[] = [];
  const samples: number[] = [];
  for (let tick = 0; tick < TICKS; tick++) {
    const frames = inputs(tick);
    const byId = new Map(ids.map((id, i) => [id, [frames[i]]]));
    const framesOf = (id: string) => byId.get(id) ?? [];
    const start = performance.now();
    const tap = writer?.beginStep(framesOf, rewound);
    stepTick(world, tap?.framesOf ?? framesOf, STEP_SECONDS, tap?.seenBy ?? rewound, events);
    writer?.endStep();
    samples.push(performance.now() - start);
    events.length = 0;
  }
  if (writer?.failure !== undefined) throw new Error(writer.failure);
  return { ms: median(samples), raw: writer?.finish({ id: "benchbenchbench0", startedAt: 0, endedAt: 0 }) };
}

console.log(`# Replay benchmark\n`);
console.log(`## Recording cost: ${PLAYERS} players, one frame each per tick, ${TICKS} ticks per round, ${ROUNDS} rounds each way (medians)\n`);
const plain: number[] = [];
const recorded: number[] = [];
let raw: Uint8Array = new Uint8Array();
// One round each first, not counted: the JIT compiles both paths before either is timed.
round(ROUNDS, false);
round(ROUNDS, true);
for (let r = 0; r < ROUNDS; r++) {
  // Alternate so both see the same machine noise.
  plain.push(round(r, false).ms);
  const result = round(r, true);
  recorded.push(result.ms);
  raw = result.raw!;
}
const plainUs = median(plain) * 1000;
const recordedUs = median(recorded) * 1000;
console.log("| tick | µs per tick | ratio |");
console.log("|---|---:|---:|");
console.log(`| stepTick, not recording (baseline) | ${fmt(plainUs)} | 1.00 |`);
console.log(`| stepTick through a ReplayWriter's tap | ${fmt(recordedUs)} | ${fmt(recordedUs / plainUs, 2)} |`);
console.log(`\nRecording adds ${fmt(recordedUs - plainUs)} µs per tick for ${PLAYERS} players (${fmt((recordedUs - plainUs) / PLAYERS, 2)} µs per player).`);

const playerMinutes = (PLAYERS * TICKS) / TICK_RATE_HZ / 60;
const gz = gzipSync(raw);
console.log(
  `\nThis synthetic play (every frame a new aim): ${fmt(raw.length / playerMinutes / 1024)} KB raw, ${fmt(gz.length / playerMinutes / 1024)} KB gzip per player-minute.`,
);
// The first run of each includes the JIT's compiling (what a page opening a replay pays); the median of the last 5 of 10 is the steady figure.
const decodeMs: number[] = [];
const runMs: number[] = [];
const seekMs: number[] = [];
for (let i = 0; i < 10; i++) {
  const decodeStart = performance.now();
  const replay = decodeReplay(raw);
  decodeMs.push(performance.now() - decodeStart);
  const runStart = performance.now();
  const runner = new ReplayRunner(replay);
  runner.runTo(runner.totalTicks);
  runMs.push(performance.now() - runStart);
  const seekStart = performance.now();
  runner.seek(TICKS / 2 + 17);
  seekMs.push(performance.now() - seekStart);
}
const steady = (samples: number[]) => median(samples.slice(-5));
console.log(`\n| replaying it (${fmt(raw.length / 1024)} KB raw, ${TICKS} ticks) | first run, ms | then (median), ms |`);
console.log("|---|---:|---:|");
console.log(`| decodeReplay (checks every byte) | ${fmt(decodeMs[0])} | ${fmt(steady(decodeMs), 2)} |`);
console.log(
  `| ReplayRunner, every tick on a plain world | ${fmt(runMs[0])} | ${fmt(steady(runMs), 2)} (${fmt((TICKS / TICK_RATE_HZ / steady(runMs)) * 1000, 0)}x real time) |`,
);
console.log(`| seek back from the end to tick ${TICKS / 2 + 17} (reruns from the keyframe at 300) | ${fmt(seekMs[0])} | ${fmt(steady(seekMs), 2)} |`);

if (MATCH_SECONDS === 0) process.exit(0);
console.log(`\n## A real match: ${MATCH_PLAYERS} SDK players for ${MATCH_SECONDS} s, in-process server, replay as stored\n`);
const store = new MemoryReplayStore();
const server = await startServer(
  { LOG_LEVEL: "warn", [`ROOM_CAPACITY`]: String(Math.max(16, MATCH_PLAYERS)), RATE_JOINS_PER_MINUTE: "1000" },
  { replays: store },
);
const players: TestPlayer[] = [];
for (let i = 0; i < MATCH_PLAYERS; i++) players.push(await TestPlayer.join(server.endpoint, `Bot ${i}`));
let seed = 99;
const rand = () => {
  const [n, v] = nextRandom(seed);
  seed = n;
  return v;
};
const heading = players.map(() => rand() * Math.PI * 2);
/** Each tick: run about (a new heading now and then, a pickup when hurt), aim at the nearest live player, fire when near. */
const brain = setInterval(() => {
  players.forEach((p, i) => {
    const me = p.state.players.get(p.id);
    if (me === undefined) return;
    let nearest: { x: number; y: number; d: number } | undefined;
    p.state.players.forEach((other, id) => {
      if (id === p.id || !other.alive || !other.connected) return;
      const d = Math.hypot(other.x - me.x, other.y - me.y);
      if (nearest === undefined || d < nearest.d) nearest = { x: other.x, y: other.y, d };
    });
    if (rand() < 0.03) heading[i] = rand() * Math.PI * 2;
    let goal = { x: me.x + Math.cos(heading[i]) * 100, y: me.y + Math.sin(heading[i]) * 100 };
    if (me.hp < 60) goal = PICKUP_SPOTS[i % PICKUP_SPOTS.length];
    const gx = goal.x - me.x;
    const gy = goal.y - me.y;
    const gd = Math.hypot(gx, gy) || 1;
    p.controls.moveX = gx / gd;
    p.controls.moveY = gy / gd;
    if (nearest !== undefined) p.controls.aim = Math.atan2(nearest.y - me.y, nearest.x - me.x) + (rand() - 0.5) * 0.1;
    p.controls.fire = nearest !== undefined && nearest.d < 700 && rand() < 0.6;
  });
}, 1000 / TICK_RATE_HZ);
for (const p of players) p.play();
await new Promise((resolve) => setTimeout(resolve, MATCH_SECONDS * 1000));
clearInterval(brain);
await Promise.all(players.map((p) => p.leave()));
const saved = await waitFor("the replay saved", () => store.replays[0], 15_000);
await server.stop();
const matchRaw = gunzipSync(saved.gzipped);
const match = decodeReplay(matchRaw);
const matchRunner = new ReplayRunner(match);
let presentTicks = 0;
let kills = 0;
let shots = 0;
for (let tick = 1; tick <= matchRunner.totalTicks; tick++) {
  matchRunner.runTo(tick, (event) => {
    if (event.type === "kill") kills++;
    if (event.type === "shot") shots++;
  });
  presentTicks += matchRunner.world.players.size;
}
const matchPlayerMinutes = presentTicks / TICK_RATE_HZ / 60;
console.log("| figure | value |");
console.log("|---|---:|");
console.log(`| ticks recorded | ${match.meta.ticks} (${fmt(match.meta.ticks / TICK_RATE_HZ)} s) |`);
console.log(`| player-minutes (players in the world, summed over ticks) | ${fmt(matchPlayerMinutes, 2)} |`);
console.log(`| shots, kills | ${shots}, ${kills} |`);
console.log(`| raw replay | ${fmt(matchRaw.length / 1024)} KB (${fmt(matchRaw.length / matchPlayerMinutes / 1024, 2)} KB per player-minute) |`);
console.log(
  `| stored (gzip) | ${fmt(saved.gzipped.length / 1024)} KB (**${fmt(saved.gzipped.length / matchPlayerMinutes / 1024, 2)} KB per player-minute**) |`,
);
console.log(
  `| an hour of an ${MATCH_PLAYERS}-player match, stored | ${fmt(((saved.gzipped.length / matchPlayerMinutes) * MATCH_PLAYERS * 60) / 1024 / 1024, 2)} MB |`,
);
process.exit(0);
