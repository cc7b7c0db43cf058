import type { StepResult } from "./capacity.ts";
import type { SystemFigures } from "./smoke.ts";

/** The JSON report: `{ scenario, systems: { arena, baseline? }, ratios }`, units in the key names. */
export interface BenchReport {
  scenario: string;
  date: string;
  machine: { cpus: number; node: string };
  systems: Record<string, Record<string, number>>;
  /** arena / baseline for each figure, when a baseline ran. */
  ratios: Record<string, number>;
  checks: Record<string, unknown>;
  /** Every load step measured (capacity), both systems. */
  steps?: StepResult[];
}

const FIGURES: [keyof SystemFigures, string][] = [
  ["clients", "clients"],
  ["cpuMsPerClientSecond", "server CPU, ms per client-second"],
  ["bytesPerClientSecond", "bytes per client-second"],
  ["framesInPerClientSecond", "WebSocket frames in, per client-second"],
  ["framesOutPerClientSecond", "WebSocket frames out, per client-second"],
  ["tickP99Ms", "tick duration p99, ms"],
  ["tickIntervalP50Ms", "tick interval p50, ms"],
  ["tickIntervalP99Ms", "tick interval p99, ms"],
  ["rssMegabytes", "server memory (RSS), MB"],
];

export function markdown(report: BenchReport): string {
  const systems = Object.keys(report.systems);
  const lines = [
    `## ${report.scenario} (${report.date}, ${report.machine.cpus} CPUs, Node ${report.machine.node})`,
    "",
    `| figure | ${systems.join(" | ")}${systems.length > 1 ? " | ratio |" : " |"}`,
    `|---|${systems.map(() => "---:").join("|")}|${systems.length > 1 ? "---:|" : ""}`,
  ];
  const keys = Object.keys(report.systems[systems[0]] ?? {});
  const rows: [string, string][] = keys.every((k) => FIGURES.some(([f]) => f === k))
    ? FIGURES.filter(([k]) => keys.includes(k))
    : keys.map((k) => [k, k]);
  for (const [key, label] of rows) {
    const cells = systems.map((s) => format(report.systems[s][key] ?? NaN));
    const ratio = report.ratios[key];
    lines.push(`| ${label} | ${cells.join(" | ")}${systems.length > 1 ? ` | ${ratio === undefined ? "" : ratio.toFixed(2)} |` : " |"}`);
  }
  if (report.steps?.length) {
    lines.push("", "| players | system | CPU ms/client-s | bytes/client-s | tick p99 ms | interval p50/p99 ms | bots' CPU (cores) |", "|---:|---|---:|---:|---:|---:|---:|");
    for (const step of report.steps) {
      const f = step.figures;
      lines.push(`| ${step.players} | ${step.system} | ${format(f.cpuMsPerClientSecond)} | ${format(f.bytesPerClientSecond)} | ${format(f.tickP99Ms)} | ${format(f.tickIntervalP50Ms)} / ${format(f.tickIntervalP99Ms)} | ${step.botCpuShare.toFixed(2)} |`);
    }
  }
  lines.push("", "Checks:", "", ...Object.entries(report.checks).map(([k, v]) => `- ${k}: ${JSON.stringify(v)}`));
  return lines.join("\n");
}

/** A self-contained HTML page: the tables and a bar chart per figure (inline SVG, no scripts). */
export function html(report: BenchReport): string {
  const systems = Object.keys(report.systems);
  const colours = ["#2f8f5f", "#c0613a", "#3a6fc0"];
  const keys = Object.keys(report.systems[systems[0]] ?? {});
  const charts = keys.filter((k) => k !== "clients").map((key) => {
    const label = FIGURES.find(([k]) => k === key)?.[1] ?? key;
    const values = systems.map((s) => report.systems[s][key] ?? NaN);
    const max = Math.max(...values.filter(Number.isFinite), 1e-9);
    const bars = values.map((v, i) => {
      const w = Number.isFinite(v) ? (v / max) * 300 : 0;
      return `<rect x="120" y="${10 + i * 28}" width="${w.toFixed(1)}" height="20" fill="${colours[i % 3]}"/>` +
        `<text x="0" y="${25 + i * 28}">${escape(systems[i])}</text><text x="${(125 + w).toFixed(1)}" y="${25 + i * 28}">${format(v)}</text>`;
    }).join("");
    return `<figure><figcaption>${escape(label)}</figcaption><svg width="520" height="${20 + systems.length * 28}" font-size="13" font-family="sans-serif">${bars}</svg></figure>`;
  }).join("\n");
  const lineCharts = report.steps?.length ? (["cpuMsPerClientSecond", "bytesPerClientSecond"] as const).map((key) => lineChart(report.steps!, key, colours)).join("\n") : "";
  return `<!doctype html><meta charset="utf-8"><title>Benchmark: ${escape(report.scenario)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}figure{margin:1em 0}</style>
<h1>Benchmark: ${escape(report.scenario)}</h1><p>${escape(report.date)}, ${report.machine.cpus} CPUs, Node ${escape(report.machine.node)}</p>
<pre>${escape(markdown(report))}</pre>
${lineCharts}
${charts}`;
}

/** Figure against concurrent players, one line per system (inline SVG). */
function lineChart(steps: StepResult[], key: "cpuMsPerClientSecond" | "bytesPerClientSecond", colours: string[]): string {
  const systems = [...new Set(steps.map((s) => s.system))];
  const xs = steps.map((s) => s.players);
  const ys = steps.map((s) => s.figures[key]).filter(Number.isFinite);
  const [x0, x1, y1] = [Math.min(...xs), Math.max(...xs), Math.max(...ys, 1e-9)];
  const px = (x: number) => 60 + ((x - x0) / Math.max(1, x1 - x0)) * 420;
  const py = (y: number) => 220 - (y / y1) * 200;
  const lines = systems.map((system, i) => {
    const points = steps.filter((s) => s.system === system).map((s) => `${px(s.players).toFixed(1)},${py(s.figures[key]).toFixed(1)}`).join(" ");
    return `<polyline fill="none" stroke="${colours[i % 3]}" stroke-width="2" points="${points}"/><text x="490" y="${20 + i * 16}" fill="${colours[i % 3]}">${escape(system)}</text>`;
  }).join("");
  const label = key === "cpuMsPerClientSecond" ? "server CPU, ms per client-second" : "bytes per client-second";
  return `<figure><figcaption>${label} against concurrent players (0 to ${format(y1)}; ${x0} to ${x1} players)</figcaption>` +
    `<svg width="580" height="240" font-size="12" font-family="sans-serif"><line x1="60" y1="220" x2="480" y2="220" stroke="#999"/><line x1="60" y1="20" x2="60" y2="220" stroke="#999"/>${lines}</svg></figure>`;
}

function format(v: number): string {
  if (!Number.isFinite(v)) return "n/a";
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(3);
}

function escape(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}
