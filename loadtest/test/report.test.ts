import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { CHART_SCRIPT_START } from "../src/bench/charts.ts";
import { html, markdown } from "../src/bench/report.ts";
import { labelOf, unitOf } from "../src/bench/reportFormat.ts";
import { CAPACITY, CAPACITY_CHARTS, chartConfigs, HOSTILE_NAME, PLAIN, PLAIN_UNITS, type ChartConfig } from "./helpers/sampleReports.ts";

const library = readFileSync(join(dirname(createRequire(import.meta.url).resolve("chart.js")), "chart.umd.min.js"), "utf8");
/** A stretch from the middle of the library, to count how often the page holds it. */
const librarySample = library.slice(100_000, 100_200);

/** What every chart on a page must have: a title, no animation, both axes titled, a legend when there are several series. */
function assertChartBasics(config: ChartConfig): void {
  const { options } = config;
  assert.ok(options.plugins.title.display && options.plugins.title.text, "a title");
  assert.equal(options.animation, false);
  for (const axis of ["x", "y"] as const) assert.ok(options.scales[axis].title.display && options.scales[axis].title.text, `the ${axis} axis titled`);
  if (config.data.datasets.length > 1) assert.equal(options.plugins.legend.display, true, `a legend: ${options.plugins.title.text}`);
}

function assertSelfContained(page: string, charts: number): void {
  assert.equal(page.split(librarySample).length - 1, 1, "the library inlined once");
  assert.doesNotMatch(page, /<(script|img|link|iframe)\b[^>]*\s(src|href)\s*=/i, "nothing loaded from a file or address");
  assert.doesNotMatch(page, /(src|href)\s*=\s*["']?(https?:)?\/\//i, "nor from the network");
  assert.equal(page.match(/<canvas/g)?.length, charts, "a canvas per chart");
  assert.equal(page.match(/<script/g)?.length, charts + 1, "the library's script and one per chart");
}

describe("the HTML report", () => {
  it("a plain scenario: the library once, a bar chart per figure across the systems, units from the keys", () => {
    const page = html(PLAIN);
    const configs = chartConfigs(page, CHART_SCRIPT_START);
    assert.equal(configs.length, Object.keys(PLAIN_UNITS).length);
    assertSelfContained(page, configs.length);
    for (const [config, [key, unit]] of configs.map((c, i) => [c, Object.entries(PLAIN_UNITS)[i]] as const)) {
      assertChartBasics(config);
      assert.equal(config.type, "bar");
      assert.equal(config.options.plugins.title.text, labelOf(key));
      // Horizontal bars: the values along x, titled with the unit (the figure's name where it has none).
      assert.equal(config.options.scales.x.title.text, unit || key);
      assert.equal(config.options.scales.y.title.text, "system");
      assert.deepEqual(config.data.labels, Object.keys(PLAIN.systems));
      assert.equal(config.data.datasets.length, 1);
    }
    const share = configs.find((c) => c.options.plugins.title.text === "loadShare")!;
    assert.deepEqual(share.data.datasets[0].data, [25, 50], "a share charted as %");
  });

  it("a system's name cannot end the chart's script: < is escaped in the JSON, and the name comes back whole", () => {
    const page = html(PLAIN);
    assert.ok(!page.includes(HOSTILE_NAME.slice(0, 20)), "the name never appears raw");
    assert.ok(page.includes("\\u003c/script>\\u003cscript>"), "written with \\u003c in the JSON");
    assert.ok(page.includes(`&lt;/script&gt;&lt;script&gt;`), "and escaped in the tables");
    for (const config of chartConfigs(page, CHART_SCRIPT_START)) assert.equal(config.data.labels?.[1], HOSTILE_NAME);
  });

  it("capacity: lines against players per room size, the profile's categories, a bar chart per figure with a series per room size", () => {
    const page = html(CAPACITY);
    const configs = chartConfigs(page, CHART_SCRIPT_START);
    assert.equal(configs.length, CAPACITY_CHARTS.lines + CAPACITY_CHARTS.categories + CAPACITY_CHARTS.figures);
    assertSelfContained(page, configs.length);
    configs.forEach(assertChartBasics);

    const lines = configs.filter((c) => c.type === "line");
    assert.equal(lines.length, CAPACITY_CHARTS.lines);
    for (const line of lines) {
      assert.equal(line.options.scales.x.type, "linear");
      assert.equal(line.options.scales.x.title.text, "players");
      assert.match(line.options.scales.y.title.text, /^(ms|bytes) per client-second$/);
      assert.deepEqual(
        line.data.datasets.map((d) => d.label),
        ["arena", "baseline"],
      );
      assert.deepEqual(
        line.data.datasets[0].data.map((p) => (p as { x: number }).x),
        [16, 32, 64],
      );
    }

    const categories = configs.filter((c) => c.options.scales.y.title.text === "category");
    assert.equal(categories.length, CAPACITY_CHARTS.categories);
    assert.equal(categories[0].options.scales.x.title.text, "% of busy samples");

    const figures = configs.filter((c) => c.type === "bar" && c.options.scales.y.title.text === "system");
    assert.equal(figures.length, CAPACITY_CHARTS.figures);
    for (const figure of figures) {
      assert.deepEqual(figure.data.labels, ["arena", "baseline"]);
      assert.deepEqual(
        figure.data.datasets.map((d) => d.label),
        ["rooms of 8", "rooms of 16"],
      );
    }
    const cpu = figures.find((c) => c.options.plugins.title.text === labelOf("cpuMsPerClientSecond"))!;
    assert.equal(cpu.options.scales.x.title.text, "ms per client-second");
  });

  it("the Markdown has no chart in it", () => {
    assert.doesNotMatch(markdown(CAPACITY), /<script|<canvas|svg/);
  });
});

describe("units from figure keys", () => {
  it("reads the unit at the end of a key, after any rate", () => {
    const cases: [string, string, number][] = [
      ["cpuMsPerClientSecond", "ms per client-second", 1],
      ["bytesPerClientSecond", "bytes per client-second", 1],
      ["framesOutPerClientSecond", "per client-second", 1],
      ["minorGcPerSecond", "per second", 1],
      ["correctionsPerMinute", "per minute", 1],
      ["tickP99Ms", "ms", 1],
      ["errorPx", "px", 1],
      ["rssMegabytes", "MB", 1],
      ["rssStartMb", "MB", 1],
      ["payloadBytes", "bytes", 1],
      ["busyShare", "%", 100],
      ["lossPercent", "%", 1],
      ["serversCpuCores", "cores", 1],
      ["botErrors", "", 1],
      ["rooms", "", 1],
    ];
    for (const [key, unit, scale] of cases) assert.deepEqual(unitOf(key), { unit, scale }, key);
  });
});
