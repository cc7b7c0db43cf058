import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { redisSkipReason, useDatabase, waitFor, type TestDatabase } from "@arena/testkit";
import { QuickPlayQueue } from "../src/matchmaking/QuickPlayQueue.ts";

const DB = 7;
/** How long a turn may wait or be held (QUICKPLAY_TURN_TIMEOUT_MS's role): long, nothing here should reach it. */
const TIMEOUT_MS = 10_000;

const skip = await redisSkipReason();

/** A process's connection as RedisLink opens it (auto-pipelined: a release and the next try leave in one write). */
function linkConnection(url: string): Redis {
  return new Redis(url, { enableAutoPipelining: true, maxRetriesPerRequest: 0 });
}

describe("quick play's Redis lock between processes", { skip }, () => {
  let db: TestDatabase;
  const connections: Redis[] = [];

  before(async () => {
    db = await useDatabase(DB);
  });
  after(async () => {
    for (const c of connections) c.disconnect();
    await db.flush();
  });

  /** A process's queue, on a connection of its own; `yieldAfterMs`: how long another may wait while it takes turns again. */
  function processQueue(yieldAfterMs?: number): QuickPlayQueue {
    const redis = linkConnection(db.url);
    connections.push(redis);
    return new QuickPlayQueue(TIMEOUT_MS, redis, undefined, yieldAfterMs);
  }

  /** A turn, and what it was given to, in `order` once it comes. */
  const asked = (queue: QuickPlayQueue, name: string, order: string[]) =>
    queue.turn().then((end) => {
      order.push(name);
      return end;
    });

  // With the lock as it was (SET NX, tried every millisecond), the holder took it again every
  // round: its release and its next try leave in one write, before the other's next try.
  it("a process refused the lock goes before the holder's next turn, every time (yielding at once)", async () => {
    const a = processQueue(0);
    const b = processQueue(0);
    const order: string[] = [];
    let endA = await a.turn();
    assert.ok(endA);
    for (let round = 0; round < 10; round++) {
      // B asks while A holds the turn: its tries are refused until A lets go.
      const bTurn = asked(b, "b", order);
      await waitFor("B waiting as next", async () => (await db.keys()).includes("{arena:quickplay:lock}:next"));
      // A ends its turn and at once asks for another, as a batcher with more requests does.
      endA();
      const aTurn = asked(a, "a", order);
      const endB = await bTurn;
      assert.ok(endB);
      endB();
      endA = await aTurn;
      assert.ok(endA);
    }
    endA();
    assert.deepEqual(order, Array.from({ length: 10 }, () => ["b", "a"]).flat(), "the turn went to the waiting process each time");
  });

  it("a holder takes turns again while the next process has waited less than the yield time, and yields once it has", async () => {
    const yieldAfterMs = 500;
    const a = processQueue(yieldAfterMs);
    const b = processQueue(yieldAfterMs);
    const order: string[] = [];
    let endA = await a.turn();
    assert.ok(endA);
    const bTurn = asked(b, "b", order);
    await waitFor("B waiting as next", async () => (await db.keys()).includes("{arena:quickplay:lock}:next"));
    // At once: A goes on (B has waited less than the yield time; its tries are still refused while A holds).
    endA();
    endA = await asked(a, "a", order);
    assert.ok(endA);
    // Past the yield time: A lets B go first.
    await new Promise((resolve) => setTimeout(resolve, 2 * yieldAfterMs));
    endA();
    const aTurn = asked(a, "a", order);
    const endB = await bTurn;
    assert.ok(endB);
    endB();
    (await aTurn)!();
    assert.deepEqual(order, ["a", "b", "a"]);
  });

  it("a process that is next and stops asking (gone) holds nobody up for long", async () => {
    const a = processQueue();
    // Another process was refused, became next, then died: its claim runs out unless renewed.
    const other = linkConnection(db.url);
    connections.push(other);
    await other.set("{arena:quickplay:lock}:next", "a-process-that-died|0", "PX", 100);
    const end = await a.turn();
    assert.ok(end, "the turn came once the dead process's claim ran out");
    end();
    await waitFor("the lock released", async () => (await other.get("arena:quickplay:lock")) === null);
  });

  it("a process that cannot take the lock within its wait gets no turn (null), and does not go on without the lock", async () => {
    const redis = linkConnection(db.url);
    connections.push(redis);
    const patient = new QuickPlayQueue(200, redis);
    const other = linkConnection(db.url);
    connections.push(other);
    // Another process holds a long turn (its lock lives on).
    await other.set("arena:quickplay:lock", "a-live-holder", "PX", 3000);
    assert.equal(await patient.turn(), null, "no turn while another process holds the lock");
    assert.equal(await other.get("arena:quickplay:lock"), "a-live-holder", "the holder's lock untouched");
    // Its queue goes on: once the lock is free, the next request gets the turn.
    await other.del("arena:quickplay:lock");
    const end = await patient.turn();
    assert.ok(end);
    end();
  });

  it("a holder whose requests nobody else competes for takes the turn again at once", async () => {
    const a = processQueue();
    for (let i = 0; i < 5; i++) {
      const end = await a.turn();
      assert.ok(end);
      end();
    }
    // Released (the release is not awaited), and nobody was ever marked as next.
    await waitFor("no lock left", async () => (await db.keys()).every((k) => !k.startsWith("arena:quickplay:lock")));
  });
});
