/**
 * Benchmark (not a test): the cost of one simulation tick with 16 players,
 * and the bytes of a patch for the schema field types chosen in
 * shared/src/schema/ArenaState.ts against the same state with plain `number`
 * fields. Every figure is measured in this run against its baseline.
 *
 *   npm run bench:sim        (from the root; add -- --rounds 9 for more rounds)
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Encoder, schema, t } from "@colyseus/schema";
import {
  ArenaState,
  Pickup,
  Player,
  STEP_SECONDS,
  TICK_RATE_HZ,
  createPlainWorld,
  initWorld,
  joinPlayer,
  livePositions,
  newPlainPlayer,
  stepTick,
  type PlayerState,
  type SimEvent,
  type WorldState,
} from "@arena/shared";
import { median } from "@arena/testkit";
import { botInputs } from "./botInputs.ts";

const { values: args } = parseArgs({
  options: { rounds: { type: "string", default: "7" }, players: { type: "string", default: "16" } },
});
const ROUNDS = Number(args.rounds);
const PLAYERS = Number(args.players);
const TICKS = 30 * TICK_RATE_HZ; // 30 s of play per round
/** Per client, per patch: the message code and Colyseus's TIMED prefix (server time, input ack). */
const PATCH_HEADER_BYTES = 9;

// The same state with every numeric field a plain `number`: the baseline.
const NumberPlayer = schema(
  {
    name: t.string().default(""),
    x: t.number().default(0),
    y: t.number().default(0),
    aim: t.number().default(0),
    hp: t.number().default(0),
    score: t.number().default(0),
    alive: t.boolean().default(false),
    connected: t.boolean().default(true),
    shielded: t.boolean().default(false),
    fireCooldownS: t.number().noSync().default(0),
    respawnS: t.number().noSync().default(0),
    shieldS: t.number().noSync().default(0),
  },
  "NumberPlayer",
);
const NumberPickup = schema(
  {
    x: t.number().default(0),
    y: t.number().default(0),
    active: t.boolean().default(true),
    respawnS: t.number().noSync().default(0),
  },
  "NumberPickup",
);
const NumberArenaState = schema(
  {
    players: t.map(NumberPlayer),
    pickups: t.array(NumberPickup),
    mode: t.string().default("ffa"),
    phase: t.string().default("playing"),
    round: t.number().default(1),
    phaseSecondsLeft: t.number().default(0),
    phaseTimeS: t.number().noSync().default(0),
    roundLengthS: t.number().noSync().default(0),
    rngState: t.number().noSync().default(0),
  },
  "NumberArenaState",
);

function populate<P extends PlayerState>(world: WorldState<P>, newPlayer: () => P): string[] {
  const ids = Array.from({ length: PLAYERS }, (_, i) => `player${i}`);
  ids.forEach((id, i) => joinPlayer(world, id, newPlayer(), `Bot ${i}`));
  return ids;
}

/** Runs TICKS ticks; returns per-tick milliseconds (median of the round). */
function timeTicks(world: WorldState, ids: string[], seed: number): number {
  const inputs = botInputs(seed, ids.length);
  const events: SimEvent[] = [];
  const samples: number[] = [];
  for (let tick = 0; tick < TICKS; tick++) {
    const frames = inputs(tick);
    const byId = new Map(ids.map((id, i) => [id, [frames[i]]]));
    const start = performance.now();
    stepTick(
      world,
      (id) => byId.get(id) ?? [],
      STEP_SECONDS,
      () => livePositions,
      events,
    );
    samples.push(performance.now() - start);
    events.length = 0;
  }
  return median(samples);
}

function schemaWorld(): { world: ArenaState; ids: string[] } {
  const world = new ArenaState();
  initWorld(world, "ffa", 1, () => new Pickup());
  return { world, ids: populate(world, () => new Player()) };
}

/**
 * Average bytes of one patch to one client when patches go out every
 * `patchMs` on their own timer, as Colyseus sends them (a patch carries the
 * latest value of each field changed since the previous one).
 */
