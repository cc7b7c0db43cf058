/**
 * The benchmark harness: `npm run bench -- --scenario smoke [--out report.json] [--html report.html]`.
 * Prints progress on stderr, a Markdown table on stdout, and writes the JSON
 * and HTML reports when asked. Scenarios implemented: smoke, capacity.
 */
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { html, markdown, type BenchReport } from "./report.ts";
import { runSmoke } from "./smoke.ts";
import { measureStep, type StepResult } from "./capacity.ts";

const { values: args } = parseArgs({
  options: {
    scenario: { type: "string", default: "smoke" },
    out: { type: "string" },
    html: { type: "string" },
    bots: { type: "string", default: "24" },
    seconds: { type: "string", default: "20" },
    steps: { type: "string", default: "32,64,96,128,160" },
  },
});

const progress = (line: string) => process.stderr.write(`[${args.scenario}] ${line}\n`);

if (args.scenario === "capacity") {
  await capacity();
  process.exit(0);
}
if (args.scenario !== "smoke") {
  console.error(`Unknown or not yet implemented scenario "${args.scenario}". Implemented: smoke, capacity.`);
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
    const arena = await measureStep("arena", players, Number(args.seconds), progress);
    const baseline = await measureStep("baseline", players, Number(args.seconds), progress);
    steps.push(arena, baseline);
    if (arena.figures.tickP99Ms > 10) { limit = `arena tick p99 over 10 ms at ${players} players`; break; }
    if (Math.max(arena.botCpuShare, baseline.botCpuShare) > 0.9) { limit = `bots saturated their core at ${players} players (server figures are per player at that load)`; break; }
  }
  const last = (system: string) => steps.filter((s) => s.system === system).at(-1)!.figures;
  const systems = { arena: last("arena"), baseline: last("baseline") };
  const ratios = Object.fromEntries((["cpuMsPerClientSecond", "bytesPerClientSecond", "tickP99Ms"] as const)
    .map((k) => [k, systems.arena[k] / systems.baseline[k]]));
  const report: BenchReport = {
    scenario: "capacity", date: new Date().toISOString(), machine: { cpus: cpus().length, node: process.version },
    systems, ratios, steps,
    checks: { limit, joinErrors: steps.reduce((n, s) => n + s.joinErrors, 0) },
  };
  console.log(markdown(report));
  if (args.out) writeFileSync(args.out, JSON.stringify(report, null, 2));
  if (args.html) writeFileSync(args.html, html(report));
}

const result = await runSmoke({ bots: Number(args.bots), sampled: 4, drops: 4, seconds: Number(args.seconds), progress });
const report: BenchReport = {
  scenario: "smoke",
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, node: process.version },
  systems: { arena: result.figures },
  ratios: {},
  checks: {
    joined: `${result.joined}/${result.bots}`,
    errors: result.errors,
    reconnected: `${result.reconnected}/${result.dropped}`,
    stateMatches: result.stateMismatches.length === 0 ? `${result.sampledClients} sampled clients match the server` : result.stateMismatches,
  },
};
console.log(markdown(report));
if (args.out) writeFileSync(args.out, JSON.stringify(report, null, 2));
if (args.html) writeFileSync(args.html, html(report));
const ok = result.joined === result.bots && result.errors.length === 0 && result.reconnected === result.dropped && result.stateMismatches.length === 0;
process.exit(ok ? 0 : 1);
