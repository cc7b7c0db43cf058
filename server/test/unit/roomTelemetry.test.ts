import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Client } from "@colyseus/core";
import fc from "fast-check";
import { Registry } from "prom-client";
import { TELEMETRY_LIMITS as LIMITS, TELEMETRY_MIN_SPACING_MS, type TelemetryReport } from "@arena/shared";
import { TestClock } from "@arena/shared/TestClock";
import { RoomTelemetry } from "../../src/rooms/RoomTelemetry.ts";
import { TelemetryMetrics, type TelemetryRefusal } from "../../src/TelemetryMetrics.ts";
import { REPORT } from "../helpers/telemetry.ts";

/** A RoomTelemetry over a recording sink, with the errors each sender gets back. */
function telemetryRoom(clock = new TestClock()) {
  const accepted: TelemetryReport[] = [];
  const refused: TelemetryRefusal[] = [];
  const errors: { to: string; code: string }[] = [];
  const telemetry = new RoomTelemetry({ accepted: (report) => accepted.push(report), refused: (why) => refused.push(why) }, clock);
  /** What receive needs of a Colyseus client: its session id, and `send` for a refusal. */
  const client = (sessionId: string) =>
    ({
      sessionId,
      send: (type: string, payload: { code: string }) => {
        if (type === "error") errors.push({ to: sessionId, code: payload.code });
      },
    }) as unknown as Client;
  return { telemetry, clock, accepted, refused, errors, client };
}

/** Any report within the bounds, counts fitting the interval and each other. */
const validReport: fc.Arbitrary<TelemetryReport> = fc
  .record({
    intervalMs: fc.integer({ min: LIMITS.minIntervalMs, max: LIMITS.maxIntervalMs }),
    fps: fc.integer({ min: 0, max: LIMITS.maxFps }),
    remoteShare: fc.double({ min: 0, max: 1, noNaN: true }),
    frozenShare: fc.double({ min: 0, max: 1, noNaN: true }),
    correctionsPerSecond: fc.integer({ min: 0, max: LIMITS.maxCorrectionsPerSecond }),
    correctionP99Px: fc.double({ min: 0, max: LIMITS.maxCorrectionPx, noNaN: true }),
    pingMs: fc.option(fc.double({ min: 0, max: LIMITS.maxPingMs, noNaN: true })),
    delayMs: fc.double({ min: 0, max: LIMITS.maxDelayMs, noNaN: true }),
  })
  .map(({ intervalMs, fps, remoteShare, frozenShare, correctionsPerSecond, ...figures }) => {
    const frames = Math.floor((fps * intervalMs) / 1000);
    const remoteFrames = Math.floor(frames * remoteShare);
    return {
      intervalMs,
      frames,
      remoteFrames,
      frozenFrames: Math.floor(remoteFrames * frozenShare),
      corrections: Math.floor((correctionsPerSecond * intervalMs) / 1000),
      ...figures,
    };
  });

