import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { REDIS_TEST_URL, redisSkipReason, TcpProxy, waitFor } from "@arena/testkit";
import { createLogger } from "../src/logger.ts";
import { RedisLink } from "../src/matchmaking/RedisLink.ts";

const skip = await redisSkipReason();
if (skip) console.log(`# skipping the Redis link tests: ${skip}`);

/** A logger whose messages land in `said`. */
function capturedLog(said: string[]): ReturnType<typeof createLogger> {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      said.push((JSON.parse(String(chunk)) as { msg: string }).msg);
      done();
    },
  });
  return createLogger("info", sink);
}

/** RedisLink's ping timeout (PING_TIMEOUT_MS), ms. */
const PING_TIMEOUT_MS = 400;

/** Keeps the event loop busy for `ms`, as a burst of joins on a saturated CPU does. */
function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

/**
 * The process's watch on Redis (what makes matchmaking answer 503 at once
 * while Redis is down), against a real Redis behind a proxy the test can
 * stall.
 */
describe("RedisLink, the watch on Redis", { skip }, () => {
  let proxy: TcpProxy;
  let link: RedisLink;
  const logged: string[] = [];
  let recoveries = 0;

  before(async () => {
    proxy = await TcpProxy.start(Number(new URL(REDIS_TEST_URL).port || 6379));
    link = new RedisLink(`redis://127.0.0.1:${new URL(proxy.endpoint).port}`, capturedLog(logged), async () => {
      recoveries++;
    });
    await waitFor("the link up", () => link.up || undefined);
  });
  after(async () => {
    link?.stop();
    await proxy?.stop();
  });

  it("a ping answered in time counts, though the event loop was too busy to read the answer before the timeout's timer", async () => {
    // Straight to Redis: the proxy runs on this event loop, which the test blocks.
    const said: string[] = [];
    const direct = new RedisLink(REDIS_TEST_URL, capturedLog(said), async () => {});
    try {
      await waitFor("the direct link up", () => direct.up || undefined);
      for (let i = 0; i < 3; i++) {
        const checked = direct.check();
        await new Promise((resolve) => setImmediate(resolve)); // the ping sent (auto-pipelined)
        busyFor(PING_TIMEOUT_MS + 300); // Redis answers meanwhile; the timeout's timer is due first when the loop comes back
        await checked;
        assert.equal(direct.up, true);
      }
      assert.deepEqual(said, [], "no outage reported");
    } finally {
      direct.stop();
    }
  });

  it("a Redis that does not answer is down at the ping timeout, and up again at the first ping answered", async () => {
    proxy.stall();
    const started = performance.now();
    await link.check();
    assert.equal(link.up, false);
    assert.ok(performance.now() - started < PING_TIMEOUT_MS + 200, "decided at the timeout");
    assert.deepEqual(logged, ["redis unreachable: matchmaking answers 503 until it returns"]);
    proxy.restore();
    await waitFor("the stalled ping answered", async () => {
      await link.check();
      return link.up || undefined;
    });
    assert.equal(recoveries, 1, "what Redis lost is restored once it is back");
  });
});
