/**
 * The capacity report's Markdown and charts: room sizes side by side, the
 * runtime variants against the default arena, every step, and the CPU
 * profile of the highest step.
 */
import type { ProfiledRun, StepResult } from "./capacity.ts";
import { CATEGORIES } from "./cpuProfile.ts";
import type { RoomSizeResult } from "./capacitySweep.ts";
import { barChart, lineChart } from "./charts.ts";
import { format, FIGURES, labelOf, percent, unitOf } from "./reportFormat.ts";

export function capacityMarkdown(results: RoomSizeResult[]): string[] {
  const several = results.length > 1;
  const suffix = (r: RoomSizeResult) => (several ? `, rooms of ${r.roomSize}` : "");
  const lines = results.map((r) => `Rooms of ${r.roomSize}: ${r.limit} (highest step ${highest(r)} players).`);
  lines.push("", ...figuresTable(results, suffix), ...variantsTable(results, suffix), "", ...stepsTable(results), ...spectatorsTable(results));
  const profiled = results.filter((r): r is RoomSizeResult & { profile: ProfiledRun } => r.profile !== undefined && "summary" in r.profile);
  if (profiled.length)
    lines.push("", "### Where the time goes: self time by category, share of busy samples (CPU profile of the highest step)", "", ...categoriesTable(profiled));
  for (const r of results) if (r.profile) lines.push("", ...profileSection(r));
  return lines;
}

/** Categories as rows, one column per profiled room size. */
function categoriesTable(results: (RoomSizeResult & { profile: ProfiledRun })[]): string[] {
  const share = (r: RoomSizeResult & { profile: ProfiledRun }, category: string) =>
    r.profile.summary.categories.find((c) => c.category === category)?.selfShareOfBusy ?? 0;
  return [
    `| category | ${results.map((r) => `rooms of ${r.roomSize}, ${r.profile.players} players`).join(" | ")} |`,
    `|---|${results.map(() => "---:").join("|")}|`,
    ...CATEGORIES.map((category) => `| ${category} | ${results.map((r) => percent(share(r, category))).join(" | ")} |`),
  ];
}

const highest = (r: RoomSizeResult) => r.steps.filter((s) => s.system === "arena").at(-1)?.players ?? 0;

/** Figures as rows; for each room size its systems then arena / baseline. */
function figuresTable(results: RoomSizeResult[], suffix: (r: RoomSizeResult) => string): string[] {
  const columns = results.flatMap((r) => [
    ...Object.keys(r.systems).map((system) => ({
      head: `${system}${suffix(r)}`,
      cell: (key: string) => format(r.systems[system][key as keyof RoomSizeResult["systems"][string]] ?? NaN),
    })),
    ...(Object.keys(r.ratios).length
      ? [{ head: `arena / baseline${suffix(r)}`, cell: (key: string) => (r.ratios[key] === undefined ? "" : r.ratios[key].toFixed(2)) }]
      : []),
  ]);
  const present = new Set(results.flatMap((r) => Object.values(r.systems).flatMap((f) => Object.keys(f))));
  return [
    `| figure | ${columns.map((c) => c.head).join(" | ")} |`,
    `|---|${columns.map(() => "---:").join("|")}|`,
    ...FIGURES.filter(([key]) => present.has(key)).map(([key, label]) => `| ${label} | ${columns.map((c) => c.cell(key)).join(" | ")} |`),
  ];
}

/** Each runtime variant over the default arena, at the highest step and (CPU) over every step. */
function variantsTable(results: RoomSizeResult[], suffix: (r: RoomSizeResult) => string): string[] {
  const columns = results.flatMap((r) =>
    Object.entries(r.variantRatios).map(([name, ratios]) => ({ head: `${name.replace(/^arena:/, "")} / default${suffix(r)}`, ratios })),
  );
  if (columns.length === 0) return [];
  const keys = Object.keys(columns[0].ratios);
  const label = (key: string) => (key === "cpuMsPerClientSecondOverSteps" ? "server CPU per client-second, geometric mean over every step" : labelOf(key));
  return [
    "",
    "Runtime variants against the default arena (variant / default, at the highest step unless said):",
    "",
    `| figure | ${columns.map((c) => c.head).join(" | ")} |`,
    `|---|${columns.map(() => "---:").join("|")}|`,
    ...keys.map((key) => `| ${label(key)} | ${columns.map((c) => (Number.isFinite(c.ratios[key]) ? c.ratios[key].toFixed(2) : "n/a")).join(" | ")} |`),
  ];
}

function stepsTable(results: RoomSizeResult[]): string[] {
  const lines = [
    "| rooms of | players | system | CPU ms/client-s (main thread) | bytes/client-s | frames in/out per client-s | GC pause ms/client-s | tick p99 ms | interval p50/p99 ms | bots' CPU (cores) |",
    "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of results) {
    for (const step of r.steps) lines.push(stepRow(r.roomSize, step));
  }
  return lines;
}