/** Whether a value is a report the server may aggregate: the bounds, written out again by hand. */
function withinBounds(r: TelemetryReport): boolean {
  const counts = [r.frames, r.remoteFrames, r.frozenFrames, r.corrections];
  const figures = [r.correctionP99Px, r.delayMs, r.pingMs ?? 0];
  return (
    Object.keys(r).length === 8 &&
    counts.every((n) => Number.isSafeInteger(n) && n >= 0) &&
    figures.every((n) => Number.isFinite(n) && n >= 0) &&
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

/** Reports that must be refused, each with why. */
const MALFORMED: [string, unknown][] = [
  ["not an object", 42],
  ["null", null],
  ["an array", [REPORT]],
  ["an unknown key", { ...REPORT, extra: 1 }],
  ["a key missing", { ...REPORT, delayMs: undefined }],
  ["a count as a string", { ...REPORT, frames: "300" }],
  ["a fractional count", { ...REPORT, corrections: 1.5 }],
  ["a negative count", { ...REPORT, frozenFrames: -1 }],
  ["NaN", { ...REPORT, pingMs: Number.NaN }],
  ["Infinity", { ...REPORT, delayMs: Number.POSITIVE_INFINITY }],
  ["a huge number", { ...REPORT, correctionP99Px: 1e300 }],
  ["a count beyond a safe integer", { ...REPORT, frames: 2 ** 60 }],
  ["a ping over 10 s", { ...REPORT, pingMs: LIMITS.maxPingMs + 1 }],
  ["an interval under a second", { ...REPORT, intervalMs: 999 }],
  ["an interval over a minute", { ...REPORT, intervalMs: 60_001 }],
  ["more frames than 1000 per second", { ...REPORT, frames: 5001 }],
  ["more remote frames than frames", { ...REPORT, remoteFrames: 301 }],
  ["more frozen frames than remote frames", { ...REPORT, frozenFrames: 291 }],
  ["more than 100 corrections a second", { ...REPORT, corrections: 501 }],
  ["a 100 KB string", { ...REPORT, delayMs: "x".repeat(100_000) }],
];

describe("RoomTelemetry", () => {
  it("accepts a report within the bounds and hands it to the sink as sent", () => {
    const { telemetry, accepted, errors, client } = telemetryRoom();
    telemetry.receive(client("ann"), { ...REPORT, pingMs: null });
    assert.deepEqual([accepted, errors], [[{ ...REPORT, pingMs: null }], []]);
  });

  for (const [why, message] of MALFORMED) {
    it(`refuses ${why} with bad_message; the sender's turn is not used`, () => {
      const { telemetry, accepted, refused, errors, client } = telemetryRoom();
      telemetry.receive(client("ann"), message);
      assert.deepEqual([accepted.length, refused, errors], [0, ["malformed"], [{ to: "ann", code: "bad_message" }]]);
      telemetry.receive(client("ann"), REPORT);
      assert.equal(accepted.length, 1, "a valid report right after is accepted");
    });
  }

  it("whatever arrives, it is accepted only within the bounds, and each message gets exactly one outcome", () => {
    // Valid reports, reports with one field replaced by anything, and anything at all.
    const anyValue = fc.oneof(fc.anything(), fc.double(), fc.integer(), fc.constantFrom(null, -0, Number.NaN, Number.MAX_VALUE, 2 ** 53));
    const oneFieldReplaced = fc
      .tuple(validReport, fc.constantFrom(...Object.keys(REPORT), "extra"), anyValue)
      .map(([report, key, value]) => ({ ...report, [key]: value }));
    // A valid report taken just past one of its bounds, or its counts' relations.
    const pastABound = validReport.chain((r) =>
      fc
        .constantFrom<Partial<Record<keyof TelemetryReport, unknown>>>(
          { intervalMs: LIMITS.minIntervalMs - 1 },
          { intervalMs: LIMITS.maxIntervalMs + 1 },
          { frames: Math.floor((r.intervalMs * LIMITS.maxFps) / 1000) + 1 },
          { remoteFrames: r.frames + 1 },
          { frozenFrames: r.remoteFrames + 1 },
          { corrections: Math.floor((r.intervalMs * LIMITS.maxCorrectionsPerSecond) / 1000) + 1 },
          { correctionP99Px: LIMITS.maxCorrectionPx + 0.5 },
          { pingMs: LIMITS.maxPingMs + 0.5 },
          { delayMs: LIMITS.maxDelayMs + 0.5 },
          { frames: r.frames + 0.5 },
          { delayMs: -0.5 },
        )
        .map((change) => ({ ...r, ...change })),
    );
    fc.assert(
      fc.property(fc.oneof(validReport, oneFieldReplaced, { arbitrary: pastABound, weight: 3 }, fc.anything()), (message) => {
        const { telemetry, accepted, refused, errors, client } = telemetryRoom();
        telemetry.receive(client("ann"), message);
        assert.equal(accepted.length + refused.length, 1);
        assert.equal(errors.length, refused.length, "every refusal is answered");
        for (const report of accepted) assert.ok(withinBounds(report), JSON.stringify(report));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(validReport, (report) => {
        const { telemetry, accepted, client } = telemetryRoom();
        telemetry.receive(client("ann"), report);
        assert.equal(accepted.length, 1, JSON.stringify(report));
      }),
    );
  });

  it(`accepts one report per player in any ${TELEMETRY_MIN_SPACING_MS} ms; a faster one is refused with telemetry_rate_limited and does not count`, async () => {
    const gapMs = fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 6000 }), weight: 6 },
      { arbitrary: fc.constantFrom(0, 1, TELEMETRY_MIN_SPACING_MS - 1, TELEMETRY_MIN_SPACING_MS, 5000), weight: 3 },
    );
    const steps = fc.array(fc.record({ gapMs, from: fc.constantFrom("ann", "bob"), valid: fc.boolean() }), { maxLength: 40, size: "max" });
    await fc.assert(
      fc.asyncProperty(steps, async (steps) => {
        const { telemetry, clock, accepted, errors, client } = telemetryRoom();
        const lastAccepted = new Map<string, number>();
        for (const [i, { gapMs, from, valid }] of steps.entries()) {
          await clock.advance(gapMs);
          const before = accepted.length;
          telemetry.receive(client(from), valid ? REPORT : { ...REPORT, frames: -1 });
          const due = valid && clock.now() - (lastAccepted.get(from) ?? -Infinity) >= TELEMETRY_MIN_SPACING_MS;
          assert.equal(accepted.length - before, due ? 1 : 0, `report ${i} from ${from} at ${clock.now()} ms`);
          if (due) lastAccepted.set(from, clock.now());
          else assert.deepEqual(errors.at(-1), { to: from, code: valid ? "telemetry_rate_limited" : "bad_message" });
        }
      }),
    );
  });

  it("50 reports in a second: the first counts, the other 49 are refused", async () => {
    const { telemetry, clock, accepted, refused, client } = telemetryRoom();
    for (let i = 0; i < 50; i++) {
      telemetry.receive(client("ann"), REPORT);
      await clock.advance(20);
    }
    assert.deepEqual([accepted.length, refused.length, new Set(refused)], [1, 49, new Set(["rate_limited"])]);
  });
});

