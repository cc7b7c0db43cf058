import { spawn, type ChildProcess } from "node:child_process";
import { freePort } from "./freePort.ts";
import { redisAnswers } from "./redis.ts";
import { waitFor } from "./waitFor.ts";

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
    await waitFor(`redis-server on ${this.port} to start`, () => redisAnswers(this.url), 5000);
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
