import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { browserSkipReason, launch } from "@arena/testkit/chromium";
import { CHART_SCRIPT_START } from "../src/bench/charts.ts";
import { html, type BenchReport } from "../src/bench/report.ts";
import { CAPACITY, chartConfigs, HOSTILE_NAME, PLAIN } from "./helpers/sampleReports.ts";

const skip = browserSkipReason();
if (skip) console.log(`# skipping the report's browser test: ${skip}`);

/** What Chart.js made of one canvas, read in the page. */
interface DrawnChart {
  type: string;
  title: string;
  datasets: number[];
  labels: number;
  /** Pixels the chart painted (not transparent). */
  painted: number;
}

/**
 * The HTML reports in a real Chromium, opened from disk with every request
 * but file:// aborted: the inlined Chart.js draws each chart with no network.
 */
describe("the HTML report in Chromium, offline", { skip }, () => {
  let browser: Browser;
  let dir: string;
  before(async () => {
    browser = await launch();
    dir = mkdtempSync(join(tmpdir(), "arena-report-"));
  });
  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(report: BenchReport) {
    const file = join(dir, `${report.scenario}.html`);
    const page = html(report);
    writeFileSync(file, page);
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const tab = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    tab.on("pageerror", (error) => errors.push(error.message));
    tab.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    await tab.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith("file:")) return route.continue();
      requests.push(url);
      return route.abort();
    });
    await tab.goto(pathToFileURL(file).href, { waitUntil: "load" });
    const hasChart = await tab.evaluate(() => typeof (window as any).Chart === "function");
    const drawn = await tab.evaluate(() =>
      [...document.querySelectorAll("canvas")].map((canvas): DrawnChart | null => {
        const chart = (window as any).Chart.getChart(canvas);
        if (!chart) return null;
        const pixels = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted++;
        return {
          type: chart.config.type,
          title: chart.options.plugins.title.text,
          datasets: chart.data.datasets.map((d: { data: unknown[] }) => d.data.length),
          labels: (chart.data.labels ?? []).length,
          painted,
        };
      }),
    );
    const escaped = await tab.evaluate(() => (window as any).__escaped);
    await context.close();
    return { page, errors, requests, hasChart, drawn, escaped };
  }

  for (const report of [PLAIN, CAPACITY]) {
    it(`${report.scenario}: every canvas has its Chart, drawn, with the datasets and labels of its config; no errors, no requests`, async () => {
      const { page, errors, requests, hasChart, drawn, escaped } = await open(report);
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, []);
      assert.equal(hasChart, true, "window.Chart");
      assert.equal(escaped, undefined, "no script of a system's name ran");
      const configs = chartConfigs(page, CHART_SCRIPT_START);
      assert.equal(drawn.length, configs.length);
      drawn.forEach((chart, i) => {
        assert.ok(chart, `canvas ${i} has a Chart`);
        const config = configs[i];
        assert.equal(chart.type, config.type);
        assert.equal(chart.title, config.options.plugins.title.text);
        assert.deepEqual(
          chart.datasets,
          config.data.datasets.map((d) => d.data.length),
        );
        assert.equal(chart.labels, config.data.labels?.length ?? 0);
        assert.ok(chart.painted > 1000, `${chart.title}: drawn (${chart.painted} pixels)`);
      });
      if (report === PLAIN) assert.ok(drawn.every((chart) => chart!.labels === 2));
    });
  }

  it("a system's name with </script> in it is a bar's label, whole", async () => {
    const file = join(dir, "labels.html");
    writeFileSync(file, html(PLAIN));
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.route("**/*", (route) => (route.request().url().startsWith("file:") ? route.continue() : route.abort()));
    await tab.goto(pathToFileURL(file).href);
    const labels = await tab.evaluate(() => (window as any).Chart.getChart(document.querySelector("canvas")).data.labels as string[]);
    await context.close();
    assert.deepEqual(labels, ["calm", HOSTILE_NAME]);
  });
});