describe("TelemetryMetrics", () => {
  /** One sample of a registry's exposition. */
  async function sample(registry: Registry, series: string): Promise<number | undefined> {
    const line = (await registry.metrics()).split("\n").find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.split(" ").at(-1));
  }

  it("exports every family, at zero, before any report", async () => {
    const registry = new Registry();
    new TelemetryMetrics(registry);
    const text = await registry.metrics();
    for (const name of [
      "arena_client_fps",
      "arena_client_frozen_frame_ratio",
      "arena_client_corrections_per_minute",
      "arena_client_correction_size_pixels",
      "arena_client_ping_seconds",
      "arena_client_interpolation_delay_seconds",
    ])
      assert.equal(await sample(registry, `${name}_count`), 0, name);
    for (const outcome of ["accepted", "malformed", "rate_limited"])
      assert.equal(await sample(registry, `arena_client_reports_total{outcome="${outcome}"}`), 0);
    assert.doesNotMatch(text, /session|client_id|instance_id/, "no per-client label");
  });

  it("observes a report as rates and seconds: frames per second, frozen share, corrections per minute, p99 size, ping, delay", async () => {
    const registry = new Registry();
    const metrics = new TelemetryMetrics(registry);
    metrics.accepted(REPORT);
    const sum = (name: string) => sample(registry, `${name}_sum`);
    assert.deepEqual(
      [
        await sum("arena_client_fps"),
        await sum("arena_client_frozen_frame_ratio"),
        await sum("arena_client_corrections_per_minute"),
        await sum("arena_client_correction_size_pixels"),
        await sum("arena_client_ping_seconds"),
        await sum("arena_client_interpolation_delay_seconds"),
        await sample(registry, 'arena_client_reports_total{outcome="accepted"}'),
      ],
      [60, 3 / 290, 24, 7.3, 0.048, 0.072, 1],
    );
  });

  it("leaves out what a report cannot say: the frozen share without remote frames, the size without corrections, the ping before it is measured", async () => {
    const registry = new Registry();
    const metrics = new TelemetryMetrics(registry);
    metrics.accepted({ ...REPORT, remoteFrames: 0, frozenFrames: 0, corrections: 0, correctionP99Px: 0, pingMs: null });
    const counts = await Promise.all(
      ["arena_client_fps", "arena_client_frozen_frame_ratio", "arena_client_correction_size_pixels", "arena_client_ping_seconds"].map((n) =>
        sample(registry, `${n}_count`),
      ),
    );
    assert.deepEqual(counts, [1, 0, 0, 0]);
    metrics.refused("malformed");
    assert.equal(await sample(registry, 'arena_client_reports_total{outcome="malformed"}'), 1);
  });
});
