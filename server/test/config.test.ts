import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { ConfigError, loadSettings } from "../src/config.ts";

describe("settings", () => {
  it("have defaults for a single process with no Redis", () => {
    const s = loadSettings({});
    assert.equal(s.port, 2567);
    assert.equal(s.redisUrl, undefined);
    assert.equal(s.reconnectGraceSeconds, 20);
    assert.equal(s.shutdownDeadlineSeconds, 30);
    assert.equal(s.rewindWindowMs, 300);
    assert.deepEqual(s.capacity, { ffa: 16, duel: 2 });
    assert.ok(Object.isFrozen(s));
  });

  it("put the monitoring listener on loopback, offset per PM2 instance like the game port", () => {
    const s = loadSettings({});
    assert.deepEqual([s.metricsHost, s.metricsPort], ["127.0.0.1", 9567]);
    const second = loadSettings({ NODE_APP_INSTANCE: "1" });
    assert.deepEqual([second.port, second.metricsPort], [2568, 9568]);
    assert.equal(loadSettings({ METRICS_PORT: "0", NODE_APP_INSTANCE: "1" }).metricsPort, 0, "0 still picks a free port");
    assert.deepEqual(s.http, { maxSocketsPerAddress: 500, requestBodyTimeoutMs: 5000, quickPlayTurnTimeoutMs: 5000, requestTimeoutMs: 10_000 });
  });

  it("read capacity for all modes and per mode", () => {
    assert.deepEqual(loadSettings({ ROOM_CAPACITY: "8" }).capacity, { ffa: 8, duel: 8 });
    assert.deepEqual(loadSettings({ ROOM_CAPACITY: "8", ROOM_CAPACITY_DUEL: "4" }).capacity, { ffa: 8, duel: 4 });
  });

  it("treat an empty variable as unset", () => {
    assert.equal(loadSettings({ PORT: "" }).port, 2567);
  });

  it("name every invalid variable", () => {
    assert.throws(
      () => loadSettings({ PORT: "http", RECONNECT_GRACE_SECONDS: "-1", REDIS_URL: "localhost" }),
      (e: Error) => {
        assert.ok(e instanceof ConfigError);
        for (const name of ["PORT", "RECONNECT_GRACE_SECONDS", "REDIS_URL"]) assert.match(e.message, new RegExp(name));
        return true;
      },
    );
    assert.throws(() => loadSettings({ PUBLIC_ADDRESS: "ws://game.example.com" }), /PUBLIC_ADDRESS/);
  });

  it("refuse the monitor panel without a password in production", () => {
    assert.throws(() => loadSettings({ NODE_ENV: "production", MONITOR: "1" }), /MONITOR_PASSWORD/);
    assert.equal(loadSettings({ NODE_ENV: "production", MONITOR: "1", MONITOR_PASSWORD: "a long enough secret" }).monitor.enabled, true);
    assert.equal(loadSettings({ MONITOR: "1" }).monitor.password, undefined, "development may leave it open");
  });

  it("refuse test hooks in production", () => {
    assert.throws(() => loadSettings({ NODE_ENV: "production", ENABLE_TEST_HOOKS: "1" }), /ENABLE_TEST_HOOKS/);
  });

  it("record replays out of the box into the machine's shared temp directory, or nowhere with REPLAY_DIR=off", () => {
    // The default must be this user's own (FileReplayStore refuses it otherwise); a directory set by hand is not held to that.
    assert.deepEqual(loadSettings({}).replays, { dir: join(tmpdir(), "arena-replays"), keep: 500, maxAgeHours: 168, own: true });
    assert.equal(loadSettings({ REPLAY_DIR: "off" }).replays, undefined);
    assert.deepEqual(loadSettings({ REPLAY_DIR: "/srv/replays", REPLAY_KEEP: "20", REPLAY_MAX_AGE_HOURS: "1" }).replays, {
      dir: "/srv/replays",
      keep: 20,
      maxAgeHours: 1,
      own: false,
    });
    assert.equal(loadSettings({ REPLAY_DIR: "replays" }).replays?.dir, join(process.cwd(), "replays"), "relative to the working directory");
    assert.throws(
      () => loadSettings({ REPLAY_KEEP: "0", REPLAY_MAX_AGE_HOURS: "soon", REPLAY_DIR: "a\nb" }),
      (e: Error) => {
        for (const name of ["REPLAY_KEEP", "REPLAY_MAX_AGE_HOURS", "REPLAY_DIR"]) assert.match(e.message, new RegExp(name));
        return true;
      },
    );
    assert.throws(() => loadSettings({ REPLAY_KEEP: "10001" }), /REPLAY_KEEP/);
  });

  it("stop the server at start with a message naming the variable", () => {
    const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));
    const run = spawnSync(process.execPath, ["--import", "tsx", main], {
      env: { ...process.env, PORT: "99999" },
      encoding: "utf8",
      timeout: 20_000,
    });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /PORT/);
  });
});
