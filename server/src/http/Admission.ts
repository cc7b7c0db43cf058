import type { IncomingMessage, ServerResponse } from "node:http";
import type { Redis } from "ioredis";
import type { Settings } from "../config.ts";
import type { Logger } from "../logger.ts";
import { clientAddress, compileTrust, type TrustFn } from "./clientAddress.ts";
import { sendError } from "./httpErrors.ts";
import { OriginPolicy } from "./OriginPolicy.ts";
import { RateLimits, type LimitKind } from "./RateLimits.ts";

/**
 * Who may come in through the game port, shared by the request gate, the
 * upgrade gate and the /api routes: a request's client address (the
 * socket's, or the trusted proxies' `X-Forwarded-For`), which page origins
 * may call (OriginPolicy), and the per-address limits (RateLimits, shared
 * through Redis when scaled).
 */
export class Admission {
  readonly origins: OriginPolicy;
  readonly limits: RateLimits;
  readonly #trust: TrustFn;

  constructor(
    settings: Pick<Settings, "trustedProxies" | "allowedOrigins" | "rateLimits">,
    readonly log: Logger,
    redis?: Redis,
  ) {
    this.#trust = compileTrust(settings.trustedProxies);
    this.origins = new OriginPolicy(settings.allowedOrigins);
    this.limits = new RateLimits(settings.rateLimits, redis);
  }

  addressOf(req: IncomingMessage): string {
    return clientAddress(req, this.#trust);
  }

  /** Spends the limits; answers 429 and returns false when one is used up. */
  async allow(kinds: readonly LimitKind[], address: string, res: ServerResponse): Promise<boolean> {
    for (const kind of kinds) {
      const wait = await this.limits.take(kind, address);
      if (wait !== null) {
        sendError(res, "rate_limited", undefined, wait);
        this.log.warn({ address, limit: kind }, "rate limited");
        return false;
      }
    }
    return true;
  }
}
