import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { WebSocket } from "ws";
import { type RunningServer, TestPlayer, waitFor } from "@arena/testkit";
import { startServer } from "./helpers/servers.ts";

const PASSWORD = "correct horse battery";

/** The value of one sample in a Prometheus text exposition, or undefined. */
function sample(text: string, name: string, labels = ""): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
}

describe("metrics and the monitor panel", () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ MONITOR: "1", MONITOR_PASSWORD: PASSWORD });
  });
  after(() => server.stop());

  it("GET /metrics reports clients, rooms, ticks, bytes, inputs, connections and matchmaking latency", async () => {
    const player = await TestPlayer.join(server.endpoint, "Measured");
    try {
      player.controls.moveX = 1;
      player.play();
      // One hostile frame, which the server has to correct.
      player.input.data.moveX = 50;
      player.input.send();
      const read = async () => (await fetch(`${server.metricsEndpoint}/metrics`)).text();
      const text = await waitFor("ticks and inputs counted", async () => {
        const t = await read();
        return (sample(t, "arena_inputs_total", '{outcome="received"}') ?? 0) > 10 ? t : null;
      });
      assert.equal(sample(text, "arena_clients"), 1);
      assert.equal(sample(text, "arena_rooms"), 1);
      assert.ok((sample(text, "arena_tick_duration_seconds_count") ?? 0) > 0);
      assert.ok((sample(text, "arena_tick_interval_seconds_count") ?? 0) > 0);
      assert.ok((sample(text, "arena_bytes_sent_total") ?? 0) > 100);
      // Every input frame is a WebSocket frame in; the join acknowledgement is one more.
      assert.ok((sample(text, "arena_frames_received_total") ?? 0) > (sample(text, "arena_inputs_total", '{outcome="received"}') ?? 0));
      assert.ok((sample(text, "arena_inputs_total", '{outcome="rejected"}') ?? 0) >= 1);
      assert.equal(sample(text, "arena_connection_events_total", '{event="joined"}'), 1);
      assert.equal(sample(text, "arena_matchmaking_duration_seconds_count", '{method="joinOrCreate",status="2xx"}'), 1);
      // One quick play alone: decided in the turn (a room of its own needs a group that fills it).
      assert.equal(sample(text, "arena_quickplay_seats_total", '{decided="turn"}'), 1);
      assert.equal(sample(text, "arena_quickplay_seats_total", '{decided="own_room"}'), 0);
      assert.match(text, /^nodejs_eventloop_lag_seconds /m);
      assert.match(text, /^arena_ticks_late_total /m);
    } finally {
      await player.leave();
    }
  });

  it("input frames' wait in the buffer, the buffer's depth and lag compensation's rewind depth are measured", async () => {
    const player = await TestPlayer.join(server.endpoint, "Waited");
    try {
      player.controls.moveX = 1;
      player.controls.fire = true; // a frame that fires asks lag compensation where the others were
      player.play();
      const read = async () => (await fetch(`${server.metricsEndpoint}/metrics`)).text();
      const text = await waitFor("waits, depths and rewinds observed", async () => {
        const t = await read();
        const counts = ["arena_input_wait_seconds_count", "arena_input_queue_depth_count", "arena_rewind_depth_seconds_count"].map((n) => sample(t, n) ?? 0);
        return counts.every((c) => c > 0) ? t : null;
      });
      const mean = (name: string) => sample(text, `${name}_sum`)! / sample(text, `${name}_count`)!;
      // A frame waits for the next tick (33 ms) and, sent two to a message, one more for the second: never seconds.
      assert.ok(mean("arena_input_wait_seconds") >= 0 && mean("arena_input_wait_seconds") < 0.5, `mean wait ${mean("arena_input_wait_seconds")} s`);
      assert.ok(mean("arena_input_queue_depth") >= 0 && mean("arena_input_queue_depth") <= 16);
      // Core clamps a rewind to REWIND_WINDOW_MS (300 ms by default).
      assert.ok(
        mean("arena_rewind_depth_seconds") >= 0 && mean("arena_rewind_depth_seconds") <= 0.3 + 0.05,
        `mean rewind ${mean("arena_rewind_depth_seconds")} s`,
      );
    } finally {
      player.controls.fire = false;
      await player.leave();
    }
  });

  it("frames and bytes sent are what a player receives: a frame per patch and per broadcast, every byte on its socket", async () => {
    const player = await TestPlayer.join(server.endpoint, "Counted");
    try {
      // What reaches the player's socket: each frame's payload and header (2 bytes under 126, 4 under 65,536; unmasked), and pings.
      const ws = (player.room.connection.transport as unknown as { ws: WebSocket }).ws;
      const got = { frames: 0, bytes: 0 };
      ws.on("message", (data: ArrayBuffer | Buffer) => {
        const length = data.byteLength;
        got.frames++;
        got.bytes += length + (length < 126 ? 2 : length < 65536 ? 4 : 10);
      });
      ws.on("ping", (data: Buffer) => {
        got.bytes += 2 + data.length;
      });
      const read = async () => (await fetch(`${server.metricsEndpoint}/metrics`)).text();
      // Right after a frame arrives the player is idle and the next patch is 50 ms away: time to scrape.
      const quietMoment = async () => {
        await new Promise((resolve) => ws.once("message", resolve));
        const seen = { ...got };
        const text = await read();
        return { seen, frames: sample(text, "arena_frames_sent_total")!, bytes: sample(text, "arena_bytes_sent_total")! };
      };
      const start = await quietMoment();
      player.controls.fire = true;
      player.play();
      // Chat is broadcast (a frame per recipient); shots ride in the patches.
      for (const text of ["one", "two", "three"]) player.room.send("chat", { text });
      await waitFor("chat broadcast and shots in patches", () => player.received("chat").length >= 3 && player.eventsOf("shot").length >= 4);
      player.pause();
      // Once every frame is acknowledged, its shot went out in the patch that carried the ack, or before.
      await waitFor("every frame consumed", () => player.input.pendingCount === 0);
      const end = await quietMoment();
      assert.equal(end.frames - start.frames, end.seen.frames - start.seen.frames, "frames");
      assert.equal(end.bytes - start.bytes, end.seen.bytes - start.seen.bytes, "bytes");
    } finally {
      await player.leave();
    }
  });

  it("the monitor panel asks for the password", async () => {
    assert.equal((await fetch(`${server.metricsEndpoint}/monitor/`)).status, 401);
    const wrong = Buffer.from("admin:nope").toString("base64");
    assert.equal((await fetch(`${server.metricsEndpoint}/monitor/`, { headers: { authorization: `Basic ${wrong}` } })).status, 401);
    const right = Buffer.from(`admin:${PASSWORD}`).toString("base64");
    assert.equal((await fetch(`${server.metricsEndpoint}/monitor/`, { headers: { authorization: `Basic ${right}` } })).status, 200);
  });

  it("/metrics and /monitor are served on the monitoring port only, and never to other sites' pages", async () => {
    const right = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}`;
    for (const path of ["/metrics", "/monitor/"]) {
      const game = await fetch(`${server.endpoint}${path}`, { headers: { authorization: right } });
      assert.equal(game.status, 404, `${path} on the game port`);
      const monitoring = await fetch(`${server.metricsEndpoint}${path}`, { headers: { authorization: right } });
      assert.equal(monitoring.status, 200, `${path} on the monitoring port`);
    }
    for (const method of ["GET", "OPTIONS"]) {
      const res = await fetch(`${server.metricsEndpoint}/metrics`, {
        method,
        headers: { origin: "https://evil.example", "access-control-request-method": "GET" },
      });
      assert.equal(res.headers.get("access-control-allow-origin"), null, `${method} /metrics`);
      assert.equal(res.headers.get("access-control-allow-credentials"), null);
    }
  });

  it("made-up matchmaking routes do not grow /metrics: the latency labels come from a fixed set", async () => {
    const size = async () => (await (await fetch(`${server.metricsEndpoint}/metrics`)).text()).length;
    const before = await size();
    for (let i = 0; i < 300; i++) {
      await fetch(`${server.endpoint}/matchmake/made-up-${i}-${"x".repeat(40)}/arena`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
    }
    const text = await (await fetch(`${server.metricsEndpoint}/metrics`)).text();
    const grown = text.length - before;
    console.log(`# /metrics grew by ${grown} bytes (${before} -> ${text.length}) after 300 made-up routes`);
    assert.ok(grown < 20_000, `grew by ${grown} bytes`);
    const methods = new Set([...text.matchAll(/^arena_matchmaking_duration_seconds_count\{method="([^"]*)"/gm)].map((m) => m[1]));
    const allowed = new Set(["joinOrCreate", "create", "join", "joinById", "reconnect", "other", "api:rooms", "api:private-rooms"]);
    assert.ok(
      [...methods].every((m) => allowed.has(m)),
      [...methods].join(", "),
    );
    assert.ok(methods.has("other"));
  });
});
