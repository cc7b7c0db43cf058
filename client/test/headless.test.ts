import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { median as medianOf, spawnServer, type ServerProcess, TcpProxy, waitFor } from "@arena/testkit";
import { RESPAWN_DELAY_S } from "@arena/shared";
import { ArenaConnection } from "../src/net/ArenaConnection.ts";
import { GameSession, type Controls } from "../src/net/GameSession.ts";
import { MAX_DELAY_MS, MIN_DELAY_MS } from "../src/net/InterpolationDelay.ts";

/** Round trip added by the server to every client (Colyseus COLYSEUS_LATENCY). */
const ROUND_TRIP_MS = 100;
const FRAME_MS = 1000 / 60;

/**
 * The browser client's netcode (ArenaConnection + GameSession, everything
 * but Phaser) in Node, with the real SDK against the real server at 100 ms
 * round trip.
 */
describe(`client netcode, headless, ${ROUND_TRIP_MS} ms round trip`, () => {
  let server: ServerProcess;
  before(async () => {
    server = await spawnServer({ COLYSEUS_LATENCY: String(ROUND_TRIP_MS), ENABLE_TEST_HOOKS: "1" });
  });
  after(() => server.stop());

  it("hits are shown: the victim flashes and is told who took it out and when it is back, the shooter gets a marker, a mark stays where it fell", async () => {
    const ann = new ArenaConnection(server.endpoint, undefined);
    await ann.quickPlay("Ann");
    const bob = new ArenaConnection(server.endpoint, undefined);
    await bob.joinRoom(ann.room!.roomId, "Bob");
    const annSession = new GameSession(ann);
    const bobSession = new GameSession(bob);
    const annControls: Controls = { moveX: 0, moveY: 0, aim: 0, fire: false };
    const bobControls: Controls = { moveX: 0, moveY: 0, aim: Math.PI, fire: false };
    const seen = { hurt: 0, markers: 0, falls: 0, killedBy: undefined as string | undefined, respawnInS: [] as number[], bobAlive: true };
    const loop = setInterval(() => {
      const annView = annSession.update(FRAME_MS, annControls);
      const bobView = bobSession.update(FRAME_MS, bobControls);
      seen.hurt = Math.max(seen.hurt, bobView.feedback.hurt);
      seen.markers = Math.max(seen.markers, annView.feedback.hits.length);
      seen.falls = Math.max(seen.falls, annView.feedback.falls.length);
      seen.killedBy = bobView.feedback.killedBy ?? seen.killedBy;
      if (bobView.feedback.respawnInS !== undefined) seen.respawnInS.push(bobView.feedback.respawnInS);
      seen.bobAlive = bobView.me?.alive ?? false;
      if (bobView.me?.alive) assert.equal(bobView.feedback.killedBy, undefined, "nothing to tell a live player");
    }, FRAME_MS);
    try {
      ann.testPlace(300, 150);
      bob.testPlace(600, 150);
      await waitFor(
        "both placed, shields down",
        () => {
          const a = ann.state?.players.get(ann.sessionId!);
          const b = ann.state?.players.get(bob.sessionId!);
          return a?.x === 300 && b?.x === 600 && !a.shielded && !b.shielded;
        },
        8000,
      );
      annControls.fire = true;
      await waitFor("Bob taken out, and told by whom", () => seen.killedBy === "Ann", 10_000);
      annControls.fire = false;
      assert.ok(seen.hurt > 0, "Bob's screen flashed when hit");
      assert.ok(seen.markers > 0, "Ann saw a hit marker");
      assert.ok(seen.falls > 0, "Ann saw where Bob fell");
      assert.ok(
        seen.respawnInS.length > 0 && seen.respawnInS.every((s) => s >= 0 && s <= RESPAWN_DELAY_S),
        `countdown ${seen.respawnInS.slice(0, 3).join(", ")}`,
      );
      await waitFor("Bob back", () => seen.bobAlive, 8000);
      assert.ok(seen.respawnInS.at(-1)! < seen.respawnInS[0] - 1, `the countdown counts down: ${seen.respawnInS[0]} to ${seen.respawnInS.at(-1)}`);
    } finally {
      clearInterval(loop);
      annSession.dispose();
      bobSession.dispose();
      await Promise.all([ann.leave(), bob.leave()]);
    }
  });

  it("the ping is the network round trip (a ping frame and its answer), below the input round trip, which waits for the tick and the patch too", async () => {
    const connection = new ArenaConnection(server.endpoint, undefined);
    await connection.quickPlay("Pinger");
    const session = new GameSession(connection);
    const controls: Controls = { moveX: 1, moveY: 0, aim: 0, fire: false };
    const loop = setInterval(() => session.update(FRAME_MS, controls), FRAME_MS);
    try {
      const pings: number[] = [];
      const inputs: number[] = [];
      await waitFor("the first ping answer", () => connection.pingMs(), 4000);
      for (let i = 0; i < 4; i++) {
        // A ping goes out every 2 s; the samples are 2.1 s apart (two may read the same answer, which is fine).
        if (i > 0) await new Promise((resolve) => setTimeout(resolve, 2100));
        const ping = connection.pingMs()!;
        pings.push(ping);
        inputs.push(connection.roundTripMs());
      }
      console.log(`# ping ${pings.map((p) => p.toFixed(0)).join(", ")} ms; input round trip ${inputs.map((p) => p.toFixed(0)).join(", ")} ms`);
      // Both directions are held ROUND_TRIP_MS / 2 by the server's latency simulation: no answer comes sooner.
      assert.ok(Math.min(...pings) >= ROUND_TRIP_MS - 1, `pings ${pings.join(", ")}`);
      assert.ok(medianOf(pings) < medianOf(inputs), `ping ${medianOf(pings)} ms, input round trip ${medianOf(inputs)} ms`);
      assert.equal(session.update(FRAME_MS, controls).hud.pingMs, Math.round(connection.pingMs()!), "the HUD shows the ping");
    } finally {
      clearInterval(loop);
      session.dispose();
      await connection.leave();
    }
  });

  it("prediction lands exactly on the server's state once inputs stop; corrections while moving stay below 1 px", async () => {
    const connection = new ArenaConnection(server.endpoint, undefined);
    await connection.quickPlay("Runner");
    const session = new GameSession(connection);
    const controls: Controls = { moveX: 0, moveY: 0, aim: 0, fire: false };
    let frame = 0;
    const loop = setInterval(() => {
      frame++;
      // Run about: change direction every half second, sweep the aim.
      const phase = Math.floor(frame / 30);
      controls.moveX = [1, 0.6, -1, 0, -0.7, 1][phase % 6] ?? 0;
      controls.moveY = [0, 0.8, 0.3, -1, 0.7, -0.5][phase % 6] ?? 0;
      controls.aim = frame * 0.05;
      session.update(FRAME_MS, controls);
    }, FRAME_MS);
    try {
      await waitFor("the session to be running", () => session.framesSent > 0);
      const movingFor = 6000;
      const startedAt = performance.now();
      await new Promise((resolve) => setTimeout(resolve, movingFor));
      const correctionsWhileMoving = session.predicted.corrections.filter((c) => c.atMs >= startedAt).map((c) => c.sizePx);
      // Stop, and keep sending idle frames as a client does.
      clearInterval(loop);
      controls.moveX = controls.moveY = 0;
      const idle = setInterval(() => session.update(FRAME_MS, controls), FRAME_MS);
      try {
        // Every moving frame acknowledged: what is still in flight are idle frames, which move nobody.
        const lastMovingSeq = session.framesSent;
        await waitFor("every moving frame acknowledged", () => connection.ackSeq >= lastMovingSeq, 3000);
        const server = await waitFor(
          "the server's position to settle",
          async () => {
            const me = connection.state!.players.get(connection.sessionId!)!;
            await new Promise((r) => setTimeout(r, 300));
            const again = connection.state!.players.get(connection.sessionId!)!;
            return me.x === again.x && me.y === again.y ? { x: again.x, y: again.y } : null;
          },
          3000,
        );
        assert.deepEqual({ ...session.predicted.position }, server, "predicted position equals the server's, exactly");
        const median = correctionsWhileMoving.length === 0 ? 0 : medianOf(correctionsWhileMoving);
        console.log(
          `# ${session.framesSent} frames, ${correctionsWhileMoving.length} corrections in ${movingFor / 1000} s of movement, median ${median.toFixed(3)} px`,
        );
        assert.ok(median < 1, `median correction ${median} px`);
      } finally {
        clearInterval(idle);
      }
    } finally {
      clearInterval(loop);
      session.dispose();
      await connection.leave();
    }
  });
});

