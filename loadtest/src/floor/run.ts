/**
 * `npm run bench:floor -w loadtest -- [--clients 256,1024] [--seconds 10]
 *   [--in-hz 15] [--in-bytes 40] [--out-hz 20] [--out-bytes 90]`: the
 * transport floor (floor.ts) at each client count. Defaults are the arena's
 * (README, "Benchmark figures"): an input group of two frames 15 times a
 * second, a patch 20 times a second, about 90 bytes.
 */
import { parseArgs } from "node:util";
import { measureFloor } from "./floor.ts";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "256,1024" },
    seconds: { type: "string", default: "10" },
    "in-hz": { type: "string", default: "15" },
    "in-bytes": { type: "string", default: "40" },
    "out-hz": { type: "string", default: "20" },
    "out-bytes": { type: "string", default: "90" },
  },
});

function positive(name: string, text: string | undefined, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    console.error(`--${name} must be a whole number from 1 to ${max} (got ${text})`);
    process.exit(2);
  }
  return value;
}

const steps = (values.clients ?? "").split(",").map((step) => positive("clients", step, 20_000));
const seconds = positive("seconds", values.seconds, 600);
const inHz = positive("in-hz", values["in-hz"], 240);
const inBytes = positive("in-bytes", values["in-bytes"], 4096);
const outHz = positive("out-hz", values["out-hz"], 240);
const outBytes = positive("out-bytes", values["out-bytes"], 65_536);

console.log(`Transport floor: bare ws, ${inHz} messages of ${inBytes} B in and ${outHz} frames of ${outBytes} B out per client-second, ${seconds} s per step`);
console.log("");
console.log("| clients | server CPU, ms per client-second | frames in / out per client-second | clients' CPU (cores) |");
console.log("|---:|---:|---:|---:|");
for (const clients of steps) {
  const step = await measureFloor({ clients, seconds, inHz, inBytes, outHz, outBytes });
  console.log(
    `| ${step.clients} | ${step.serverCpuMsPerClientSecond.toFixed(3)} | ${step.framesInPerClientSecond.toFixed(1)} / ${step.framesOutPerClientSecond.toFixed(1)} | ${step.botsCores.toFixed(2)} |`,
  );
}
