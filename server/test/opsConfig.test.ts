import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { type RunningServer } from "@arena/testkit";
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
