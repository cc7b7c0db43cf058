import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { RateLimitSettings } from "../config.ts";
import { limitKey } from "./clientAddress.ts";

export type LimitKind = "creates" | "joins" | "codeLookups" | "failedJoins" | "connections";

/**
 * Per-address limits (rate-limiter-flexible): in memory on one process,
 * shared through Redis when scaled, with an in-memory fallback while Redis
 * is unreachable. Addresses count under their `limitKey` (an IPv6 client
 * as its /64).
 */
export class RateLimits {
  readonly #limiters: Record<LimitKind, RateLimiterAbstract>;

  constructor(settings: RateLimitSettings, redis?: Redis) {
    const make = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract => {
      const memory = new RateLimiterMemory({ keyPrefix, points, duration });
      return redis === undefined
        ? memory
        : new RateLimiterRedis({ storeClient: redis, keyPrefix: `arena:rl:${keyPrefix}`, points, duration, insuranceLimiter: memory });
    };
    this.#limiters = {
      creates: make("creates", settings.createsPerMinute, 60),
      joins: make("joins", settings.joinsPerMinute, 60),
      codeLookups: make("codes", settings.codeLookupsPerMinute, 60),
      failedJoins: make("failed", settings.failedJoinsPerHour, 3600),
      connections: make("conns", settings.connectionsPerMinute, 60),
    };
  }

  /** Spends one point; returns null if allowed, else the seconds to wait. */
  async take(kind: LimitKind, address: string): Promise<number | null> {
    try {
      await this.#limiters[kind].consume(limitKey(address));
      return null;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw rejection;
    }
  }

  /** Gives back a point spent on a request that turned out not to count (best effort). */
  async refund(kind: LimitKind, address: string): Promise<void> {
    await this.#limiters[kind].reward(limitKey(address), 1).catch(() => {});
  }

  /** Seconds to wait if `kind` is used up for this address, without spending; else null. */
  async exhausted(kind: LimitKind, address: string): Promise<number | null> {
    const limiter = this.#limiters[kind];
    const res = await limiter.get(limitKey(address));
    return res !== null && res.remainingPoints <= 0 ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : null;
  }
}
