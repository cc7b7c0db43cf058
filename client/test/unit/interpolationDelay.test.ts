import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { PATCH_INTERVAL_MS } from "@arena/shared";
import {
  GROW_MS_PER_S,
  INITIAL_DELAY_MS,
  InterpolationDelay,
  MARGIN_MS,
  MAX_DELAY_MS,
  MIN_DELAY_MS,
  SHRINK_MS_PER_S,
  WINDOW_PATCHES,
} from "../../src/net/InterpolationDelay.ts";
import { SnapshotBuffer } from "../../src/net/SnapshotBuffer.ts";

interface Frame {
  now: number;
  renderTime: number;
  delay: number;
  target: number;
}

/**
 * Patches every 50 ms of server time, arriving `lateness(i)` later (never
 * before the one before: TCP keeps the order); a frame every `frameMs` of
 * local time in between.
 */
function run(delay: InterpolationDelay, patches: number, lateness: (i: number) => number, frameMs = 16): Frame[] {
  const frames: Frame[] = [];
  const arrivals = Array.from({ length: patches }, (_, i) => ({ server: i * PATCH_INTERVAL_MS, at: i * PATCH_INTERVAL_MS + lateness(i) }));
  for (let i = 1; i < arrivals.length; i++) arrivals[i].at = Math.max(arrivals[i].at, arrivals[i - 1].at);
  let next = 0;
  for (let now = 0; now <= arrivals.at(-1)!.at; now += frameMs) {
    while (next < arrivals.length && arrivals[next].at <= now) delay.patch(arrivals[next].at, arrivals[next++].server);
    const renderTime = delay.renderTime(now);
    if (!Number.isNaN(renderTime)) frames.push({ now, renderTime, delay: delay.delayMs, target: delay.targetMs });
  }
  return frames;
}

