import { Redis } from "ioredis";
import type { Logger } from "../logger.ts";

/** How often Redis is pinged, and how long a ping may take before Redis counts as down. */
const PING_INTERVAL_MS = 500;
const PING_TIMEOUT_MS = 400;
/** Reconnection attempts while Redis is down. */
const RECONNECT_DELAY_MS = 500;

/**
 * Watches Redis so matchmaking can answer 503 at once while it is down,
 * instead of queueing behind Colyseus's own connections. Its client fails
 * fast (no offline queue); the rate limiters use it for the same reason.
 * When Redis comes back after an outage, `onRecovered` runs (the process
 * re-registers what a restarted, empty Redis lost).
 */
export class RedisLink {
  readonly client: Redis;
  #up = false;
  #wasDown = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    url: string,
    private readonly log: Logger,
    private readonly onRecovered: () => Promise<void>,
  ) {
    this.client = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      retryStrategy: () => RECONNECT_DELAY_MS,
      // Commands issued in one turn of the event loop (a burst's requests each
      // spend a rate-limit point, a snapshot write...) go out in one socket write,
      // not one each: +18% quick-play seats per second at a held burst (README).
      // A drop fails what is in flight either way (no retries on this connection).
      enableAutoPipelining: true,
    });
    this.client.on("error", () => {
      /* reported through the state change below */
    });
    this.client.on("close", () => this.setUp(false));
    this.client.on("ready", () => this.setUp(true));
  }

  get up(): boolean {
    return this.#up;
  }

  start(): void {
    this.#timer = setInterval(() => void this.check(), PING_INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.client.disconnect();
  }

  /**
   * Pings Redis (every PING_INTERVAL_MS once started): up if it answers
   * within PING_TIMEOUT_MS. An event loop busy for longer than that (a burst
   * of joins on a saturated CPU) runs the timeout's timer before it reads an
   * answer that came in time (timers run before I/O in each turn of the
   * loop): the answer read in that turn still counts, so a busy process
   * does not take Redis for down and refuse every join meanwhile.
   */
  async check(): Promise<void> {
    const pong = this.client.ping().then(
      () => true,
      () => false,
    );
    const inTime = await Promise.race([pong, new Promise<null>((resolve) => setTimeout(() => resolve(null), PING_TIMEOUT_MS))]);
    this.setUp(inTime ?? (await Promise.race([pong, new Promise<false>((resolve) => setImmediate(() => resolve(false)))])));
  }

  private setUp(up: boolean): void {
    if (up === this.#up) return;
    this.#up = up;
    if (!up) {
      this.#wasDown = true;
      this.log.error("redis unreachable: matchmaking answers 503 until it returns");
      return;
    }
    if (!this.#wasDown) return;
    this.log.info("redis is back: restoring this process's registrations");
    this.onRecovered().catch((err: unknown) => this.log.error({ err }, "restoring after redis outage failed"));
  }
}
