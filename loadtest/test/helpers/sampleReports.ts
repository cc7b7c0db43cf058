/** Small hand-made reports for the HTML report's tests, and what their pages must chart. */
import type { StepResult } from "../../src/bench/capacity.ts";
import type { RoomSizeResult } from "../../src/bench/capacitySweep.ts";
import { CATEGORIES } from "../../src/bench/cpuProfile.ts";
import type { BenchReport } from "../../src/bench/report.ts";
import type { SystemFigures } from "../../src/bench/smoke.ts";

/** A system name that would end the chart's script, and run one of its own, if it were not escaped. */
export const HOSTILE_NAME = "</script><script>window.__escaped = true</script><!--";

const machine = { cpus: 2, node: "v22.0.0" };

/** A plain scenario: two systems, figure keys the report has no label for, a share. */
export const PLAIN: BenchReport = {
  scenario: "hostile",
  date: "2026-12-06T00:00:00.000Z",
  machine,
  systems: {
    calm: { clients: 16, patchGapP99Ms: 52.5, rssEndMegabytes: 88, framesInPerClientSecond: 15, botErrors: 0, loadShare: 0.25 },
    [HOSTILE_NAME]: { clients: 16, patchGapP99Ms: 61, rssEndMegabytes: 97.5, framesInPerClientSecond: 15.2, botErrors: 2, loadShare: 0.5 },
  },
  ratios: {},
  checks: { serverAlive: "yes" },
};

/** The plain report's charts: a bar chart per figure key but clients, a bar per system. */
export const PLAIN_UNITS: Record<string, string> = {
  patchGapP99Ms: "ms",
  rssEndMegabytes: "MB",
  framesInPerClientSecond: "per client-second",
  botErrors: "",
  loadShare: "%",
};

function figures(players: number, system: string): SystemFigures {
  const base = system === "baseline" ? 2 : 1;
  return {
    clients: players,
    seconds: 10,
    cpuMsPerClientSecond: base * (1 + players / 100),
    bytesPerClientSecond: base * 1500,
    tickP99Ms: 0.5,
    tickIntervalP50Ms: 33.3,
    tickIntervalP99Ms: 40,
    rssMegabytes: 120,
  };
}

function roomSize(size: number, profiled: boolean): RoomSizeResult {
  const steps: StepResult[] = [16, 32, 64].flatMap((players) =>
    ["arena", "baseline"].map((system) => ({ players, system, figures: figures(players, system), botCpuShare: 0.3, joinErrors: 0 })),
  );
  const summary = {
    windowSeconds: 10,
    samples: 10_000,
    busySamples: 6000,
    busyShare: 0.6,
    categories: CATEGORIES.map((category, i) => ({ category, selfShareOfBusy: (i + 1) / 36, samples: (i + 1) * 100 })),
    topFunctions: [],
  };
  return {
    roomSize: size,
    systems: { arena: figures(64, "arena"), baseline: figures(64, "baseline") },
    ratios: { cpuMsPerClientSecond: 0.5 },
    variantRatios: {},
    steps,
    limit: "every step held",
    ...(profiled && {
      profile: {
        players: 64,
        rawProfilePath: "/tmp/raw.cpuprofile",
        windowProfilePath: "/tmp/window.cpuprofile",
        summary,
        figures: figures(64, "arena"),
        threadsCpuMsPerClientSecond: { mainThread: 1, profiler: 0.1, otherThreads: 0.2 },
      },
    }),
  };
}

const sizes = [roomSize(8, true), roomSize(16, false)];

/** Capacity with two room sizes (8 profiled), arena and baseline at three steps each. */
export const CAPACITY: BenchReport = {
  scenario: "capacity",
  date: "2026-12-06T00:00:00.000Z",
  machine,
  systems: { arena: { ...sizes[0].systems.arena }, baseline: { ...sizes[0].systems.baseline } },
  ratios: sizes[0].ratios,
  steps: sizes[0].steps,
  roomSizes: Object.fromEntries(sizes.map((r) => [String(r.roomSize), r])),
  checks: { limit: sizes[0].limit },
};

/**
 * Capacity's charts: per room size, CPU and bytes against players (a line
 * per system); the profile's categories; a bar chart per figure but clients
 * (the systems as bars, a series per room size).
 */
export const CAPACITY_CHARTS = { lines: 2 * 2, categories: 1, figures: Object.keys(figures(1, "arena")).length - 1 };

/** The JSON config of each chart on a report page, in page order. */
export function chartConfigs(page: string, scriptStart: string): ChartConfig[] {
  return [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)]
    .map((m) => m[1])
    .filter((body) => body.startsWith(scriptStart))
    .map((body) => {
      if (!body.endsWith(");")) throw new Error(`a chart script that does not end in ");": ${body.slice(-80)}`);
      return JSON.parse(body.slice(scriptStart.length, -2)) as ChartConfig;
    });
}

/** The parts of a Chart.js config the tests read. */
export interface ChartConfig {
  type: "bar" | "line";
  data: { labels?: string[]; datasets: { label: string; data: (number | null | { x: number; y: number | null })[] }[] };
  options: {
    animation: boolean;
    indexAxis?: "y";
    plugins: { title: { display: boolean; text: string }; legend: { display: boolean } };
    scales: Record<"x" | "y", { type?: string; title: { display: boolean; text: string } }>;
  };
}