/** `--spectators N`: each arena step measured again with N spectators, their cost beside the players'. */
function spectatorsTable(results: RoomSizeResult[]): string[] {
  const rows = results.flatMap((r) => r.steps.filter((s) => s.spectators !== undefined).map((s) => ({ roomSize: r.roomSize, step: s, cost: s.spectators! })));
  if (rows.length === 0) return [];
  return [
    "",
    "### Spectators: what they add to a step, per spectator, against the step's players per player",
    "",
    "| rooms of | players | spectators (refused) | CPU ms per spectator-s / per player-s | bytes per spectator-s / per player-s | frames out per spectator-s | interval p99 ms with them |",
    "|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      ({ roomSize, step, cost }) =>
        `| ${roomSize} | ${step.players} | ${cost.count} (${cost.joinErrors}) | ${format(cost.cpuMsPerSpectatorSecond)} / ${format(cost.cpuMsPerPlayerSecond)} | ${format(cost.bytesPerSpectatorSecond)} / ${format(cost.bytesPerPlayerSecond)} | ${format(cost.framesOutPerSpectatorSecond)} | ${format(cost.tickIntervalP99Ms)} |`,
    ),
  ];
}

function stepRow(roomSize: number, step: StepResult): string {
  const f = step.figures;
  const frames = `${format(f.framesInPerClientSecond ?? NaN)} / ${format(f.framesOutPerClientSecond ?? NaN)}`;
  return `| ${roomSize} | ${step.players} | ${step.system} | ${format(f.cpuMsPerClientSecond)} (${format(f.mainThreadCpuMsPerClientSecond ?? NaN)}) | ${format(f.bytesPerClientSecond)} | ${frames} | ${format(f.gcPauseMsPerClientSecond ?? NaN)} | ${format(f.tickP99Ms)} | ${format(f.tickIntervalP50Ms)} / ${format(f.tickIntervalP99Ms)} | ${step.botCpuShare.toFixed(2)} |`;
}

function profileSection(r: RoomSizeResult): string[] {
  const profile = r.profile!;
  const title = `### CPU profile: arena, rooms of ${r.roomSize}, ${profile.players} players`;
  if (!("summary" in profile)) return [title, "", `No profile: ${profile.error}`];
  const { summary, threadsCpuMsPerClientSecond: threads } = profile;
  const unprofiled = r.steps.filter((s) => s.system === "arena" && s.players === profile.players).at(-1)?.figures.cpuMsPerClientSecond ?? NaN;
  // What the busy samples stand for against what /proc says the main thread used: a sampler starved of CPU misses busy time.
  const sampledMs = summary.busyShare * summary.windowSeconds * 1000;
  const mainMs = threads.mainThread * profile.figures.clients * profile.figures.seconds;
  return [
    title,
    "",
    `The measured window only (${summary.windowSeconds.toFixed(1)} s, ${summary.samples} samples of the main thread, ${percent(summary.busyShare)} of them busy, the rest idle in the event loop), ` +
      `in a run of its own after the sweep. Server CPU in that run, ms per client-second: ${format(profile.figures.cpuMsPerClientSecond)} ` +
      `(main thread ${format(threads.mainThread)}, V8's sampler ${format(threads.profiler)}, other threads ${format(threads.otherThreads)}: GC and compiler helpers, libuv), ` +
      `against ${format(unprofiled)} in the unprofiled step. ` +
      `The busy samples stand for ${format(sampledMs)} ms of the main thread's ${format(mainMs)} ms of CPU${sampledMs < 0.8 * mainMs ? " (the sampler missed busy time: a loaded machine; the shares still hold if the misses are even)" : ""}. Native functions count toward the code that called them; lines of the project's .ts files are mapped back from tsx's output.`,
    "",
    `Profile of the window: \`${profile.windowProfilePath}\` (whole process: \`${profile.rawProfilePath}\`); open either in Chrome DevTools.`,
    "",
    "| self time, share of busy samples | function | file:line | category |",
    "|---:|---|---|---|",
    ...summary.topFunctions.map((f) => `| ${percent(f.selfShareOfBusy)} | \`${f.functionName}\` | ${f.location} | ${f.category} |`),
  ];
}

/** Charts against players for each room size side by side, and each profile's categories. */
export function capacityCharts(results: RoomSizeResult[]): string {
  const lines = results
    .map(
      (r) =>
        `<div><h2>Rooms of ${r.roomSize}</h2>${(["cpuMsPerClientSecond", "bytesPerClientSecond"] as const).map((key) => playersChart(r, key)).join("")}</div>`,
    )
    .join("");
  const profiles = results.flatMap((r) => (r.profile && "summary" in r.profile ? [categoriesChart(r.roomSize, r.profile)] : [])).join("");
  return `<div class="side">${lines}</div><div class="side">${profiles}</div>`;
}

function categoriesChart(roomSize: number, profile: ProfiledRun): string {
  return barChart({
    title: `Self time by category, share of busy samples: arena, rooms of ${roomSize}, ${profile.players} players`,
    unit: "% of busy samples",
    categoryTitle: "category",
    categories: profile.summary.categories.map((c) => c.category),
    series: [{ name: "self time", values: profile.summary.categories.map((c) => c.selfShareOfBusy * 100) }],
  });
}

/** A figure against concurrent players, one line per system. */
function playersChart(r: RoomSizeResult, key: "cpuMsPerClientSecond" | "bytesPerClientSecond"): string {
  const systems = [...new Set(r.steps.map((s) => s.system))];
  return lineChart({
    title: `${labelOf(key)}, against concurrent players (rooms of ${r.roomSize})`,
    xTitle: "players",
    unit: unitOf(key).unit,
    series: systems.map((system) => ({
      name: system,
      points: r.steps.filter((s) => s.system === system).map((s): [number, number] => [s.players, s.figures[key]]),
    })),
  });
}
