import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client } from "@colyseus/sdk";
import { ArenaState, CloseCode, TELEMETRY_LIMITS, type ServerMessages } from "@arena/shared";
import { spawnServer, TestPlayer, waitFor, type ServerProcess } from "@arena/testkit";
import { REPORT } from "./helpers/telemetry.ts";

/**
 * Client telemetry over real sockets, against a server in a child process
 * (so a crash is a failure, not a hang): a report reaches /metrics; a
 * malformed one or a flood of them is refused with a clear code, counts
 * nowhere but in the refusals, and another player's patches never pause.
 */
const BOUNDED = { timeout: 30_000 };
const MAX_PATCH_GAP_MS = 300;

const HISTOGRAMS = [
  "arena_client_fps",
  "arena_client_frozen_frame_ratio",
  "arena_client_corrections_per_minute",
  "arena_client_correction_size_pixels",
  "arena_client_ping_seconds",
  "arena_client_interpolation_delay_seconds",
];

/** What a player got back with an `error` message. */
const errorCodes = (player: TestPlayer) => player.received("error").map((e: ServerMessages["error"]) => e.code);

describe("client telemetry", () => {
  let server: ServerProcess;
  let observer: TestPlayer;
  let lastPatchAt = 0;
  let maxGapMs = 0;

  before(async () => {
    server = await spawnServer();
    observer = await TestPlayer.join(server.endpoint, "Observer");
    observer.room.reconnection.enabled = false;
    observer.play();
    await waitFor("the observer's first patches", () => observer.patches > 2);
    lastPatchAt = performance.now();
    observer.room.onStateChange(() => {
      const now = performance.now();
      maxGapMs = Math.max(maxGapMs, now - lastPatchAt);
      lastPatchAt = now;
    });
  }, BOUNDED);
  after(async () => {
    await observer?.leave();
    await server?.stop();
  });

  /** Every `arena_client_*` sample of /metrics, by series. */
  async function figures(): Promise<Map<string, number>> {
    const text = await (await fetch(`${server.metricsEndpoint}/metrics`, { signal: AbortSignal.timeout(1000) })).text();
    const samples = text.split("\n").filter((line) => line.startsWith("arena_client_"));
    return new Map(samples.map((line) => [line.slice(0, line.lastIndexOf(" ")), Number(line.slice(line.lastIndexOf(" ") + 1))]));
  }

  /** The figures that changed between two reads, with how much. */
  function changes(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
    return Object.fromEntries(
      [...after].filter(([series, value]) => before.get(series) !== value).map(([series, value]) => [series, value - (before.get(series) ?? 0)]),
    );
  }

  /** The server stayed up, and the observer's patches kept coming on pace. */
  async function assertUnaffected(): Promise<void> {
    assert.equal(server.child.exitCode, null, "the server is running");
    const patches = observer.patches;
    await waitFor("the observer's next patches", () => observer.patches >= patches + 3, 2000);
    assert.ok(Math.max(maxGapMs, performance.now() - lastPatchAt) < MAX_PATCH_GAP_MS, `the observer's patches paused ${maxGapMs.toFixed(0)} ms`);
  }

  async function join(name: string): Promise<TestPlayer> {
    const player = await TestPlayer.join(server.endpoint, name);
    player.room.reconnection.enabled = false;
    await waitFor(`${name} in the observer's state`, () => observer.state.players.has(player.id));
    return player;
  }

  it("every figure is exported before any report, at zero", BOUNDED, async () => {
    const now = await figures();
    for (const name of HISTOGRAMS) assert.equal(now.get(`${name}_count`), 0, name);
    assert.equal(now.get('arena_client_reports_total{outcome="accepted"}'), 0);
  });

  it("a report shows up in /metrics: one observation in each histogram, one accepted report", BOUNDED, async () => {
    const ann = await join("Ann");
    try {
      const before = await figures();
      ann.room.send("telemetry", REPORT);
      const after = await waitFor("the report counted", async () => {
        const now = await figures();
        return now.get('arena_client_reports_total{outcome="accepted"}') === 1 ? now : null;
      });
      const delta = changes(before, after);
      for (const name of HISTOGRAMS) assert.equal(delta[`${name}_count`], 1, name);
      assert.equal(delta['arena_client_fps_bucket{le="60"}'], 1, "300 frames in 5 s: 60 fps");
      assert.equal(delta['arena_client_fps_bucket{le="55"}'], undefined);
      assert.equal(delta["arena_client_ping_seconds_sum"], 0.048);
      assert.deepEqual(errorCodes(ann), []);
    } finally {
      await ann.leave();
    }
  });

  it(
    "malformed reports get bad_message and change no figure but the count of refusals; the sender stays and its next valid report counts",
    BOUNDED,
    async () => {
      const bob = await join("Bob");
      try {
        const malformed: unknown[] = [
          42,
          null,
          "report",
          [REPORT],
          { ...REPORT, extra: 1 },
          { ...REPORT, delayMs: undefined },
          { ...REPORT, frames: "300" },
          { ...REPORT, corrections: 1.5 },
          { ...REPORT, frozenFrames: -1 },
          { ...REPORT, pingMs: Number.NaN }, // msgpack's float64 NaN
          { ...REPORT, delayMs: Number.POSITIVE_INFINITY },
          { ...REPORT, correctionP99Px: 1e300 },
          { ...REPORT, frames: 2 ** 60 },
          { ...REPORT, pingMs: TELEMETRY_LIMITS.maxPingMs + 1 },
          { ...REPORT, frozenFrames: REPORT.remoteFrames + 1 },
          // Under MAX_PAYLOAD_BYTES (4 KB): the frame reaches the room, and the schema refuses it.
          { ...REPORT, delayMs: "x".repeat(3000) },
        ];
        const before = await figures();
        for (const message of malformed) bob.room.send("telemetry", message);
        await waitFor("a refusal for each", () => errorCodes(bob).length === malformed.length);
        assert.deepEqual(new Set(errorCodes(bob)), new Set(["bad_message"]));
        assert.deepEqual(changes(before, await figures()), { 'arena_client_reports_total{outcome="malformed"}': malformed.length });
        await assertUnaffected();
        bob.room.send("telemetry", REPORT);
        await waitFor("Bob's valid report counted", async () => (await figures()).get('arena_client_reports_total{outcome="accepted"}') === 2);
        assert.equal(errorCodes(bob).length, malformed.length, "no refusal for the valid report");
      } finally {
        await bob.leave();
      }
    },
  );

  it(
    "a 100 KB report is past MAX_PAYLOAD_BYTES: the WebSocket layer closes the sender with 1009 before anything parses it; nothing is counted",
    BOUNDED,
    async () => {
      const cleo = await join("Cleo");
      let code = 0;
      cleo.room.onLeave((c) => {
        code = c;
      });
      try {
        const before = await figures();
        cleo.room.send("telemetry", { ...REPORT, delayMs: "x".repeat(100_000) });
        await waitFor("Cleo closed", () => code, 2000);
        assert.equal(code, 1009, "ws's close code for a message too big");
        assert.deepEqual(changes(before, await figures()), {});
        await assertUnaffected();
      } finally {
        await cleo.leave();
      }
    },
  );

  it("50 reports in a second: one counts, the 49 others get telemetry_rate_limited; the others keep playing", BOUNDED, async () => {
    const dan = await join("Dan");
    try {
      const before = await figures();
      for (let i = 0; i < 50; i++) {
        dan.room.send("telemetry", REPORT);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await waitFor("49 refusals", () => errorCodes(dan).length === 49);
      assert.deepEqual(new Set(errorCodes(dan)), new Set(["telemetry_rate_limited"]));
      const delta = changes(before, await figures());
      assert.equal(delta['arena_client_reports_total{outcome="accepted"}'], 1);
      assert.equal(delta['arena_client_reports_total{outcome="rate_limited"}'], 49);
      assert.equal(delta["arena_client_fps_count"], 1);
      assert.ok(observer.state.players.has(dan.id), "Dan stays");
      await assertUnaffected();
    } finally {
      await dan.leave();
    }
  });

  it("a reconnection does not reset the rate limit: a report right after rejoining the seat gets telemetry_rate_limited", BOUNDED, async () => {
    const fay = await join("Fay");
    const before = await figures();
    fay.room.send("telemetry", REPORT);
    await waitFor(
      "Fay's report counted",
      async () =>
        (await figures()).get('arena_client_reports_total{outcome="accepted"}') === (before.get('arena_client_reports_total{outcome="accepted"}') ?? 0) + 1,
    );
    const token = fay.room.reconnectionToken;
    // The client's own close, as its watchdog does: not a leave, so the seat is held.
    fay.room.connection.close();
    await waitFor("Fay's seat held", () => observer.state.players.get(fay.id)?.connected === false, 2000);
    const back = await new Client(server.endpoint).reconnect(token, ArenaState);
    const codes: string[] = [];
    back.onMessage("error", (e: ServerMessages["error"]) => codes.push(e.code));
    try {
      assert.equal(back.sessionId, fay.id);
      back.send("telemetry", REPORT);
      await waitFor("the refusal", () => codes.length === 1, 2000);
      assert.deepEqual(codes, ["telemetry_rate_limited"]);
    } finally {
      await back.leave();
    }
  });

  it("__test:inputWaits is not there without ENABLE_TEST_HOOKS: unknown_message, and no waits come back", BOUNDED, async () => {
    const gil = await join("Gil");
    try {
      gil.play();
      await waitFor("some of Gil's frames simulated", () => gil.patches > 5);
      gil.room.send("__test:inputWaits");
      await waitFor("the refusal", () => errorCodes(gil).length === 1, 2000);
      assert.deepEqual(errorCodes(gil), ["unknown_message"]);
      assert.deepEqual(gil.received("__test:inputWaits"), []);
    } finally {
      gil.pause();
      await gil.leave();
    }
  });

  it(
    `a burst past MAX_MESSAGES_PER_SECOND (120) is the flood guard's: closed with FLOODING (${CloseCode.FLOODING}), seat not held, at most one report counted`,
    BOUNDED,
    async () => {
      const eve = await join("Eve");
      let code = 0;
      eve.room.onLeave((c) => {
        code = c;
      });
      const before = await figures();
      for (let i = 0; i < 200; i++) eve.room.send("telemetry", REPORT);
      await waitFor("Eve closed", () => code, 2000);
      assert.equal(code, CloseCode.FLOODING);
      await waitFor("Eve gone from the observer's state, seat not held", () => !observer.state.players.has(eve.id), 2000);
      const delta = changes(before, await figures());
      assert.ok((delta['arena_client_reports_total{outcome="accepted"}'] ?? 0) <= 1, JSON.stringify(delta));
      assert.ok((delta["arena_client_fps_count"] ?? 0) <= 1);
      await assertUnaffected();
    },
  );
});
