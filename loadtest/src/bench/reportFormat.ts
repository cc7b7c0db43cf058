import type { NetworkFigures } from "./network.ts";
import type { SystemFigures } from "./smoke.ts";

/** Each figure of a system, with the label the reports print. */
export const FIGURES: [keyof SystemFigures | keyof NetworkFigures, string][] = [
  ["clients", "clients"],
  ["cpuMsPerClientSecond", "server CPU, ms per client-second"],
  ["mainThreadCpuMsPerClientSecond", "of which the main thread, ms per client-second"],
  ["bytesPerClientSecond", "bytes per client-second"],
  ["framesInPerClientSecond", "WebSocket frames in, per client-second"],
  ["framesOutPerClientSecond", "WebSocket frames out, per client-second"],
  ["gcPauseMsPerClientSecond", "GC pauses, ms per client-second"],
  ["minorGcPerSecond", "scavenges (minor GCs) per second"],
  ["tickP99Ms", "tick duration p99, ms"],
  ["tickIntervalP50Ms", "tick interval p50, ms"],
  ["tickIntervalP99Ms", "tick interval p99, ms"],
  ["rssMegabytes", "server memory (RSS), MB"],
  // network
  ["pingMs", "ping (network round trip), ms"],
  ["correctionsPerMinute", "corrections per minute"],
  ["correctionP50Px", "correction size p50, px"],
  ["correctionP99Px", "correction size p99, px"],
  ["frozenFramesShare", "frames with remote players frozen (buffer ran dry)"],
  ["stallsShare", "share of time the link's stalls hold the stream"],
  ["backwards", "remote players drawn moving backwards (times)"],
  ["remoteBehindP50Ms", "remote players drawn behind the server's present p50, ms"],
  ["remoteBehindP99Ms", "remote players drawn behind the server's present p99, ms"],
  ["remoteBehindEstimateP50Ms", "the same by the client's estimate of server time p50, ms"],
  ["interpolationDelayP50Ms", "interpolation delay p50, ms"],
  ["inputWait60fpsP50Ticks", "input wait in the server's buffer at 60 fps p50, ticks"],
  ["inputWait60fpsP99Ticks", "input wait in the server's buffer at 60 fps p99, ticks"],
  ["inputWait30fpsP50Ticks", "input wait in the server's buffer at 30 fps p50, ticks"],
  ["inputWait30fpsP99Ticks", "input wait in the server's buffer at 30 fps p99, ticks"],
  ["shots", "shots at remote players where drawn"],
  ["hitShare", "of which hit"],
  ["shotsAtDownTargets", "shots that missed a target already down on the server (not counted above)"],
  ["reconnections", "reconnections"],
  ["telemetryReports", "telemetry reports the server accepted"],
];

export const labelOf = (key: string): string => FIGURES.find(([k]) => k === key)?.[1] ?? key;

/** A figure's unit, and what turns its value into that unit (a share, 0 to 1, is charted as %). */
export interface FigureUnit {
  unit: string;
  scale: number;
}

/** Rates, by the end of a key; what is left before them may name a unit of its own (`cpuMsPerClientSecond`). */
const RATES: [RegExp, string][] = [
  [/PerClientSecond$/, "per client-second"],
  [/PerSecond$/, "per second"],
  [/PerMinute$/, "per minute"],
];

/** Units, by the end of a key (or the whole key), after any rate. */
const UNITS: [RegExp, FigureUnit][] = [
  [/Ms$/, { unit: "ms", scale: 1 }],
  [/Px$/, { unit: "px", scale: 1 }],
  [/Megabytes$|Mb$/, { unit: "MB", scale: 1 }],
  [/Bytes$|^bytes$/, { unit: "bytes", scale: 1 }],
  [/Share$/, { unit: "%", scale: 100 }],
  [/Percent$/, { unit: "%", scale: 1 }],
  [/Cores$/, { unit: "cores", scale: 1 }],
  [/Ticks$/, { unit: "ticks", scale: 1 }],
  [/Seconds$|^seconds$/, { unit: "s", scale: 1 }],
  [/Minutes$|^minutes$/, { unit: "min", scale: 1 }],
];

/**
 * The unit a figure's key names, as the reports' keys carry them (`tickP99Ms`,
 * `bytesPerClientSecond`, `rssMegabytes`, `busyShare`); "" when it names none.
 */
export function unitOf(key: string): FigureUnit {
  const rate = RATES.find(([end]) => end.test(key));
  const rest = rate ? key.replace(rate[0], "") : key;
  const base = UNITS.find(([end]) => end.test(rest))?.[1] ?? { unit: "", scale: 1 };
  return { unit: [base.unit, rate?.[1]].filter(Boolean).join(" "), scale: base.scale };
}

export function format(v: number): string {
  if (!Number.isFinite(v)) return "n/a";
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(3);
}

/** A share (0 to 1) as a percentage with one decimal. */
export const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;

export function escape(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

/** The Markdown these reports print, as HTML: headings, paragraphs, tables (right-aligned where `---:`), lists, `code`. */
export function markdownToHtml(markdown: string): string {
  const inline = (text: string) => escape(text).replace(/`([^`]*)`/g, "<code>$1</code>");
  const cells = (row: string) =>
    row
      .trim()
      .replace(/^\||\|$/g, "")
      .split("|")
      .map((c) => c.trim());
  const blocks = markdown.split(/\n{2,}/);
  return blocks
    .map((block) => {
      const lines = block.split("\n");
      const heading = /^(#{1,4}) (.*)$/.exec(block);
      if (heading && lines.length === 1) return `<h${heading[1].length}>${inline(heading[2])}</h${heading[1].length}>`;
      if (lines.length >= 2 && lines.every((l) => l.startsWith("|"))) {
        const right = cells(lines[1]).map((c) => c.endsWith(":"));
        const row = (line: string, tag: string) =>
          `<tr>${cells(line)
            .map((c, i) => `<${tag}${right[i] ? ' class="num"' : ""}>${inline(c)}</${tag}>`)
            .join("")}</tr>`;
        return `<table><thead>${row(lines[0], "th")}</thead><tbody>${lines
          .slice(2)
          .map((l) => row(l, "td"))
          .join("")}</tbody></table>`;
      }
      if (lines.every((l) => l.startsWith("- "))) return `<ul>${lines.map((l) => `<li>${inline(l.slice(2))}</li>`).join("")}</ul>`;
      return `<p>${lines.map(inline).join("<br>")}</p>`;
    })
    .join("\n");
}
