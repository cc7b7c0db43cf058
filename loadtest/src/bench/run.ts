/**
 * The benchmark harness: `npm run bench -- --scenario smoke [--out report.json] [--html report.html]`.
 * Prints progress on stderr, a Markdown table on stdout, and writes the JSON
 * and HTML reports when asked. Scenarios: smoke, capacity, join-storm,
 * reconnect-storm, soak (the Redis ones use database 14 by default, flushed),
 * hostile (legit bots beside hostile clients; not in npm test).
 *
 * Exit status: 0 when the run met its checks, 1 when it did not, 2 for
 * arguments it cannot run (the message names each one; benchArgs.ts).
 */
import { writeFileSync } from "node:fs";
import { BenchArgsError, parseBenchArgs, type BenchArgs } from "./benchArgs.ts";
import { html, markdown } from "./report.ts";
import { SCENARIOS } from "./scenarios.ts";

let args: BenchArgs;
try {
  args = parseBenchArgs(process.argv.slice(2), process.env);
} catch (error) {
  if (!(error instanceof BenchArgsError)) throw error;
  console.error(error.message);
  process.exit(2);
}

const progress = (line: string) => process.stderr.write(`[${args.scenario}] ${line}\n`);
const { report, ok } = await SCENARIOS[args.scenario](args, progress);
console.log(markdown(report));
if (args.out) writeFileSync(args.out, JSON.stringify(report, null, 2));
if (args.html) writeFileSync(args.html, html(report));
process.exit(ok ? 0 : 1);