describe("interpolation delay", () => {
  it("on a clean link settles at one patch interval and the margin (60 ms), closer than the fixed 100 ms", () => {
    const delay = new InterpolationDelay();
    const frames = run(delay, 400, () => 20);
    assert.equal(delay.targetMs, MIN_DELAY_MS);
    assert.ok(Math.abs(frames.at(-1)!.delay - MIN_DELAY_MS) < 1e-9, `delay ${frames.at(-1)!.delay}`);
    // Drawn at now - (lateness + delay): the newest patch's time less the delay, as it arrives.
    const last = frames.at(-1)!;
    assert.ok(Math.abs(last.now - 20 - MIN_DELAY_MS - last.renderTime) < 1e-9);
    assert.ok(MIN_DELAY_MS < INITIAL_DELAY_MS);
  });

  it("grows with the jitter of the patches, and covers all but the latest tenth", () => {
    const delay = new InterpolationDelay();
    // 0 to 40 ms of jitter, spread evenly.
    run(delay, 400, (i) => 20 + ((i * 37) % 41));
    assert.ok(delay.targetMs >= PATCH_INTERVAL_MS + 30 + MARGIN_MS && delay.targetMs <= PATCH_INTERVAL_MS + 40 + MARGIN_MS, `target ${delay.targetMs}`);
  });

  it("is not held at the ceiling by a stall now and then", () => {
    const delay = new InterpolationDelay();
    // A 300 ms stall every 4 s (80 patches): the patches inside it arrive together at its end.
    run(delay, 800, (i) => 20 + (i % 80 < 6 ? 300 - (i % 80) * PATCH_INTERVAL_MS : 0));
    assert.ok(delay.targetMs < MAX_DELAY_MS / 2, `target ${delay.targetMs}`);
  });

  it("with the jitter it covers, the buffer never runs dry", () => {
    const delay = new InterpolationDelay();
    const buffer = new SnapshotBuffer();
    const lateness = (i: number) => 20 + ((i * 37) % 23);
    let dry = 0;
    let frames = 0;
    let next = 0;
    for (let now = 0; now < 20_000; now += 16) {
      for (; next * PATCH_INTERVAL_MS + lateness(next) <= now; next++) {
        delay.patch(next * PATCH_INTERVAL_MS + lateness(next), next * PATCH_INTERVAL_MS);
        buffer.push(next * PATCH_INTERVAL_MS, next, 0);
      }
      const t = delay.renderTime(now);
      if (now < 5000 || Number.isNaN(t)) continue;
      frames++;
      if (t > buffer.newestTime!) dry++;
    }
    assert.equal(dry, 0, `${dry} of ${frames} frames past the newest patch`);
  });

  it("whatever the arrivals: the target and the delay stay within their bounds, the drawing never runs backwards, and it never runs more than the slew limits slower or faster than real time but to hold the ceiling", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 2, maxLength: 3 * WINDOW_PATCHES }),
        fc.integer({ min: 1, max: 70 }),
        (lateness, frameMs) => {
          const delay = new InterpolationDelay();
          const frames = run(delay, lateness.length, (i) => lateness[i], frameMs);
          for (let i = 0; i < frames.length; i++) {
            const f = frames[i];
            assert.ok(f.target >= MIN_DELAY_MS && f.target <= MAX_DELAY_MS, `target ${f.target}`);
            assert.ok(f.delay <= MAX_DELAY_MS + 1e-9, `drawn ${f.delay} ms behind the fastest patch`);
            if (i === 0) continue;
            const advanced = f.renderTime - frames[i - 1].renderTime;
            assert.ok(advanced >= 0, `render time went back by ${-advanced}`);
            // Faster only where the ceiling holds it: a jump forward to MAX_DELAY_MS behind a faster patch.
            const atCeiling = f.delay >= MAX_DELAY_MS - (SHRINK_MS_PER_S * frameMs) / 1000 - 1e-9;
            assert.ok(atCeiling || advanced <= frameMs * (1 + SHRINK_MS_PER_S / 1000) + 1e-9, `render time ran ${advanced} ms in a ${frameMs} ms frame`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("the drawn time of a remote player never goes backwards, whatever the jitter and the frame times", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 2, maxLength: 200 }),
        fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 10, maxLength: 300 }),
        (lateness, frameTimes) => {
          const delay = new InterpolationDelay();
          const buffer = new SnapshotBuffer();
          let now = 0;
          let next = 0;
          let arrivedAt = -Infinity;
          let lastDrawnT = -Infinity;
          for (const frameMs of frameTimes) {
            now += frameMs;
            for (; next < lateness.length; next++) {
              const server = next * PATCH_INTERVAL_MS;
              const at = Math.max(server + lateness[next], arrivedAt);
              if (at > now) break;
              arrivedAt = at;
              delay.patch(at, server);
              buffer.push(server, next * 10, 0);
            }
            const renderTime = delay.renderTime(now);
            if (Number.isNaN(renderTime)) continue;
            const drawn = buffer.sample(renderTime)!;
            assert.ok(drawn.t >= lastDrawnT, `drawn at ${drawn.t} after ${lastDrawnT}`);
            lastDrawnT = drawn.t;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("the lag moves toward a new target at the slew limits: growing at most GROW_MS_PER_S, shrinking at most SHRINK_MS_PER_S", () => {
    const delay = new InterpolationDelay();
    run(delay, 200, () => 20);
    assert.equal(delay.targetMs, MIN_DELAY_MS);
    // 80 ms of jitter from now on: the target jumps, the delay follows at 60 ms a second.
    let now = 200 * PATCH_INTERVAL_MS;
    delay.renderTime(now);
    for (let i = 200; i < 260; i++) delay.patch(i * PATCH_INTERVAL_MS + 20 + (i % 2) * 80, i * PATCH_INTERVAL_MS);
    const before = delay.delayMs;
    now += 500;
    delay.renderTime(now);
    assert.ok(Math.abs(delay.delayMs - before - GROW_MS_PER_S / 2) < 1e-6, `grew ${delay.delayMs - before} ms in 0.5 s`);
  });

  it("a late first patch does not hold remote players past the ceiling: the delay stays within MAX_DELAY_MS of the fastest patch", () => {
    // The join's full state came 400 ms late (a busy page, a burst after a rejoin); the link is clean after it.
    const delay = new InterpolationDelay();
    const frames = run(delay, 200, (i) => (i === 0 ? 420 : 20));
    const late = frames.filter((f) => f.now >= 1000 && f.delay > MAX_DELAY_MS);
    assert.equal(late.length, 0, `${late.length} of ${frames.length} frames drawn ${late[0]?.delay} ms behind the fastest patch (ceiling ${MAX_DELAY_MS})`);
    for (let i = 1; i < frames.length; i++) assert.ok(frames[i].renderTime >= frames[i - 1].renderTime, "the drawing never runs backwards");
  });

  it("held at a fixed value, draws that far behind the fastest patch (tests and figures pin it)", () => {
    const delay = new InterpolationDelay(MAX_DELAY_MS);
    const frames = run(delay, 100, (i) => 20 + (i % 3) * 10);
    assert.equal(delay.targetMs, MAX_DELAY_MS);
    assert.ok(Math.abs(frames.at(-1)!.delay - MAX_DELAY_MS) < 1e-9);
  });
});
