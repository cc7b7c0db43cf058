import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { FixedStepper, STEP_SECONDS, moveBody, sanitizeInput, type InputFrame } from "@arena/shared";
import { CORRECTION_SMOOTH_MS, PredictedPlayer, SNAP_DISTANCE_PX } from "../src/net/PredictedPlayer.ts";
import { InterpolationDelay } from "../src/net/InterpolationDelay.ts";
import { SnapshotBuffer, TELEPORT_DISTANCE_PX } from "../src/net/SnapshotBuffer.ts";
import { reconnectDelays } from "../src/net/reconnectSchedule.ts";

const frame = (moveX: number, moveY: number): InputFrame => sanitizeInput({ moveX, moveY, aim: 0, fire: false });

/** The server's side of the story: the same step applied to the frames it consumed. */
function serverAfter(start: { x: number; y: number }, frames: InputFrame[]): { x: number; y: number } {
  const body = { ...start };
  for (const f of frames) moveBody(body, f.moveX, f.moveY, STEP_SECONDS);
  return body;
}

describe("predicted player", () => {
  it("moves on the frame it is sent, before any server answer", () => {
    const me = new PredictedPlayer();
    me.reset(300, 300, true);
    me.predict(1, frame(1, 0), STEP_SECONDS);
    assert.ok(me.position.x > 300);
  });

  it("is drawn moving on the very frame a key goes down, between steps", () => {
    const me = new PredictedPlayer();
    me.reset(300, 300, true);
    const drawn = me.render(0.5, 0, frame(1, 0), STEP_SECONDS);
    assert.ok(drawn.x > 300 && drawn.x < 300 + 7.4, `drawn at ${drawn.x}`);
    assert.deepEqual(me.position, { x: 300, y: 300 }, "drawing predicts nothing for real");
  });

  it("replaying unacknowledged frames after a server state lands exactly on the server's result", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true })), { minLength: 2, maxLength: 60 }),
        fc.nat(),
        (moves, cut) => {
          const frames = moves.map(([x, y]) => frame(x, y));
          const acked = cut % frames.length;
          const start = { x: 500, y: 300 };
          const me = new PredictedPlayer();
          me.reset(start.x, start.y, true);
          frames.forEach((f, i) => me.predict(i + 1, f, STEP_SECONDS));
          // The server has consumed `acked` frames; the rest are in flight.
          const server = serverAfter(start, frames.slice(0, acked));
          const correction = me.reconcile({ ...server, alive: true }, acked, STEP_SECONDS, 0);
          assert.equal(correction, null, "an exact prediction needs no correction");
          assert.deepEqual(me.position, serverAfter(start, frames));
          assert.equal(me.pendingCount, frames.length - acked);
          // Once every frame is acked, the prediction is the server's state, bit for bit.
          me.reconcile({ ...serverAfter(start, frames), alive: true }, frames.length, STEP_SECONDS, 0);
          assert.deepEqual(me.position, serverAfter(start, frames));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a server correction glides instead of jumping, and a teleport jumps", () => {
    const me = new PredictedPlayer();
    me.reset(300, 300, true);
    me.predict(1, frame(1, 0), STEP_SECONDS);
    const still = { moveX: 0, moveY: 0 };
    const drawnBefore = me.render(0, 0, still, STEP_SECONDS);
    // The server put the player 10 px further down (something the client could not know).
    const server = serverAfter({ x: 300, y: 310 }, [frame(1, 0)]);
    const correction = me.reconcile({ ...server, alive: true }, 1, STEP_SECONDS, 0);
    assert.ok(correction !== null && Math.abs(correction.sizePx - 10) < 1e-9);
    const drawnAfter = me.render(0, 0, still, STEP_SECONDS);
    assert.ok(Math.abs(drawnAfter.y - drawnBefore.y) < 1e-9, "no visible jump at the correction");
    const later = me.render(0, CORRECTION_SMOOTH_MS * 5, still, STEP_SECONDS);
    assert.ok(Math.abs(later.y - server.y) < 0.1, "the glide ends on the corrected position");

    assert.equal(me.reconcile({ x: 1400, y: 1000, alive: true }, 1, STEP_SECONDS, 1000), null, "a teleport is not a misprediction");
    assert.equal(me.teleportCount, 1);
    assert.equal(me.correctionCount, 1);
    const afterTeleport = me.render(0, 1000 + 1, still, STEP_SECONDS);
    assert.ok(Math.hypot(afterTeleport.x - 1400, afterTeleport.y - 1000) < 1e-9, `snaps beyond ${SNAP_DISTANCE_PX} px`);
  });

  it("a death is not a misprediction: the body stays where the server says it fell", () => {
    const me = new PredictedPlayer();
    me.reset(300, 300, true);
    for (let seq = 1; seq <= 3; seq++) me.predict(seq, frame(1, 0), STEP_SECONDS);
    // The server consumed the first frame, then the player was shot dead.
    const fell = serverAfter({ x: 300, y: 300 }, [frame(1, 0)]);
    assert.equal(me.reconcile({ ...fell, alive: false }, 1, STEP_SECONDS, 0), null);
    assert.deepEqual({ ...me.position }, fell);
    assert.equal(me.deathCount, 1);
    assert.equal(me.correctionCount, 0);
  });

  it("the dead do not move, as on the server", () => {
    const me = new PredictedPlayer();
    me.reset(300, 300, false);
    me.predict(1, frame(1, 1), STEP_SECONDS);
    assert.deepEqual(me.position, { x: 300, y: 300 });
  });
});

