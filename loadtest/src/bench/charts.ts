/**
 * The HTML reports' charts: Chart.js 4's UMD build inlined once per page (so
 * a report opens from disk with no network), then per chart a canvas and a
 * small script that hands its config, as JSON, to Chart.js.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { escape } from "./reportFormat.ts";

/** Line and bar colours, one per series (or per bar in a chart of one series). */
export const COLOURS = ["#2f8f5f", "#c0613a", "#3a6fc0", "#8f2f8f", "#b08a1a", "#1a9ab0", "#6b6b6b", "#c03a6f"];

/** What each chart's script starts with; the config's JSON follows, then `);`. */
export const CHART_SCRIPT_START = "new Chart(document.currentScript.previousElementSibling, ";

/**
 * The library as one `<script>` element, for the page's head. The package
 * exports no path to its UMD file, so it is found next to its main file.
 */
export function chartLibrary(): string {
  const main = createRequire(import.meta.url).resolve("chart.js");
  const code = readFileSync(join(dirname(main), "chart.umd.min.js"), "utf8").replace(/\n\/\/# sourceMappingURL=.*\s*$/, "\n");
  // Inline, the text may not end the element early; a build that did would need escaping that only a parser can do.
  if (/<\/script|<!--/i.test(code)) throw new Error("chart.umd.min.js contains </script or <!--: it cannot be inlined as it is");
  return `<script>${code}</script>`;
}

/** A series of bars: one value per category. */
export interface BarSeries {
  name: string;
  /** NaN or Infinity: no bar. */
  values: number[];
}

export interface BarChartOptions {
  title: string;
  /** The values' unit, the value axis's title ("ms", "bytes per client-second"); empty when there is none. */
  unit: string;
  /** What the categories are, the category axis's title ("system", "link profile"). */
  categoryTitle: string;
  categories: string[];
  /** One series: a bar per category, coloured by category. Several: grouped bars, coloured by series, with a legend. */
  series: BarSeries[];
}

/** Horizontal bars (category names can be long): the value axis from 0, titled with the unit. */
export function barChart(options: BarChartOptions): string {
  const { title, unit, categoryTitle, categories, series } = options;
  const several = series.length > 1;
  const config = {
    type: "bar",
    data: {
      labels: categories,
      datasets: series.map((s, i) => ({
        label: s.name,
        data: s.values.map(finiteOrNull),
        backgroundColor: several ? colour(i) : categories.map((_, j) => colour(j)),
      })),
    },
    options: {
      ...common(title, several),
      indexAxis: "y",
      scales: { x: { beginAtZero: true, title: axisTitle(unit || title) }, y: { title: axisTitle(categoryTitle) } },
    },
  };
  return chartElement(title, config, 70 + (several ? 30 : 0) + categories.length * Math.max(1, series.length) * 22);
}

/** A series of (x, y) points, in x order. */
export interface LineSeries {
  name: string;
  points: [number, number][];
}

export interface LineChartOptions {
  title: string;
  /** The x axis's title with its unit ("players"). */
  xTitle: string;
  /** The y values' unit, the y axis's title. */
  unit: string;
  series: LineSeries[];
}

/** Lines on a linear x axis, one per series, with a legend naming each; the y axis from 0. */
export function lineChart(options: LineChartOptions): string {
  const { title, xTitle, unit, series } = options;
  const config = {
    type: "line",
    data: {
      datasets: series.map((s, i) => ({
        label: s.name,
        data: s.points.map(([x, y]) => ({ x, y: finiteOrNull(y) })),
        borderColor: colour(i),
        backgroundColor: colour(i),
      })),
    },
    options: {
      ...common(title, true),
      scales: { x: { type: "linear", title: axisTitle(xTitle) }, y: { beginAtZero: true, title: axisTitle(unit || title) } },
    },
  };
  return chartElement(title, config, 320);
}

const colour = (i: number) => COLOURS[i % COLOURS.length];
const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);
const axisTitle = (text: string) => ({ display: true, text });

/** What every chart shares: a title, no animation (a report is read, and tests read it at once), a fixed-height box. */
function common(title: string, legend: boolean) {
  return { animation: false, responsive: true, maintainAspectRatio: false, plugins: { title: { display: true, text: title }, legend: { display: legend } } };
}

/**
 * The canvas in a box of its own height, and the script that draws it. `<`
 * in the JSON is written `\u003c`, so no text in it (a system's name, say)
 * can close the script element.
 */
function chartElement(title: string, config: object, heightPx: number): string {
  const json = JSON.stringify(config).replace(/</g, "\\u003c");
  return `<div class="chart" style="height:${heightPx}px"><canvas role="img" aria-label="${escape(title)}"></canvas><script>${CHART_SCRIPT_START}${json});</script></div>`;
}
