import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type RunningServer } from "@arena/testkit";
import { TELEMETRY_MIN_SPACING_MS } from "@arena/shared";
import { startServer } from "./helpers/servers.ts";

/**
 * The monitoring files in ops/ against the real thing: the alert rules pass
 * promtool (Debian's `prometheus` package; skipped with the reason when it is
 * missing, a failure under CI=true), and every metric the rules and the
 * Grafana dashboard name is one a running server exports.
 */
const RULES = new URL("../../ops/prometheus/arena.rules.yml", import.meta.url);
const DASHBOARD = new URL("../../ops/grafana/arena-dashboard.json", import.meta.url);
const PROMTOOL = process.env.PROMTOOL_PATH ?? "promtool";

function promtoolSkipReason(): string | false {
  if (spawnSync(PROMTOOL, ["--version"]).status === 0) return false;
  const reason = "no promtool on PATH (apt-get install prometheus)";
  if (process.env.CI === "true") throw new Error(`CI=true and ${reason}`);
  return reason;
}
const skip = promtoolSkipReason();
if (skip) console.log(`# skipping promtool's check of the alert rules: ${skip}`);

/** The metric names a PromQL text uses (the project's, and Node's and the process's defaults). */
function metricNames(text: string): Set<string> {
  return new Set([...text.matchAll(/\b(?:arena|nodejs|process)_[a-z0-9_]+\b/g)].map((m) => m[0]));
}

/** The series a metric family exposes: a histogram's _bucket, _sum and _count are its family's. */
function familyOf(name: string, families: Set<string>): string | undefined {
  if (families.has(name)) return name;
  const stem = name.replace(/_(bucket|sum|count)$/, "");
  return families.has(stem) ? stem : undefined;
}

describe("monitoring: alert rules and dashboard", () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  it("the alert rules pass promtool", { skip }, () => {
    const result = spawnSync(PROMTOOL, ["check", "rules", RULES.pathname], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /SUCCESS: \d+ rules found/);
  });

  it("the clients' frozen-frames alert: one client, on a bad link or lying, does not page; many do", { skip }, () => {
    // Each client's reports as arena_client_frozen_frame_ratio's series would show them: per 20 s step,
    // `reports` reports at `ratio`. One client sends at most a report per TELEMETRY_MIN_SPACING_MS.
    const most = 20_000 / TELEMETRY_MIN_SPACING_MS;
    const cases = {
      alone: { clients: [{ reports: most, ratio: 0.5 }], fires: false },
      oneOfFive: { clients: [{ reports: most, ratio: 0.5 }, ...Array.from({ length: 4 }, () => ({ reports: 4, ratio: 0 }))], fires: false },
      oneOfThirteen: { clients: [{ reports: most, ratio: 0.5 }, ...Array.from({ length: 12 }, () => ({ reports: 4, ratio: 0 }))], fires: false },
      twenty: { clients: Array.from({ length: 20 }, () => ({ reports: 4, ratio: 0.1 })), fires: true },
    };
    const buckets = ["0", "0.001", "0.0025", "0.005", "0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1", "+Inf"];
    const dir = mkdtempSync(join(tmpdir(), "arena-rules-"));
    try {
      const tests = Object.entries(cases).map(([instance, { clients, fires }]) => {
        const perStep = (le: string) => clients.filter((c) => le === "+Inf" || c.ratio <= Number(le)).reduce((sum, c) => sum + c.reports, 0);
        const series = buckets.map((le) => ({
          series: `arena_client_frozen_frame_ratio_bucket{instance="${instance}",le="${le}"}`,
          values: `0+${perStep(le)}x90`,
        }));
        series.push({ series: `arena_client_frozen_frame_ratio_count{instance="${instance}"}`, values: `0+${perStep("+Inf")}x90` });
        const firing = `ALERTS{alertname="ArenaClientsFrozenFrames",alertstate="firing",instance="${instance}"}`;
        const expected = fires ? [{ labels: "{}", value: 1 }] : [];
        return { interval: "20s", input_series: series, promql_expr_test: [{ expr: `count(${firing})`, eval_time: "29m", exp_samples: expected }] };
      });
      // JSON is YAML: promtool reads it as written.
      const file = join(dir, "frozen.test.yml");
      writeFileSync(file, JSON.stringify({ rule_files: [RULES.pathname], evaluation_interval: "20s", tests }));
      const result = spawnSync(PROMTOOL, ["test", "rules", file], { encoding: "utf8" });
      assert.equal(result.status, 0, result.stdout + result.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("every metric the rules and the dashboard name exists in a running server's /metrics", async () => {
    const exposition = await (await fetch(`${server.metricsEndpoint}/metrics`)).text();
    const families = new Set([...exposition.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as { panels: { targets: { expr: string }[] }[] };
    const named = new Set([
      ...metricNames(readFileSync(RULES, "utf8")),
      ...dashboard.panels.flatMap((panel) => panel.targets.flatMap((target) => [...metricNames(target.expr)])),
    ]);
    assert.ok(named.size >= 10, `${named.size} metrics named`);
    const missing = [...named].filter((name) => familyOf(name, families) === undefined);
    assert.deepEqual(missing, [], "named by ops/ but not exported");
  });
});
