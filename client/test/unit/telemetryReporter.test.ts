import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { TELEMETRY_INTERVAL_MS, TELEMETRY_LIMITS as LIMITS, type TelemetryReport } from "@arena/shared";
import { TestClock } from "@arena/shared/TestClock";
import { SNAP_DISTANCE_PX } from "../../src/net/PredictedPlayer.ts";
import { TelemetryReporter } from "../../src/net/TelemetryReporter.ts";

/** A session's counters as GameSession keeps them, moved by hand, and a sender that records. */
function rig(clock = new TestClock()) {
  const session = {
    stats: { remoteFrames: 0, frozenFrames: 0 },
    predicted: { correctionCount: 0, corrections: [] as { sizePx: number }[] },
    delay: { delayMs: 60 },
  };
  const sent: TelemetryReport[] = [];
  const sender = { ping: undefined as number | undefined, pingMs: () => sender.ping, sendTelemetry: (r: TelemetryReport) => sent.push(r) };
  const reporter = new TelemetryReporter(session, sender, clock);
  /** A correction as PredictedPlayer records one (it keeps the last 1000). */
  const correct = (sizePx: number) => {
    session.predicted.corrections.push({ sizePx });
    if (session.predicted.corrections.length > 1000) session.predicted.corrections.shift();
    session.predicted.correctionCount++;
  };
  /** `count` display frames `frameMs` apart, each drawing remote players (frozen if asked). */
  const frames = async (count: number, frameMs: number, frozen = false) => {
    for (let i = 0; i < count; i++) {
      await clock.advance(frameMs);
      session.stats.remoteFrames++;
      if (frozen) session.stats.frozenFrames++;
      reporter.frame();
    }
  };
  return { clock, session, sender, sent, reporter, correct, frames };
}

/** The server's bounds (server/src/rooms/clientMessages.ts), written out again. */
function withinBounds(r: TelemetryReport): boolean {
  const counts = [r.frames, r.remoteFrames, r.frozenFrames, r.corrections];
  return (
    counts.every((n) => Number.isSafeInteger(n) && n >= 0) &&
    [r.correctionP99Px, r.delayMs, r.pingMs ?? 0].every((n) => Number.isFinite(n) && n >= 0) &&
    Number.isInteger(r.intervalMs) &&
    r.intervalMs >= LIMITS.minIntervalMs &&
    r.intervalMs <= LIMITS.maxIntervalMs &&
    r.frames <= (r.intervalMs * LIMITS.maxFps) / 1000 &&
    r.remoteFrames <= r.frames &&
    r.frozenFrames <= r.remoteFrames &&
    r.corrections <= (r.intervalMs * LIMITS.maxCorrectionsPerSecond) / 1000 &&
    r.correctionP99Px <= LIMITS.maxCorrectionPx &&
    (r.pingMs ?? 0) <= LIMITS.maxPingMs &&
    r.delayMs <= LIMITS.maxDelayMs
  );
}

describe("TelemetryReporter", () => {
  it(`reports once ${TELEMETRY_INTERVAL_MS} ms have passed, on the frame that passes them: the interval's counts, the ping and the delay`, async () => {
    const { session, sender, sent, correct, frames } = rig();
    sender.ping = 47.6;
    session.delay.delayMs = 71.2;
    await frames(299, 1000 / 60); // 4983 ms
    correct(2);
    correct(4);
    assert.equal(sent.length, 0);
    await frames(1, 1000 / 60, true);
    assert.deepEqual(sent, [
      { intervalMs: 5000, frames: 300, remoteFrames: 300, frozenFrames: 1, corrections: 2, correctionP99Px: 4, pingMs: 48, delayMs: 71 },
    ]);
  });

  it("each report counts only what happened since the one before", async () => {
    const { sent, correct, frames } = rig();
    correct(1);
    await frames(100, 50, true);
    correct(3);
    await frames(100, 50);
    assert.deepEqual(
      sent.map((r) => [r.intervalMs, r.frames, r.remoteFrames, r.frozenFrames, r.corrections, r.correctionP99Px]),
      [
        [5000, 100, 100, 100, 1, 1],
        [5000, 100, 100, 0, 1, 3],
      ],
    );
  });

  it("leaves teleports (respawns, round starts) out of the corrections; the p99 is of the mispredictions", async () => {
    const { sent, correct, frames } = rig();
    for (let i = 1; i <= 200; i++) correct(i / 10); // 0.1 to 20 px
    correct(SNAP_DISTANCE_PX + 1);
    correct(900);
    await frames(1, TELEMETRY_INTERVAL_MS);
    assert.deepEqual([sent[0].corrections, sent[0].correctionP99Px], [200, 19.8]);
  });

  it("sends a null ping until one is measured, and nothing for an interval longer than the server takes (a hidden tab)", async () => {
    const { sent, frames } = rig();
    await frames(1, TELEMETRY_INTERVAL_MS);
    assert.equal(sent[0].pingMs, null);
    await frames(1, LIMITS.maxIntervalMs + 1);
    assert.equal(sent.length, 1, "a minute without a frame is not reported");
    await frames(10, TELEMETRY_INTERVAL_MS / 10);
    assert.deepEqual([sent.length, sent[1].intervalMs, sent[1].frames], [2, TELEMETRY_INTERVAL_MS, 10], "the next interval starts after the gap");
  });

  it("whatever the session's counters and the frame rate do, every report is within the server's bounds, and they come an interval apart", async () => {
    const step = fc.record({
      frameMs: fc.oneof(fc.constantFrom(0, 0.1, 1000 / 240, 1000 / 60, 100, 4999, 5000, 61_000), fc.double({ min: 0, max: 70_000, noNaN: true })),
      remote: fc.boolean(),
      frozen: fc.boolean(),
      // Mostly mispredictions, some teleports; now and then a burst past what the server takes in one interval.
      corrections: fc.oneof(
        fc.array(fc.oneof(fc.double({ min: 0, max: SNAP_DISTANCE_PX, noNaN: true }), fc.double({ min: 0, max: 3000, noNaN: true })), { maxLength: 20 }),
        fc.integer({ min: 0, max: 1200 }).map((n) => Array.from({ length: n }, () => 5)),
        fc.constant([Number.POSITIVE_INFINITY]),
      ),
      ping: fc.option(fc.oneof(fc.double({ min: 0, max: 20_000 }), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY)), { nil: undefined }),
      delayMs: fc.oneof(fc.double({ min: 0, max: 20_000 }), fc.constant(Number.NaN)),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 200 }), async (steps) => {
        const { clock, session, sender, sent, reporter, correct } = rig();
        const sentAt: number[] = [];
        for (const s of steps) {
          await clock.advance(s.frameMs);
          for (const size of s.corrections) correct(size);
          if (s.remote) session.stats.remoteFrames++;
          if (s.remote && s.frozen) session.stats.frozenFrames++;
          sender.ping = s.ping;
          session.delay.delayMs = s.delayMs;
          if (reporter.frame() !== undefined) sentAt.push(clock.now());
        }
        for (const r of sent) assert.ok(withinBounds(r), JSON.stringify(r));
        for (let i = 1; i < sentAt.length; i++) assert.ok(sentAt[i] - sentAt[i - 1] >= TELEMETRY_INTERVAL_MS - 0.5);
      }),
    );
  });
});
