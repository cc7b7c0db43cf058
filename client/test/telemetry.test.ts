import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { TELEMETRY_INTERVAL_MS, type ServerMessages, type TelemetryReport } from "@arena/shared";
import { spawnServer, waitFor, type ServerProcess } from "@arena/testkit";
import { ArenaConnection } from "../src/net/ArenaConnection.ts";
import { GameSession, type Controls } from "../src/net/GameSession.ts";
import { MAX_DELAY_MS, MIN_DELAY_MS } from "../src/net/InterpolationDelay.ts";
import { TelemetryReporter } from "../src/net/TelemetryReporter.ts";

const FRAME_MS = 1000 / 60;

/** One sample of the server's /metrics. */
async function sample(server: ServerProcess, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${server.metricsEndpoint}/metrics`, { signal: AbortSignal.timeout(1000) })).text();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
}

/**
 * The browser client's telemetry in Node: a GameSession drawn at 60 frames a
 * second with a TelemetryReporter beside it, as ArenaPage runs them, over the
 * real SDK against the real server.
 */
describe("client telemetry, headless", () => {
  let server: ServerProcess;
  before(async () => {
    server = await spawnServer();
  });
  after(() => server.stop());

  it("a session's first report goes out after 5 s, with its figures, and the server accepts it", { timeout: 30_000 }, async () => {
    const ann = new ArenaConnection(server.endpoint, undefined);
    await ann.quickPlay("Ann");
    // Someone to draw: Bob, so the report has remote frames.
    const bob = new ArenaConnection(server.endpoint, undefined);
    await bob.joinRoom(ann.room!.roomId, "Bob");
    const session = new GameSession(ann);
    const reporter = new TelemetryReporter(session, ann);
    const errors: ServerMessages["error"][] = [];
    ann.on("message", (type, payload) => {
      if (type === "error") errors.push(payload as ServerMessages["error"]);
    });
    const controls: Controls = { moveX: 1, moveY: 0, aim: 0, fire: false };
    const reports: TelemetryReport[] = [];
    const startedAt = performance.now();
    const loop = setInterval(() => {
      session.update(FRAME_MS, controls);
      const report = reporter.frame();
      if (report !== undefined) reports.push(report);
    }, FRAME_MS);
    try {
      await waitFor("the first report", () => reports.length > 0, TELEMETRY_INTERVAL_MS + 3000);
      assert.ok(performance.now() - startedAt >= TELEMETRY_INTERVAL_MS);
      const [report] = reports;
      console.log(`# ${JSON.stringify(report)}`);
      const fps = (report.frames * 1000) / report.intervalMs;
      // setInterval at 60 Hz on a busy 2-core machine: somewhat under 60.
      assert.ok(fps > 20 && fps <= 65, `${fps.toFixed(1)} fps`);
      assert.ok(report.remoteFrames > 0 && report.remoteFrames <= report.frames, "Bob was drawn");
      assert.ok(report.frozenFrames <= report.remoteFrames);
      assert.ok(report.pingMs !== null && report.pingMs >= 0 && report.pingMs < 1000, `ping ${report.pingMs}`);
      assert.ok(report.delayMs >= MIN_DELAY_MS && report.delayMs <= MAX_DELAY_MS, `delay ${report.delayMs}`);
      await waitFor("the server to count it", async () => (await sample(server, 'arena_client_reports_total{outcome="accepted"}')) === 1);
      assert.equal(await sample(server, "arena_client_fps_count"), 1);
      assert.equal(await sample(server, "arena_client_ping_seconds_sum"), report.pingMs / 1000);
      assert.deepEqual(errors, [], "no refusal");
    } finally {
      clearInterval(loop);
      session.dispose();
      await Promise.all([ann.leave(), bob.leave()]);
    }
  });
});
