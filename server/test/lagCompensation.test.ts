import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { INPUT_GROUP_FRAMES } from "@arena/shared";
import { type ServerProcess, spawnServer, TestPlayer, waitFor } from "@arena/testkit";

/** Round trip the server adds to every client (Colyseus COLYSEUS_LATENCY). */
const ROUND_TRIP_MS = 150;
/** The shooter's interpolation delay for remote players, as the browser client uses. */
const RENDER_DELAY_MS = 100;

interface Sample {
  t: number;
  x: number;
  y: number;
}

/** Linear interpolation in a received history, as the client displays it. */
function positionAt(history: Sample[], t: number): { x: number; y: number } | undefined {
  for (let i = 1; i < history.length; i++) {
    const a = history[i - 1],
      b = history[i];
    if (a.t <= t && t <= b.t) {
      const k = b.t === a.t ? 0 : (t - a.t) / (b.t - a.t);
      return { x: a.x + (b.x - a.x) * k, y: a.y + (b.y - a.y) * k };
    }
  }
  return undefined;
}

/**
 * A target runs right along y = 150; the shooter stands below it at
 * (800, 420) with a clear line, aims at where it sees the target (its
 * interpolated view, RENDER_DELAY_MS behind the latest patch plus half the
 * round trip) and fires once. Returns who the server says was hit.
 */
async function shootAtRunner(server: ServerProcess): Promise<{ target: string | null; runner: string; lead: number }> {
  // Both send their frames in groups, as the browser client does.
  const runner = await TestPlayer.join(server.endpoint, "Runner", {}, { groupFrames: INPUT_GROUP_FRAMES });
  const shooter = await TestPlayer.join(server.endpoint, "Shooter", {}, { renderDelayMs: RENDER_DELAY_MS, groupFrames: INPUT_GROUP_FRAMES });
  try {
    runner.room.send("__test:place", { x: 560, y: 150 });
    shooter.room.send("__test:place", { x: 800, y: 420 });
    await waitFor(
      "placed, shields down",
      () => {
        const r = shooter.state.players.get(runner.id),
          s = shooter.state.players.get(shooter.id);
        return r && s && r.x === 560 && s.x === 800 && !r.shielded;
      },
      5000,
    );
    const history: Sample[] = [];
    shooter.room.onStateChange(() => {
      const r = shooter.state.players.get(runner.id)!;
      history.push({ t: shooter.room.clock.lastServerTime(), x: r.x, y: r.y });
    });
    shooter.play();
    runner.controls.moveX = 1;
    runner.play();
    const clock = shooter.room.clock;
    await waitFor(
      "clock sync and 500 ms of the runner moving",
      () => {
        const moving = history.filter((h) => h.x > 560);
        return clock.smoothedRtt() > 0 && moving.length > 0 && history.at(-1)!.t - moving[0].t > 500;
      },
      5000,
    );

    // The instant the SDK stamps on the next frame (InputHandle._sampleStamp).
    const renderTime = Math.round(clock.serverNow()) - Math.round(RENDER_DELAY_MS + clock.smoothedRtt() / 2);
    const seen = positionAt(history, renderTime);
    assert.ok(seen, `render time ${renderTime} inside the received history`);
    const me = shooter.state.players.get(shooter.id)!;
    shooter.controls.aim = Math.atan2(seen.y - me.y, seen.x - me.x);
    shooter.controls.fire = true;
    shooter.sendFrame();
    shooter.controls.fire = false;
    const live = shooter.state.players.get(runner.id)!.x;
    const shot = await waitFor("the shot", () => shooter.eventsOf("shot").find((s) => s.shooter === shooter.id), 3000);
    return { target: shot.target, runner: runner.id, lead: live - seen.x };
  } finally {
    await Promise.all([runner.leave(), shooter.leave()]);
  }
}

describe(`lag compensation at ${ROUND_TRIP_MS} ms round trip`, () => {
  const servers: ServerProcess[] = [];
  after(() => Promise.all(servers.map((s) => s.stop())));

  it("a shot at what the shooter sees hits a moving target, thanks to rewind", async () => {
    const server = await spawnServer({ ENABLE_TEST_HOOKS: "1", COLYSEUS_LATENCY: String(ROUND_TRIP_MS), REWIND_WINDOW_MS: "300" });
    servers.push(server);
    const { target, runner } = await shootAtRunner(server);
    assert.equal(target, runner);
  });

  it("the same shot without rewind misses", async () => {
    const server = await spawnServer({ ENABLE_TEST_HOOKS: "1", COLYSEUS_LATENCY: String(ROUND_TRIP_MS), REWIND_WINDOW_MS: "0" });
    servers.push(server);
    const { target, lead } = await shootAtRunner(server);
    assert.equal(target, null, `the runner was ${lead.toFixed(1)} px ahead of what the shooter saw`);
  });
});
