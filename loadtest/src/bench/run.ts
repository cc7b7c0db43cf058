/**
 * The benchmark harness: `npm run bench -- --scenario smoke [--out report.json] [--html report.html]`.
 * Prints progress on stderr, a Markdown table on stdout, and writes the JSON
 * and HTML reports when asked. Scenarios: smoke, capacity, join-storm,
 * reconnect-storm, soak (the Redis ones use database 14 by default, flushed),
 * hostile (legit bots beside hostile clients; not in npm test).
 */
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { html, markdown, type BenchReport } from "./report.ts";
import { runSmoke } from "./smoke.ts";
import { measureStep, type StepResult } from "./capacity.ts";
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
    "room-size": { type: "string", default: "8" },
    light: { type: "boolean", default: false },
    "no-baseline": { type: "boolean", default: false },
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
  const { arena, baseline } = await joinStorm(Number(args.joins), args.redis, progress);
  emit({
    scenario: "join-storm", date: new Date().toISOString(), machine: machine(),
    systems: { arena: { ...arena }, baseline: { ...baseline } },
    ratios: { joinP99Ms: arena.joinP99Ms / baseline.joinP99Ms, joinP50Ms: arena.joinP50Ms / baseline.joinP50Ms },
    checks: { arena: "two processes sharing Redis, joins alternating between them", baseline: "one Socket.IO process" },
  });
  process.exit(arena.errors === 0 ? 0 : 1);
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

/**
 * Raises concurrent players step by step, both systems at each step
 * (alternating), until the arena's tick p99 passes 10 ms or the bots use a
 * whole core (then the figures are the server's CPU per player at the
 * highest load reached, and the report says the bots were the limit).
 */
async function capacity(): Promise<void> {
  const steps: StepResult[] = [];
  let limit = "every step ran";
  for (const players of args.steps.split(",").map(Number)) {
    const roomSize = Number(args["room-size"]);
    const arena = await measureStep("arena", players, seconds, roomSize, progress, args.light);
    steps.push(arena);
    const baseline = args["no-baseline"] ? undefined : await measureStep("baseline", players, seconds, roomSize, progress);
    if (baseline) steps.push(baseline);
    if (arena.figures.tickP99Ms > 10) { limit = `arena tick p99 over 10 ms at ${players} players`; break; }
    // Ticks that start late mean the server's core is full, however short each tick is.
    if (arena.figures.tickIntervalP99Ms > 40) { limit = `arena tick interval p99 over 40 ms at ${players} players`; break; }
    if (Math.max(arena.botCpuShare, baseline?.botCpuShare ?? 0) > 0.9) { limit = `bots saturated their core at ${players} players (server figures are per player at that load)`; break; }
  }
  const last = (system: string) => steps.filter((s) => s.system === system).at(-1)!.figures;
  const hasBaseline = steps.some((s) => s.system === "baseline");
  const systems: Record<string, Record<string, number>> = { arena: { ...last("arena") } };
  if (hasBaseline) systems.baseline = { ...last("baseline") };
  const ratios = hasBaseline ? Object.fromEntries((["cpuMsPerClientSecond", "bytesPerClientSecond", "framesInPerClientSecond", "framesOutPerClientSecond", "tickP99Ms"] as const)
    .map((k) => [k, systems.arena[k] / systems.baseline[k]])) : {};
  const report: BenchReport = {
    scenario: "capacity", date: new Date().toISOString(), machine: machine(),
    systems, ratios, steps,
    checks: { limit, roomSize: Number(args["room-size"]), lightBots: args.light, joinErrors: steps.reduce((n, s) => n + s.joinErrors, 0) },
  };
  emit(report);
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
