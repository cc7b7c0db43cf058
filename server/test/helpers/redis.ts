import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { Redis } from "ioredis";

/**
 * Redis for the scaling tests. They use the Redis at REDIS_TEST_URL (default
 * redis://127.0.0.1:6379) with a database number of their own, flushed before
 * and after; the outage test starts a redis-server of its own on a free port.
 * Without Redis those tests are skipped with the reason, except under CI=true,
 * where a missing Redis is a failure.
 */
export const REDIS_TEST_URL = process.env.REDIS_TEST_URL ?? "redis://127.0.0.1:6379";
const inCI = process.env.CI === "true";

async function reachable(url: string): Promise<boolean> {
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
  if (await reachable(REDIS_TEST_URL)) return false;
  const reason = `no Redis reachable at ${REDIS_TEST_URL} (start one, or set REDIS_TEST_URL)`;
  if (inCI) throw new Error(`CI=true and ${reason}`);
  return reason;
}

export function redisServerSkipReason(): string | false {
  if (spawnSync("redis-server", ["--version"]).status === 0) return false;
  const reason = "no redis-server binary on PATH (apt-get install redis-server)";
  if (inCI) throw new Error(`CI=true and ${reason}`);
  return reason;
}

/** A database of the test's own on the shared Redis, empty before and after. */
export async function useDatabase(db: number): Promise<{ url: string; flush(): Promise<void>; keys(): Promise<string[]>; hget(key: string, field: string): Promise<string | null> }> {
  const url = `${REDIS_TEST_URL.replace(/\/\d*$/, "")}/${db}`;
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  const flush = async () => { await client.flushdb(); };
  await flush();
  return {
    url,
    flush: async () => { await flush(); client.disconnect(); },
    keys: () => client.keys("*"),
    hget: (key, field) => client.hget(key, field),
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** A redis-server of the test's own, keeping nothing on disk, that the test can stop and start. */
export class OwnRedis {
  #child: ChildProcess | undefined;
  private constructor(readonly port: number) {}

  static async start(): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort());
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    this.#child = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    const deadline = Date.now() + 5000;
    while (!(await reachable(this.url))) {
      if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Kills it outright (no save, nothing kept: it comes back empty). */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }
}
