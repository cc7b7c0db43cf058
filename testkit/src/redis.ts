import { spawnSync } from "node:child_process";
import { Redis } from "ioredis";

/**
 * Redis for the multi-process tests. They use the Redis at REDIS_TEST_URL
 * (default redis://127.0.0.1:6379) with a database number of their own,
 * flushed before and after; the outage test starts a redis-server of its own
 * on a free port (OwnRedis). Without Redis those tests are skipped with the
 * reason, except under CI=true, where a missing Redis is a failure.
 */
export const REDIS_TEST_URL = process.env.REDIS_TEST_URL ?? "redis://127.0.0.1:6379";
const inCI = process.env.CI === "true";

/** Does a Redis answer PING at `url` (within about a second)? */
export async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * Resolves to false when Redis is there, or to the reason to skip. Throws
 * under CI=true, where nothing may be skipped.
 */
export async function redisSkipReason(): Promise<string | false> {
  if (await redisAnswers(REDIS_TEST_URL)) return false;
  const reason = `no Redis reachable at ${REDIS_TEST_URL} (start one, or set REDIS_TEST_URL)`;
  if (inCI) throw new Error(`CI=true and ${reason}`);
  return reason;
}

/** False when a redis-server binary is on PATH (for OwnRedis), or the reason to skip; throws under CI=true. */
export function redisServerSkipReason(): string | false {
  if (spawnSync("redis-server", ["--version"]).status === 0) return false;
  const reason = "no redis-server binary on PATH (apt-get install redis-server)";
  if (inCI) throw new Error(`CI=true and ${reason}`);
  return reason;
}

/** A database of a test's own on the shared Redis (see `useDatabase`). */
export interface TestDatabase {
  /** REDIS_TEST_URL with the database number. */
  url: string;
  /** Empties it and lets go of the connection (at the end of a test). */
  flush(): Promise<void>;
  keys(): Promise<string[]>;
  hget(key: string, field: string): Promise<string | null>;
  /** The members of a sorted set, lowest score first. */
  indexed(key: string): Promise<string[]>;
}

/** Database `db` on the shared Redis, emptied now; `flush` empties it again at the end. */
export async function useDatabase(db: number): Promise<TestDatabase> {
  const url = `${REDIS_TEST_URL.replace(/\/\d*$/, "")}/${db}`;
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  const flush = async () => {
    await client.flushdb();
  };
  await flush();
  return {
    url,
    flush: async () => {
      await flush();
      client.disconnect();
    },
    keys: () => client.keys("*"),
    hget: (key, field) => client.hget(key, field),
    indexed: (key) => client.zrange(key, 0, -1),
  };
}