function patchBytes(kind: "chosen" | "number", patchMs: number, seed: number): { perPatch: number; perSecond: number } {
  const chosen = kind === "chosen";
  const world = (chosen ? new ArenaState() : new NumberArenaState()) as ArenaState;
  initWorld(world, "ffa", 1, () => (chosen ? new Pickup() : new NumberPickup()));
  const ids = populate(world, () => (chosen ? new Player() : new NumberPlayer()));
  const encoder = new Encoder(world);
  encoder.encodeAll();
  encoder.discardChanges();
  const inputs = botInputs(seed, ids.length);
  const events: SimEvent[] = [];
  let bytes = 0;
  let patches = 0;
  let nextPatchMs = patchMs;
  for (let tick = 1; tick <= TICKS; tick++) {
    const frames = inputs(tick);
    const byId = new Map(ids.map((id, i) => [id, [frames[i]]]));
    stepTick(
      world,
      (id) => byId.get(id) ?? [],
      STEP_SECONDS,
      () => livePositions,
      events,
    );
    events.length = 0;
    const nowMs = (tick * 1000) / TICK_RATE_HZ;
    while (nextPatchMs <= nowMs) {
      bytes += PATCH_HEADER_BYTES + encoder.encode().byteLength;
      encoder.discardChanges();
      patches++;
      nextPatchMs += patchMs;
    }
  }
  const perPatch = bytes / patches;
  return { perPatch, perSecond: (bytes * TICK_RATE_HZ) / TICKS };
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

console.log(`# Simulation benchmark: ${PLAYERS} players, ${TICKS} ticks per round, ${ROUNDS} rounds (medians)\n`);

const plainTimes: number[] = [];
const schemaTimes: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  // Alternate so both see the same machine noise.
  const plain = createPlainWorld("ffa", 1);
  plainTimes.push(timeTicks(plain, populate(plain, newPlainPlayer), round));
  const { world, ids } = schemaWorld();
  schemaTimes.push(timeTicks(world, ids, round));
}
const plainMs = median(plainTimes);
const schemaMs = median(schemaTimes);
console.log("## Tick cost (stepTick, one input frame per player per tick)\n");
console.log("| world | µs per tick | ms per second of play | ratio |");
console.log("|---|---:|---:|---:|");
console.log(`| plain objects (baseline) | ${fmt(plainMs * 1000)} | ${fmt(plainMs * TICK_RATE_HZ, 3)} | 1.00 |`);
console.log(`| schema state (server) | ${fmt(schemaMs * 1000)} | ${fmt(schemaMs * TICK_RATE_HZ, 3)} | ${fmt(schemaMs / plainMs, 2)} |`);

console.log(`\n## Bytes per patch per client, ${PLAYERS} moving players, one patch every 50 ms (the default)\n`);
console.log("| field types | bytes per patch | bytes per second | ratio |");
console.log("|---|---:|---:|---:|");
const baseline = patchBytes("number", 50, 7);
const chosen = patchBytes("chosen", 50, 7);
console.log(`| plain \`number\` fields (baseline) | ${fmt(baseline.perPatch)} | ${fmt(baseline.perSecond, 0)} | 1.00 |`);
console.log(
  `| chosen types (16-bit position and angle, uint8/16) | ${fmt(chosen.perPatch)} | ${fmt(chosen.perSecond, 0)} | ${fmt(chosen.perSecond / baseline.perSecond, 2)} |`,
);

console.log("\n## Patch rate: bytes against smoothness (chosen types)\n");
console.log("A remote player is drawn interpolating between patches, so the patch interval");
console.log("is the least interpolation delay that never runs dry; two intervals leave room for one late patch.\n");
console.log("| patch interval | patches per second | bytes per second per client | vs 33 ms | interpolation delay for 2 patches |");
console.log("|---:|---:|---:|---:|---:|");
const everyTick = patchBytes("chosen", 1000 / TICK_RATE_HZ, 7).perSecond;
for (const ms of [1000 / TICK_RATE_HZ, 50, 1000 / 15, 100]) {
  const { perSecond } = patchBytes("chosen", ms, 7);
  console.log(`| ${fmt(ms)} ms | ${fmt(1000 / ms)} | ${fmt(perSecond, 0)} | ${fmt(perSecond / everyTick, 2)} | ${fmt(2 * ms, 0)} ms |`);
}
