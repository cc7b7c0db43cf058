/**
 * Reads a V8 CPU profile (what `node --cpu-prof` writes and DevTools opens)
 * into where the time went: the functions with the most self time and a
 * grouping by category, over a window of the profile's own clock.
 */
import { basename } from "node:path";

/** The `.cpuprofile` JSON: a call tree, and which node was on top at each sample. */
export interface CpuProfile {
  nodes: ProfileNode[];
  /** Microseconds, on the monotonic clock `process.hrtime` reads on the same machine. */
  startTime: number;
  endTime: number;
  /** Node id on top of the stack at each sample. */
  samples: number[];
  /** Microseconds since the previous sample (the first: since startTime). */
  timeDeltas: number[];
}

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number; scriptId?: string | number };
  hitCount?: number;
  children?: number[];
}

/** A span of the profile's clock, microseconds. */
export interface ProfileWindow {
  startMicros: number;
  endMicros: number;
}

export const CATEGORIES = [
  "Node internals (net, stream, timers, ...)",
  "ws",
  "@colyseus/schema",
  "@colyseus/core and ws-transport",
  "project (server/, shared/)",
  "GC",
  "native, no JS on the stack",
  "other (dependencies, loader)",
] as const;
export type Category = (typeof CATEGORIES)[number];

export interface ProfileSummary {
  windowSeconds: number;
  /** Samples in the window, and those not idle (waiting in the event loop). */
  samples: number;
  busySamples: number;
  /** busySamples / samples: about the share of a core the main thread used. */
  busyShare: number;
  categories: { category: Category; selfShareOfBusy: number; samples: number }[];
  topFunctions: { functionName: string; location: string; category: Category; selfShareOfBusy: number; samples: number }[];
}

/** Where a script belongs; `projectRoot` is the checkout's `file://` URL, ending in "/". */
function categoryOfUrl(url: string, projectRoot: string): Category {
  if (url.startsWith("node:")) return CATEGORIES[0];
  if (url.includes("/node_modules/ws/")) return CATEGORIES[1];
  if (url.includes("/node_modules/@colyseus/schema/")) return CATEGORIES[2];
  if (url.includes("/node_modules/@colyseus/")) return CATEGORIES[3];
  if (!url.includes("/node_modules/") && (url.startsWith(`${projectRoot}server/`) || url.startsWith(`${projectRoot}shared/`))) return CATEGORIES[4];
  return CATEGORIES[7];
}

/**
 * Each node's category. V8's own entries are named in parentheses; a native
 * function (no script: a builtin such as `JSON.parse`, or a binding such as
 * `writev`) counts toward the code that called it.
 */
function categorize(profile: CpuProfile, projectRoot: string): Map<number, Category> {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const categories = new Map<number, Category>();
  const of = (id: number): Category => {
    const known = categories.get(id);
    if (known) return known;
    const { functionName, url } = byId.get(id)!.callFrame;
    let category: Category;
    if (url !== "") category = categoryOfUrl(url, projectRoot);
    else if (functionName === "(garbage collector)") category = CATEGORIES[5];
    else if (functionName === "(program)") category = CATEGORIES[6];
    else if (parent.has(id)) category = of(parent.get(id)!);
    else category = CATEGORIES[7];
    categories.set(id, category);
    return category;
  };
  for (const node of profile.nodes) of(node.id);
  return categories;
}

/** Each sample's timestamp, microseconds on the profile's clock. */
function sampleTimes(profile: CpuProfile): number[] {
  const times: number[] = [];
  let t = profile.startTime;
  for (const delta of profile.timeDeltas) times.push((t += delta));
  return times;
}

/** The sample indices whose timestamps fall in the window (the whole profile without one). */
function samplesIn(profile: CpuProfile, window?: ProfileWindow): number[] {
  const times = sampleTimes(profile);
  return profile.samples.map((_, i) => i).filter((i) => !window || (times[i] >= window.startMicros && times[i] <= window.endMicros));
}

