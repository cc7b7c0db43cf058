/**
 * The benchmark harness: `npm run bench -- --scenario smoke [--out report.json] [--html report.html]`.
 * Prints progress on stderr, a Markdown table on stdout, and writes the JSON
 * and HTML reports when asked. Scenarios implemented: smoke.
 */
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { html, markdown, type BenchReport } from "./report.ts";
import { runSmoke } from "./smoke.ts";

const { values: args } = parseArgs({
  options: {
    scenario: { type: "string", default: "smoke" },
    out: { type: "string" },
    html: { type: "string" },
    bots: { type: "string", default: "24" },
    seconds: { type: "string", default: "20" },
  },
});

const progress = (line: string) => process.stderr.write(`[${args.scenario}] ${line}\n`);

if (args.scenario !== "smoke") {
  console.error(`Unknown or not yet implemented scenario "${args.scenario}". Implemented: smoke.`);
  process.exit(2);
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
