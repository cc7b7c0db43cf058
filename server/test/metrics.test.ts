import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startServer, type RunningServer } from "./helpers/servers.ts";
import { TestPlayer } from "./helpers/players.ts";
import { waitFor } from "./helpers/waitFor.ts";

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
      const read = async () => (await fetch(`${server.endpoint}/metrics`)).text();
      const text = await waitFor("ticks and inputs counted", async () => {
        const t = await read();
        return (sample(t, "arena_inputs_total", '{outcome="received"}') ?? 0) > 10 ? t : null;
      });
      assert.equal(sample(text, "arena_clients"), 1);
      assert.equal(sample(text, "arena_rooms"), 1);
      assert.ok((sample(text, "arena_tick_duration_seconds_count") ?? 0) > 0);
      assert.ok((sample(text, "arena_tick_interval_seconds_count") ?? 0) > 0);
      assert.ok((sample(text, "arena_bytes_sent_total") ?? 0) > 100);
      assert.ok((sample(text, "arena_inputs_total", '{outcome="rejected"}') ?? 0) >= 1);
      assert.equal(sample(text, "arena_connection_events_total", '{event="joined"}'), 1);
      assert.equal(sample(text, "arena_matchmaking_duration_seconds_count", '{method="joinOrCreate",status="2xx"}'), 1);
      assert.match(text, /^nodejs_eventloop_lag_seconds /m);
      assert.match(text, /^arena_ticks_late_total /m);
    } finally {
      await player.leave();
    }
  });

  it("the monitor panel asks for the password", async () => {
    assert.equal((await fetch(`${server.endpoint}/monitor/`)).status, 401);
    const wrong = Buffer.from("admin:nope").toString("base64");
    assert.equal((await fetch(`${server.endpoint}/monitor/`, { headers: { authorization: `Basic ${wrong}` } })).status, 401);
    const right = Buffer.from(`admin:${PASSWORD}`).toString("base64");
    assert.equal((await fetch(`${server.endpoint}/monitor/`, { headers: { authorization: `Basic ${right}` } })).status, 200);
  });
});
