import type { StepResult } from "./capacity.ts";
import { capacityCharts, capacityMarkdown } from "./capacityReport.ts";
import type { RoomSizeResult } from "./capacitySweep.ts";
import type { SystemFigures } from "./smoke.ts";
import { barChart, chartLibrary } from "./charts.ts";
import { FIGURES, escape, format, labelOf, markdownToHtml, unitOf } from "./reportFormat.ts";

/** The JSON report: `{ scenario, systems: { arena, baseline? }, ratios }`, units in the key names. */
export interface BenchReport {
  scenario: string;
  date: string;
  machine: { cpus: number; node: string };
  /** capacity: the first room size's, as when one size ran (every size is in roomSizes). */
  systems: Record<string, Record<string, number>>;
  /** arena / baseline for each figure, when a baseline ran. */
  ratios: Record<string, number>;
  checks: Record<string, unknown>;
  /** Every load step measured (capacity: the first room size's), every system. */
  steps?: StepResult[];
  /** capacity: each room size's systems, ratios, variant ratios, steps, limit and profile, by size. */
  roomSizes?: Record<string, RoomSizeResult>;
}

export function markdown(report: BenchReport): string {
  const lines = [`## ${report.scenario} (${report.date}, ${report.machine.cpus} CPUs, Node ${report.machine.node})`, ""];
  if (report.roomSizes) lines.push(...capacityMarkdown(Object.values(report.roomSizes)));
  else lines.push(...systemsTable(report));
  lines.push("", "Checks:", "", ...Object.entries(report.checks).map(([k, v]) => `- ${k}: ${JSON.stringify(v)}`));
  return lines.join("\n");
}

/** Figures as rows, systems as columns, and the ratio when there are two or more. */
function systemsTable(report: BenchReport): string[] {
  const systems = Object.keys(report.systems);
  const lines = [
    `| figure | ${systems.join(" | ")}${systems.length > 1 ? " | ratio |" : " |"}`,
    `|---|${systems.map(() => "---:").join("|")}|${systems.length > 1 ? "---:|" : ""}`,
  ];
  const keys = Object.keys(report.systems[systems[0]] ?? {});
  const rows: [string, string][] = keys.every((k) => FIGURES.some(([f]) => f === k)) ? FIGURES.filter(([k]) => keys.includes(k)) : keys.map((k) => [k, k]);
  for (const [key, label] of rows) {
    const cells = systems.map((s) => format(report.systems[s][key] ?? NaN));
    const ratio = report.ratios[key];
    lines.push(`| ${label} | ${cells.join(" | ")}${systems.length > 1 ? ` | ${ratio === undefined ? "" : ratio.toFixed(2)} |` : " |"}`);
  }
  return lines;
}

/**
 * A self-contained HTML page: the tables, and a bar chart per figure across
 * the systems (Chart.js, inlined: the page opens offline); capacity adds
 * charts against players.
 */
export function html(report: BenchReport): string {
  const sizes = report.roomSizes ? Object.values(report.roomSizes) : undefined;
  return `<!doctype html><meta charset="utf-8"><title>Benchmark: ${escape(report.scenario)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}.num{text-align:right}.chart{position:relative;width:640px;margin:1em 0}.side{display:flex;flex-wrap:wrap;gap:2em}</style>
${chartLibrary()}
<h1>Benchmark: ${escape(report.scenario)}</h1>
${markdownToHtml(markdown(report))}
${sizes ? capacityCharts(sizes) : ""}
${figureCharts(sizes ? sizes.map((r) => [`rooms of ${r.roomSize}`, plain(r.systems)]) : [["", report.systems]]).join("\n")}`;
}

/** Each system's figures as a plain record of numbers. */
const plain = (systems: Record<string, SystemFigures>): Record<string, Record<string, number>> =>
  Object.fromEntries(Object.entries(systems).map(([name, figures]) => [name, { ...figures }]));

/**
 * A bar chart per figure key (but the clients), the systems as categories;
 * with several groups (capacity's room sizes), one series per group.
 */
function figureCharts(groups: [string, Record<string, Record<string, number>>][]): string[] {
  const systems = [...new Set(groups.flatMap(([, s]) => Object.keys(s)))];
  const keys = [...new Set(groups.flatMap(([, s]) => Object.values(s).flatMap((f) => Object.keys(f))))].filter((k) => k !== "clients");
  return keys.map((key) => {
    const { unit, scale } = unitOf(key);
    return barChart({
      title: labelOf(key),
      unit,
      categoryTitle: "system",
      categories: systems,
      series: groups.map(([name, bySystem]) => ({ name: name || labelOf(key), values: systems.map((s) => (bySystem[s]?.[key] ?? NaN) * scale) })),
    });
  });
}