export interface SummaryOptions {
  /** The checkout's `file://` URL, ending in "/". */
  projectRoot: string;
  /** Default: the whole profile. */
  window?: ProfileWindow;
  /** How many functions to list; default 15. */
  top?: number;
  /** The 1-based source line of a frame when the script that ran is not the source (tsx's output); undefined to show the script's own. */
  sourceLine?: (frame: ProfileNode["callFrame"]) => number | undefined;
}

/** Self time by function and by category, as shares of the busy samples in the window. */
export function summarizeProfile(profile: CpuProfile, options: SummaryOptions): ProfileSummary {
  const categories = categorize(profile, options.projectRoot);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const indices = samplesIn(profile, options.window);
  const perFunction = new Map<string, { node: ProfileNode; samples: number }>();
  const perCategory = new Map<Category, number>();
  let busy = 0;
  for (const i of indices) {
    const node = byId.get(profile.samples[i])!;
    if (node.callFrame.functionName === "(idle)") continue;
    busy++;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    const key = `${functionName}\n${url}\n${lineNumber}\n${columnNumber}\n${url === "" ? categories.get(node.id) : ""}`;
    const entry = perFunction.get(key) ?? { node, samples: 0 };
    entry.samples++;
    perFunction.set(key, entry);
    const category = categories.get(node.id)!;
    perCategory.set(category, (perCategory.get(category) ?? 0) + 1);
  }
  const share = (n: number) => (busy === 0 ? 0 : n / busy);
  const span = options.window ? options.window.endMicros - options.window.startMicros : profile.endTime - profile.startTime;
  return {
    windowSeconds: span / 1e6,
    samples: indices.length,
    busySamples: busy,
    busyShare: indices.length === 0 ? 0 : busy / indices.length,
    categories: CATEGORIES.map((category) => ({ category, samples: perCategory.get(category) ?? 0, selfShareOfBusy: share(perCategory.get(category) ?? 0) }))
      .filter((c) => c.samples > 0)
      .sort((a, b) => b.samples - a.samples),
    topFunctions: [...perFunction.values()]
      .sort((a, b) => b.samples - a.samples)
      .slice(0, options.top ?? 15)
      .map(({ node, samples }) => ({
        functionName: node.callFrame.functionName || "(anonymous)",
        location: location(node, options.sourceLine),
        category: categories.get(node.id)!,
        selfShareOfBusy: share(samples),
        samples,
      })),
  };
}

/**
 * `file.ts:line` (1-based, as DevTools shows it) with the package for a
 * dependency's file, the module's id for Node's own (`node:net:123`), or
 * "native" for code without a script.
 */
function location(node: ProfileNode, sourceLine?: SummaryOptions["sourceLine"]): string {
  const { url, lineNumber, columnNumber } = node.callFrame;
  if (url === "") return "native";
  if (!url.startsWith("file://")) return `${url}:${lineNumber + 1}`;
  const pkg = [...url.matchAll(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].at(-1)?.[1];
  if (pkg) return `${basename(url)}:${lineNumber + 1} (${pkg})`;
  if (!sourceLine) return `${basename(url)}:${lineNumber + 1}`;
  const line = sourceLine(node.callFrame);
  // tsx's output is one line per module: without the source line, the column at least tells functions apart.
  return line === undefined ? `${basename(url)} (as run: ${lineNumber + 1}:${columnNumber + 1})` : `${basename(url)}:${line}`;
}

/** The same profile cut to the window, so DevTools opens on the measured seconds only. */
export function trimProfile(profile: CpuProfile, window: ProfileWindow): CpuProfile {
  const times = sampleTimes(profile);
  const indices = samplesIn(profile, window);
  const hits = new Map<number, number>();
  for (const i of indices) hits.set(profile.samples[i], (hits.get(profile.samples[i]) ?? 0) + 1);
  return {
    nodes: profile.nodes.map((n) => ({ ...n, hitCount: hits.get(n.id) ?? 0 })),
    startTime: window.startMicros,
    endTime: window.endMicros,
    samples: indices.map((i) => profile.samples[i]),
    timeDeltas: indices.map((i, k) => times[i] - (k === 0 ? window.startMicros : times[indices[k - 1]])),
  };
}