/**
 * A runner crosses the shooter's view along y = 150; the shooter, through
 * GameSession, aims at where it draws the runner and fires once per run.
 * `stampDelayMs`: what the stamps of lag compensation declare, when it is
 * not the delay the runner is drawn with (a lie, to show the test can fail).
 * Returns whether each shot hit.
 */
async function shotsAtDrawnRunner(endpoint: string, drawDelayMs: number, stampDelayMs?: number): Promise<boolean[]> {
  const runner = new ArenaConnection(endpoint, undefined);
  await runner.quickPlay("Runner");
  const shooter = new ArenaConnection(endpoint, undefined);
  await shooter.joinRoom(runner.room!.roomId, "Shooter");
  const runnerSession = new GameSession(runner);
  const shooterSession = new GameSession(shooter, { fixedDelayMs: drawDelayMs });
  if (stampDelayMs !== undefined) shooter.setRenderDelay(() => stampDelayMs);
  const runnerControls: Controls = { moveX: 0, moveY: 0, aim: 0, fire: false };
  const shooterControls: Controls = { moveX: 0, moveY: 0, aim: 0, fire: false };
  const results: boolean[] = [];
  const off = shooter.on("event", (event) => {
    if (event.type === "shot" && event.shooter === shooter.sessionId) results.push(event.target === runner.sessionId);
  });
  const loop = setInterval(() => {
    runnerSession.update(FRAME_MS, runnerControls);
    const view = shooterSession.update(FRAME_MS, shooterControls);
    const target = view.players.find((p) => !p.isMe);
    if (view.me !== undefined && target !== undefined) shooterControls.aim = Math.atan2(target.y - view.me.y, target.x - view.me.x);
    if (view.firedLocally) shooterControls.fire = false;
  }, FRAME_MS);
  try {
    for (let run = 0; run < 3; run++) {
      // Stopped first: frames still on their way would move it on from where it is placed.
      runnerControls.moveX = 0;
      await new Promise((r) => setTimeout(r, 500));
      runner.testPlace(560, 150);
      shooter.testPlace(800, 420);
      await waitFor(
        "placed, shields down",
        () => {
          const r = shooter.state?.players.get(runner.sessionId!);
          const s = shooter.state?.players.get(shooter.sessionId!);
          return r?.x === 560 && r.y === 150 && s?.x === 800 && !r.shielded && r.alive;
        },
        8000,
      );
      // Settled where it was placed, as drawn: then it runs right, and is shot mid-run.
      await new Promise((r) => setTimeout(r, drawDelayMs + 300));
      runnerControls.moveX = 1;
      await new Promise((r) => setTimeout(r, 700));
      const before = results.length;
      shooterControls.fire = true;
      await waitFor("the shot's result", () => results.length > before, 5000);
    }
    return results;
  } finally {
    clearInterval(loop);
    off();
    runnerSession.dispose();
    shooterSession.dispose();
    await Promise.all([runner.leave(), shooter.leave()]);
  }
}

