import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client } from "@colyseus/sdk";
import { Redis } from "ioredis";
import { ArenaState, PROTOCOL_VERSION } from "@arena/shared";
import { type ArenaRoomClient, freePort, OwnRedis, redisServerSkipReason, request, type ServerProcess, spawnServer, TestPlayer, waitFor } from "@arena/testkit";

const skip = redisServerSkipReason();
if (skip) console.log(`# skipping the Redis outage test: ${skip}`);

const me = { name: "Ann", protocol: PROTOCOL_VERSION };
/** "Quickly": far below any HTTP client's timeout, and below a human's patience. */
const FAST_MS = 1000;

describe("Redis outage", { skip }, () => {
  let redis: OwnRedis;
  let a: ServerProcess;
  let b: ServerProcess;
  const ids = new Map<ServerProcess, string>();
  let player: TestPlayer;

  async function start(): Promise<ServerProcess> {
    const port = await freePort();
    const proc = await spawnServer({ PORT: String(port), PUBLIC_ADDRESS: `127.0.0.1:${port}`, REDIS_URL: redis.url });
    ids.set(proc, (await request(proc.endpoint, "GET", "/api/health")).body.processId);
    return proc;
  }

  before(async () => {
    redis = await OwnRedis.start();
    a = await start();
    b = await start();
  });
  after(async () => {
    await player?.leave();
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.kill();
  });

  it("matchmaking answers 503 at once, matches keep ticking, and everything comes back by itself", async () => {
    // A match with a player moving, on whichever process got it; the other one checks the listings.
    const res = await request(a.endpoint, "POST", "/matchmake/create/arena", me);
    const other = res.body.processId === ids.get(a) ? b : a;
    const host = other === a ? b : a;
    player = new TestPlayer((await new Client(a.endpoint).consumeSeatReservation(res.body, ArenaState)) as ArenaRoomClient);
    const leaver = await new Client(a.endpoint).joinById(res.body.roomId, { name: "Leaver", protocol: PROTOCOL_VERSION }, ArenaState);
    player.controls.moveX = 1;
    player.play();
    const roomId = player.room.roomId;
    await waitFor("the room listed by the other process", async () =>
      (await request(other.endpoint, "GET", "/api/rooms")).body.rooms?.some((r: { roomId: string }) => r.roomId === roomId),
    );

    await redis.kill();
    await waitFor(
      "both to notice",
      async () =>
        (await request(a.endpoint, "GET", "/api/health")).body.redis === "down" && (await request(b.endpoint, "GET", "/api/health")).body.redis === "down",
    );

    for (const [method, path, body] of [
      ["POST", "/matchmake/joinOrCreate/arena", me],
      ["POST", "/matchmake/create/arena", me],
      ["POST", "/api/private-rooms", me],
      ["GET", "/api/rooms", undefined],
    ] as const) {
      for (const proc of [a, b]) {
        const started = Date.now();
        const answer = await request(proc.endpoint, method, path, body);
        const took = Date.now() - started;
        assert.equal(answer.status, 503, `${method} ${path}`);
        assert.equal(answer.body.errorCode, "matchmaking_unavailable");
        assert.ok(took < FAST_MS, `${method} ${path} answered in ${took} ms`);
      }
    }

    const patches = player.patches;
    const x0 = player.state.players.get(player.id)!.x;
    await waitFor("the match to keep running", () => player.patches > patches + 20 && player.state.players.get(player.id)!.x !== x0, 3000);

    // A player leaves while Redis is away: core's listing update for the leave fails once
    // its Redis client gives up (about 10 s), in a promise core leaves unhandled. The
    // process logs it and goes on; it used to exit, taking every match with it.
    void leaver.leave().catch(() => {});
    await waitFor("core's failed listing update, logged", () => host.logs.some((l) => l.msg === "unhandled promise rejection"), 25_000);
    assert.equal(host.child.exitCode, null, "the process is still running");
    const still = player.patches;
    await waitFor("the match still running", () => player.patches > still + 5, 3000);

    // Redis comes back empty, as after a restart.
    await redis.restart();
    const restoredIn = Date.now();
    await waitFor(
      "the room listed again, seen from the other process",
      async () => (await request(other.endpoint, "GET", "/api/rooms")).body.rooms?.some((r: { roomId: string }) => r.roomId === roomId),
      10_000,
    );
    console.log(`# listings restored ${Date.now() - restoredIn} ms after Redis came back`);

    const check = new Redis(redis.url);
    try {
      const registered = Object.keys(await check.hgetall("roomcount"));
      assert.deepEqual(registered.sort(), [ids.get(a)!, ids.get(b)!].sort(), "both processes registered again");
    } finally {
      check.disconnect();
    }

    const joined = await new Client(other.endpoint).joinOrCreate("arena", { name: "Late", protocol: PROTOCOL_VERSION }, ArenaState);
    assert.equal(joined.roomId, roomId, "quick play finds the restored room");
    await waitFor("the newcomer sees the player", () => joined.state.players.has(player.id));
    await joined.leave();
  });
});
