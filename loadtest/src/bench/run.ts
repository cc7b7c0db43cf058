/**
 * The benchmark harness: `npm run bench -- --scenario smoke [--out report.json] [--html report.html]`.
 * Prints progress on stderr, a Markdown table on stdout, and writes the JSON
 * and HTML reports when asked. Scenarios: smoke, capacity, join-storm,
 * reconnect-storm, soak (the Redis ones use database 14 by default, flushed),
 * hostile (legit bots beside hostile clients; not in npm test).
 */
import { writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { html, markdown, type BenchReport } from "./report.ts";
import { runSmoke } from "./smoke.ts";
import { describeVariants, sweepRoomSize, type RoomSizeResult } from "./capacitySweep.ts";
import { parseVariants } from "./runtimeVariants.ts";
import { joinStorm, reconnectStorm, soak, soakErrors } from "./storms.ts";
import { runHostile } from "./hostile.ts";

const { values: args } = parseArgs({
  options: {
    scenario: { type: "string", default: "smoke" },
    out: { type: "string" },
    html: { type: "string" },
    bots: { type: "string", default: "24" },
    // Default 20, and 180 for hostile (a soak).
    seconds: { type: "string" },
    hostile: { type: "string", default: "8" },
    steps: { type: "string", default: "32,64,96,128,160" },
    joins: { type: "string", default: "200" },
    // join-storm: the arena with each of these numbers of processes sharing Redis.
    processes: { type: "string", default: "1,2" },
    // join-storm: quick-play seats only (HTTP, no WebSocket, no baseline), and every server process on CPU 0.
    "seats-only": { type: "boolean", default: false },
    "pin-servers": { type: "boolean", default: false },
    // join-storm: the arena's seat requests over this many kept-alive connections per process.
    "keep-alive": { type: "string" },
    // capacity: one size or several (`8,16`), each swept in turn.
    "room-size": { type: "string", default: "8" },
    light: { type: "boolean", default: false },
    "no-baseline": { type: "boolean", default: false },
    // capacity: the arena under other Node flags or binaries, e.g. "default,semi16=--max-semi-space-size=16,node22=/path/to/node".
    "arena-variants": { type: "string" },
    // capacity: profile the default arena at the highest step reached (a run of its own), files into --profile-dir.
    profile: { type: "boolean", default: false },
    "profile-dir": { type: "string", default: join(tmpdir(), "arena-bench-profiles") },
    // V8's sampling interval, µs (Node's default, 1000): the sampler's own cost grows with the rate.
    "profile-interval-us": { type: "string", default: "1000" },
    clients: { type: "string", default: "500" },
    minutes: { type: "string", default: "30" },
    redis: { type: "string", default: process.env.REDIS_BENCH_URL ?? "redis://127.0.0.1:6379/14" },
  },
});

const progress = (line: string) => process.stderr.write(`[${args.scenario}] ${line}\n`);
const seconds = Number(args.seconds ?? (args.scenario === "hostile" ? 180 : 20));

const machine = () => ({ cpus: cpus().length, node: process.version });
function emit(report: BenchReport): void {
  console.log(markdown(report));
  if (args.out) writeFileSync(args.out, JSON.stringify(report, null, 2));
  if (args.html) writeFileSync(args.html, html(report));
}

if (args.scenario === "capacity") {
  await capacity();
  process.exit(0);
}
if (args.scenario === "join-storm") {
  const counts = args.processes.split(",").map(Number);
  if (counts.some((n) => !Number.isInteger(n) || n < 1 || n > 8)) throw new Error(`--processes: a list of 1 to 8, not ${args.processes}`);
  const seatsOnly = args["seats-only"];
  const { arena, baseline, botsPinned } = await joinStorm(Number(args.joins), counts, args.redis, progress, { seatsOnly, pinServers: args["pin-servers"], keepAlive: args["keep-alive"] === undefined ? undefined : Number(args["keep-alive"]) });
  const systems: Record<string, Record<string, number>> = {};
  const ratios: Record<string, number> = {};
  for (const [n, figures] of Object.entries(arena)) {
    systems[`arena:${n}p`] = { ...figures };
    if (baseline !== undefined) ratios[`joinP99Ms:arena:${n}p/baseline`] = figures.joinP99Ms / baseline.joinP99Ms;
    ratios[`joinsPerSecond:arena:${n}p/arena:${counts[0]}p`] = figures.joinsPerSecond / arena[String(counts[0])].joinsPerSecond;
  }
  if (baseline !== undefined) systems.baseline = { ...baseline };
  emit({
    scenario: "join-storm", date: new Date().toISOString(), machine: machine(),
    systems, ratios,
    checks: {
      arena: `${counts.join(", ")} process(es) sharing Redis, joins spread over them in turn; seat = quick-play answer, join = ${seatsOnly ? "the seat (--seats-only)" : "request to first state"}`,
      baseline: seatsOnly ? "not run (--seats-only)" : "one Socket.IO process", botsPinnedToCpu1: botsPinned, serversPinnedToCpu0: args["pin-servers"],
    },
  });
  process.exit(Object.values(arena).every((f) => f.errors === 0) ? 0 : 1);
}
if (args.scenario === "reconnect-storm") {
  const result = await reconnectStorm(Number(args.clients), progress);
  emit({ scenario: "reconnect-storm", date: new Date().toISOString(), machine: machine(), systems: { arena: { ...result } }, ratios: {}, checks: { allBack: result.back === result.dropped } });
  process.exit(result.back === result.dropped ? 0 : 1);
}
if (args.scenario === "soak") {
  const result = await soak(Number(args.minutes), Number(args.bots), args.redis, progress);
  emit({ scenario: "soak", date: new Date().toISOString(), machine: machine(), systems: { arena: { ...result } }, ratios: {}, checks: { redisKeysBack: result.redisKeysEnd <= result.redisKeysStart, errorSamples: soakErrors } });
  process.exit(0);
}
if (args.scenario === "hostile") {
  const result = await runHostile({ bots: Number(args.bots), hostile: Number(args.hostile), seconds, progress });
  const { calm, hostile } = result;
  emit({
    scenario: "hostile", date: new Date().toISOString(), machine: machine(),
    systems: { calm: { ...calm }, hostile: { ...hostile } },
    ratios: Object.fromEntries((["patchGapP99Ms", "patchGapMaxMs", "arrivalGapP99Ms", "rssEndMegabytes"] as const).map((k) => [k, hostile[k] / calm[k]])),
    checks: {
      serverAlive: result.serverExit === null ? "yes" : result.serverExit,
      rssMegabytes: { start: result.rssStartMegabytes, max: result.rssMaxMegabytes, end: result.rssEndMegabytes },
      rssOverTime: result.rssOverTime,
      hostileActions: result.actions, hostileCloseCodes: result.closeCodes, serverEvents: result.serverEvents,
      errorSamples: result.errorSamples,
    },
  });
  process.exit(result.serverExit === null && hostile.healthFailures === 0 ? 0 : 1);
}
if (args.scenario !== "smoke") {
  console.error(`Unknown scenario "${args.scenario}". Scenarios: smoke, capacity, join-storm, reconnect-storm, soak, hostile.`);
  process.exit(2);
}

/** Every room size in turn; the report keeps each size's results, the first size's also at the top as before. */
async function capacity(): Promise<void> {
  const roomSizes = args["room-size"].split(",").map(Number);
  const variants = parseVariants(args["arena-variants"]);
  const options = {
    steps: args.steps.split(",").map(Number), seconds, light: args.light, baseline: !args["no-baseline"], variants,
    profile: args.profile ? { dir: args["profile-dir"], intervalMicros: Number(args["profile-interval-us"]) } : undefined, progress,
  };
  const results: RoomSizeResult[] = [];
  for (const roomSize of roomSizes) results.push(await sweepRoomSize(roomSize, options));
  const [first] = results;
  emit({
    scenario: "capacity", date: new Date().toISOString(), machine: machine(),
    systems: Object.fromEntries(Object.entries(first.systems).map(([name, f]) => [name, { ...f }])), ratios: first.ratios, steps: first.steps,
    roomSizes: Object.fromEntries(results.map((r) => [String(r.roomSize), r])),
    checks: {
      limit: first.limit, roomSize: first.roomSize, roomSizes, lightBots: args.light,
      joinErrors: results.reduce((n, r) => n + r.steps.reduce((m, s) => m + s.joinErrors, 0), 0),
      arenaVariants: describeVariants(variants),
    },
  });
}

const result = await runSmoke({ bots: Number(args.bots), sampled: 4, drops: 4, seconds, progress });
const report: BenchReport = {
  scenario: "smoke",
  date: new Date().toISOString(),
  machine: machine(),
  systems: { arena: { ...result.figures } },
  ratios: {},
  checks: {
    joined: `${result.joined}/${result.bots}`,
    errors: result.errors,
    reconnected: `${result.reconnected}/${result.dropped}`,
    stateMatches: result.stateMismatches.length === 0 ? `${result.sampledClients} sampled clients match the server` : result.stateMismatches,
  },
};
emit(report);
const ok = result.joined === result.bots && result.errors.length === 0 && result.reconnected === result.dropped && result.stateMismatches.length === 0;
process.exit(ok ? 0 : 1);