describe("interpolation of remote players", () => {
  it("is monotonic in time: never jumps backwards along a straight run", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 30, max: 80 }), { minLength: 3, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 10, maxLength: 200 }),
        (gaps, frameSteps) => {
          const buffer = new SnapshotBuffer();
          const delay = new InterpolationDelay();
          let t = 1000;
          let x = 100;
          // Patches arrive 20 ms after their server time, and wobble by up to 3 ms either way.
          let now = 1020;
          const arrivals: { at: number; t: number; x: number }[] = [];
          for (const gap of gaps) {
            t += gap;
            x += gap * 0.2; // 200 px/s to the right
            arrivals.push({ at: t + 20 + ((gap % 7) - 3), t, x });
          }
          let lastTime = -Infinity;
          let lastX = -Infinity;
          for (const step of frameSteps) {
            now += step;
            while (arrivals.length > 0 && arrivals[0].at <= now) {
              const a = arrivals.shift()!;
              delay.patch(a.at, a.t);
              buffer.push(a.t, a.x, 200);
            }
            const renderTime = delay.renderTime(now);
            if (Number.isNaN(renderTime)) continue;
            assert.ok(renderTime >= lastTime);
            lastTime = renderTime;
            const at = buffer.sample(renderTime)!;
            assert.ok(at.x >= lastX - 1e-9, `x went back from ${lastX} to ${at.x}`);
            lastX = at.x;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("interpolates between the two snapshots around the render time and holds the newest", () => {
    const buffer = new SnapshotBuffer();
    buffer.push(1000, 0, 0);
    buffer.push(1050, 10, 0);
    assert.deepEqual(buffer.sample(1025), { x: 5, y: 0, t: 1025 });
    assert.deepEqual(buffer.sample(2000), { x: 10, y: 0, t: 1050 }, "past the newest: held, drawn at the newest's time");
  });

  it("does not glide across a teleport", () => {
    const buffer = new SnapshotBuffer();
    buffer.push(1000, 0, 0);
    buffer.push(1050, TELEPORT_DISTANCE_PX * 3, 0);
    assert.deepEqual(buffer.sample(1025), { x: 0, y: 0, t: 1000 });
  });
});

describe("fixed stepper", () => {
  it("turns frames of any length into steps at the tick rate", () => {
    const stepper = new FixedStepper(1000 / 30);
    let steps = 0;
    for (let i = 0; i < 144; i++) steps += stepper.advance(1000 / 144); // one second on a 144 Hz display
    assert.ok(steps === 29 || steps === 30, `${steps} steps`);
    assert.equal(new FixedStepper(1000 / 30, 4).advance(5000), 4, "a long stall is not replayed as a burst");
  });
});

describe("reconnection schedule", () => {
  it("uses full jitter with exponential caps and ends just before the seat is released", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 2000, max: 60000 }), (seed, graceMs) => {
        let s = seed;
        const random = () => {
          s = (s * 1103515245 + 12345) % 2 ** 31;
          return s / 2 ** 31;
        };
        const delays = reconnectDelays({ graceMs, baseMs: 250, capMs: 4000, marginMs: 500 }, random);
        const total = delays.reduce((a, b) => a + b, 0);
        assert.equal(total, graceMs - 500);
        delays.slice(0, -1).forEach((d, i) => assert.ok(d >= 0 && d <= Math.min(4000, 250 * 2 ** i), `delay ${i} = ${d}`));
      }),
      { numRuns: 200 },
    );
  });

  it("spreads clients out: a thousand clients do not retry in the same millisecond", () => {
    const firsts = new Set(Array.from({ length: 1000 }, () => reconnectDelays({ graceMs: 20000 })[1]));
    assert.ok(firsts.size > 300, `${firsts.size} distinct second delays`);
  });
});

describe("error sentences", () => {
  it("every error a player can meet reads as a sentence", async () => {
    const { closeSentence, errorSentence } = await import("../src/net/errors.ts");
    const { CloseCode } = await import("@arena/shared");
    assert.match(errorSentence(new TypeError("Failed to fetch")), /cannot be reached/);
    assert.match(errorSentence(new Error("room_full: That room is full.")), /full/);
    assert.match(errorSentence(new Error("unknown_code: No room has that code.")), /No room has that code/);
    assert.match(errorSentence(new Error("client_outdated: x")), /Reload the page/);
    assert.match(errorSentence(new Error("server_draining: x")), /restarting/);
    assert.match(closeSentence(CloseCode.SERVER_DRAINING), /restarting/);
    assert.match(closeSentence(CloseCode.FLOODING), /too many messages/);
    assert.match(closeSentence(CloseCode.ROOM_FAULT), /server error/);
    assert.match(errorSentence({ weird: true }), /Try again/);
  });
});
