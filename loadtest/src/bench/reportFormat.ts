import type { SystemFigures } from "./smoke.ts";

/** Each figure of a system, with the label the reports print. */
export const FIGURES: [keyof SystemFigures, string][] = [
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
];

export const labelOf = (key: string): string => FIGURES.find(([k]) => k === key)?.[1] ?? key;

/** Line and bar colours, one per system. */
export const COLOURS = ["#2f8f5f", "#c0613a", "#3a6fc0", "#8f2f8f", "#b08a1a", "#1a9ab0", "#6b6b6b", "#c03a6f"];

export function format(v: number): string {
  if (!Number.isFinite(v)) return "n/a";
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(3);
}

/** A share (0 to 1) as a percentage with one decimal. */
export const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;

export function escape(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

/** One horizontal bar per entry (inline SVG). */
export function barChart(caption: string, entries: [string, number][], valueText: (v: number) => string = format): string {
  const max = Math.max(...entries.map(([, v]) => v).filter(Number.isFinite), 1e-9);
  const bars = entries
    .map(([name, v], i) => {
      const w = Number.isFinite(v) ? (v / max) * 300 : 0;
      return (
        `<rect x="200" y="${10 + i * 28}" width="${w.toFixed(1)}" height="20" fill="${COLOURS[i % COLOURS.length]}"/>` +
        `<text x="0" y="${25 + i * 28}">${escape(name)}</text><text x="${(205 + w).toFixed(1)}" y="${25 + i * 28}">${escape(valueText(v))}</text>`
      );
    })
    .join("");
  return `<figure><figcaption>${escape(caption)}</figcaption><svg width="600" height="${20 + entries.length * 28}" font-size="13" font-family="sans-serif">${bars}</svg></figure>`;
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