describe(`lag compensation follows the interpolation delay, headless, ${ROUND_TRIP_MS} ms round trip`, () => {
  let server: ServerProcess;
  before(async () => {
    server = await spawnServer({ COLYSEUS_LATENCY: String(ROUND_TRIP_MS), ENABLE_TEST_HOOKS: "1" });
  });
  after(() => server.stop());

  for (const delayMs of [MIN_DELAY_MS, MAX_DELAY_MS]) {
    it(`shots at a running target, drawn ${delayMs} ms behind (an end of the adaptive range), hit`, async () => {
      const hits = await shotsAtDrawnRunner(server.endpoint, delayMs);
      assert.deepEqual(hits, [true, true, true]);
    });
  }

  it("the stamps carry the delay: drawn 200 ms behind but declared 60 ms, the same shots miss", async () => {
    const hits = await shotsAtDrawnRunner(server.endpoint, MAX_DELAY_MS, MIN_DELAY_MS);
    assert.deepEqual(hits, [false, false, false]);
  });
});

describe("client reconnection, headless", () => {
  const GRACE_S = 2;
  let server: ServerProcess;
  let proxy: TcpProxy;
  before(async () => {
    server = await spawnServer({ RECONNECT_GRACE_SECONDS: String(GRACE_S) });
    proxy = await TcpProxy.start(server.port);
  });
  after(async () => {
    await proxy.stop();
    await server.stop();
  });

  it("a short cut rejoins the same session; a cut longer than the grace window ends with a plain sentence", async () => {
    const connection = new ArenaConnection(proxy.endpoint, undefined);
    const statuses: string[] = [];
    connection.on("status", (s) => statuses.push(s));
    let left: string | undefined;
    connection.on("left", (reason) => {
      left = reason;
    });
    await connection.quickPlay("Ann");
    const id = connection.sessionId;
    await waitFor("the welcome message (grace window)", () => connection.state !== undefined);
    await new Promise((r) => setTimeout(r, 300));

    proxy.cut();
    await waitFor("reconnecting", () => connection.status === "reconnecting");
    await new Promise((r) => setTimeout(r, 500));
    proxy.restore();
    await waitFor("back in the match", () => connection.status === "playing", GRACE_S * 1000 + 2000);
    assert.equal(connection.sessionId, id);
    assert.deepEqual(statuses, ["joining", "playing", "reconnecting", "playing"]);

    proxy.cut();
    await waitFor("told the seat is gone", () => left !== undefined, GRACE_S * 1000 + 5000);
    proxy.restore();
    assert.equal(connection.status, "left");
    assert.match(left!, /seat|could not be restored/i);
    assert.doesNotMatch(left!, /Error:|\n\s+at |\{/, "a sentence, not a stack trace");
  });
});
