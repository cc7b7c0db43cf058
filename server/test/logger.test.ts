import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, describe, it } from "node:test";
import { Redis } from "ioredis";
import { REDIS_TEST_URL, redisSkipReason } from "@arena/testkit";
import { createLogger } from "../src/logger.ts";
import { redisError } from "../src/migration/MatchStore.ts";

const skip = await redisSkipReason();

/** A logger writing into an array of parsed lines. */
function capture(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: createLogger("info", sink), lines };
}

describe("logs never carry a reconnection token", { skip }, () => {
  const redis = new Redis(REDIS_TEST_URL, { maxRetriesPerRequest: 1 });
  after(() => redis.disconnect());

  it("a Redis reply error about a snapshot write (its arguments hold the tokens) is logged without them", async () => {
    const secret = "tokenSecret42";
    // A real reply error from Redis, for a command whose arguments carry a token, as a snapshot write's do.
    const error = await redis
      .eval("return redis.error_reply('OOM command not allowed')", 0, JSON.stringify({ seats: [{ tokens: [secret] }] }))
      .catch((e: unknown) => e);
    assert.ok(error instanceof Error);
    assert.ok(JSON.stringify((error as Error & { command?: unknown }).command).includes(secret), "ioredis attaches the command and its arguments");
    const { log, lines } = capture();
    log.warn({ err: error }, "a careless call site");
    log.warn({ err: redisError(error) }, "the migration's call sites");
    log.warn({ roomId: "r", nested: { err: error } }, "nested");
    assert.equal(lines.length, 3);
    for (const line of lines) assert.ok(!line.includes(secret), line);
    assert.match(lines[1], /OOM command not allowed/);
  });
});
