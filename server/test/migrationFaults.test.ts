import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { request, redisSkipReason, TcpProxy, waitFor } from "@arena/testkit";
import { Cluster, GRACE_SECONDS } from "./helpers/migration.ts";

const skip = await redisSkipReason();
if (skip) console.log(`# skipping the match migration fault tests: ${skip}`);

/** This file's own database on the shared Redis. */
const DB = 8;

/**
 * Match migration when things go wrong beyond a clean crash or deploy: a
 * hung process, a process cut off from Redis and back, a restored match
 * nobody fully returns to, a restore left half done, deploys in a row.
 */
describe("match migration: faults", { skip }, () => {
  const cluster = new Cluster(DB);
  afterEach(() => cluster.reset());

  it("a hung process (stopped, its Redis connection still open) has its matches moved all the same", async () => {
    // Found at the owners' next full read (every 5 s) once its lease has run out, then confirmed by the
    // health check (2 s): longer than the 8 s grace of these tests, well within the default 20 s.
    const { a, b, ann, bob } = await cluster.scoredMatch({ RECONNECT_GRACE_SECONDS: "20" });
    b.child.kill("SIGSTOP"); // no close anywhere: Redis still sees its subscription
    const [ann2, bob2] = await Promise.all([cluster.comeBack(ann, a, undefined, 25_000), cluster.comeBack(bob, a, undefined, 25_000)]);
    assert.deepEqual([ann2.room.roomId, ann2.id, bob2.id], [ann.room.roomId, ann.id, bob.id]);
    const annNow = await waitFor("Ann's state on A", () => ann2.state.players?.get(ann.id));
    assert.equal(annNow.score, 1);
    b.child.kill("SIGKILL");
  });

  it("a process cut off from Redis long enough loses its match to another, and its stale listing does not send players back to it", async () => {
    // B reaches Redis through a proxy the test can cut; A directly.
    const a = await cluster.start();
    const redisPort = Number(new URL(cluster.dbUrl).port || 6379);
    const proxy = await TcpProxy.start(redisPort);
    try {
      const viaProxy = cluster.dbUrl.replace(`:${redisPort}/`, `:${proxy.port}/`);
      const b = await cluster.start({ REDIS_URL: viaProxy });
      // A match on B: created through B until placement puts one there.
      let players = await cluster.matchOn(b, "Carl");
      for (let i = 0; i < 10 && (await cluster.listing(a)).find((r) => r.roomId === players[0].room.roomId)?.processId !== b.processId; i++) {
        players = await cluster.matchOn(b, "Carl");
      }
      const [ann, bob, carl] = players;
      const roomId = ann.room.roomId;
      assert.equal((await cluster.listing(a)).find((r) => r.roomId === roomId)?.processId, b.processId);
      await cluster.settledSnapshot(ann);
      const closes: number[] = [];
      ann.room.onLeave((code) => {
        closes.push(code);
      });
      proxy.cut();
      // While cut off, Carl leaves: B's listing update for it waits in its Redis client's queue.
      void carl.leave();
      await waitFor("A restores the match", () => cluster.restoredLogs(roomId).length === 1, 15_000);
      proxy.restore();
      await waitFor("B's next write refused: its players sent on with 4010", () => closes.length > 0, 15_000);
      assert.deepEqual(closes, [4010]);
      await waitFor("the listing names A", async () => (await cluster.listing(a)).find((r) => r.roomId === roomId)?.processId === a.processId, 5000);
      const [ann2] = await Promise.all([cluster.comeBack(ann, a), cluster.comeBack(bob, a)]);
      assert.equal(ann2.room.roomId, roomId);
      assert.ok(b.logs.some((l) => l.msg === "another process has taken this match over"));
    } finally {
      await proxy.stop();
    }
  });

  it("a restored room closes once its last held seat goes, even after an error closed it under a returned player", async () => {
    const { a, b, ann } = await cluster.scoredMatch();
    const roomId = ann.room.roomId;
    b.child.kill("SIGKILL");
    const ann2 = await cluster.comeBack(ann, a); // Bob never comes back
    ann2.room.send("__test:fault"); // the restored room's tick throws: it closes (4101)
    await waitFor(
      "the room gone from A, Bob's held seat let go",
      async () => (await request(a.endpoint, "GET", "/api/health")).body.rooms === 0,
      (GRACE_SECONDS + 4) * 1000,
    );
    await waitFor("its snapshot gone", async () => (await cluster.snapshotOf(roomId)) === null, 3000);
    assert.equal((await cluster.listing(a)).filter((r) => r.roomId === roomId).length, 0);
  });

  it("the last held seat expiring does not close the room under a returned player whose own grace still runs", async () => {
    const { a, b, ann } = await cluster.scoredMatch();
    const roomId = ann.room.roomId;
    b.child.kill("SIGKILL");
    const ann2 = await cluster.comeBack(ann, a); // Bob never comes back
    ann2.room.send("__test:drop"); // Ann drops again: core holds her seat for a fresh grace
    await waitFor(
      "Bob's held seat expired",
      async () => {
        const snapshot = await cluster.snapshotOf(roomId);
        return snapshot !== null && snapshot.seats.length === 1;
      },
      (GRACE_SECONDS + 4) * 1000,
    );
    const ann3 = await cluster.comeBack(ann2, a);
    assert.equal(ann3.room.roomId, roomId);
    assert.equal(ann3.id, ann.id);
  });

  it("a match this process owns without a room (a restore that failed and could not let it go) is restored all the same", async () => {
    const { a, b, ann, bob } = await cluster.scoredMatch();
    const roomId = ann.room.roomId;
    b.child.kill("SIGKILL");
    // What a failed restore whose release also failed leaves: A owns it, and has no room.
    await cluster.redis.hset(`arena:match:${roomId}`, "owner", a.processId);
    const [ann2] = await Promise.all([cluster.comeBack(ann, a, undefined, 15_000), cluster.comeBack(bob, a, undefined, 15_000)]);
    assert.equal(ann2.room.roomId, roomId);
  });

  it("deploys in a row: a match handed to a process that drains before anyone is back waits for the next process", async () => {
    const { a, b, ann, bob } = await cluster.scoredMatch();
    const roomId = ann.room.roomId;
    b.child.kill("SIGTERM");
    await waitFor("A restores it", () => cluster.restoredLogs(roomId).length === 1, 5000);
    a.child.kill("SIGTERM"); // before anyone is back: no other process alive
    assert.equal((await a.exited).code, 0);
    assert.notEqual(await cluster.snapshotOf(roomId), null, "the match waits in Redis");
    const c = await cluster.start();
    const [ann2, bob2] = await Promise.all([cluster.comeBack(ann, c), cluster.comeBack(bob, c)]);
    assert.deepEqual([ann2.room.roomId, ann2.id, bob2.id], [roomId, ann.id, bob.id]);
    const annNow = await waitFor("Ann's state on C", () => ann2.state.players?.get(ann.id));
    assert.equal(annNow.score, 1);
  });
});
