import type { IncomingMessage, Server as HttpServer } from "node:http";
import type { Duplex } from "node:stream";
import { refuseUpgrade } from "./httpErrors.ts";
import type { Admission } from "./Admission.ts";
import { SeatClaims } from "./SeatClaims.ts";
import { SocketCap } from "./SocketCap.ts";

type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * WebSocket upgrades, before the transport sees them: from allowed origins
 * only (403 `origin_not_allowed`), at most
 * MAX_SOCKETS_PER_ADDRESS sockets open at once per client address (429
 * `too_many_connections`), and RATE_CONNECTIONS_PER_MINUTE opened (429
 * `rate_limited`), but for the first connection to claim a seat a
 * matchmaking request reserved in this process (`SeatClaims`: that request
 * spent a join point). The address is the socket's, or the trusted proxies'.
 */
export class UpgradeGate {
  readonly #cap: SocketCap;

  constructor(
    private readonly admission: Admission,
    maxSocketsPerAddress: number,
    private readonly claims = new SeatClaims(),
  ) {
    this.#cap = new SocketCap(maxSocketsPerAddress);
  }

  /** Whether the upgrade claims a new seat; never throws (this runs in the server's `upgrade` listener, where a throw ends the process): a doubt spends a point. */
  #claims(url: URL): boolean {
    try {
      return this.claims.firstClaim(url);
    } catch (err) {
      this.admission.log.error({ err }, "seat claim check failed");
      return false;
    }
  }

  install(http: HttpServer): void {
    const listeners = http.listeners("upgrade") as UpgradeListener[];
    http.removeAllListeners("upgrade");
    http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on("error", () => {});
      // The transport parses `ws://server` + the URL outside any handler: one it cannot parse would end the process.
      const url = URL.parse(`ws://server${req.url ?? "/"}`);
      if (url === null) return refuseUpgrade(socket, "bad_request");
      // Web pages of other sites may not open sockets here (OriginPolicy); refused before any limit is spent.
      if (!this.admission.origins.allows(req.headers.origin, req.headers.host)) return refuseUpgrade(socket, "origin_not_allowed");
      const address = this.admission.addressOf(req);
      if (!this.#cap.admit(address, socket)) {
        this.admission.log.warn({ address, limit: "sockets" }, "rate limited");
        return refuseUpgrade(socket, "too_many_connections");
      }
      const pass = () => {
        for (const listener of listeners) listener.call(http, req, socket, head);
      };
      if (this.#claims(url)) return pass();
      this.admission.limits.take("connections", address).then(
        (wait) => {
          if (wait === null) return pass();
          this.admission.log.warn({ address, limit: "connections" }, "rate limited");
          refuseUpgrade(socket, "rate_limited", "Too many connections from your address.", wait);
        },
        () => socket.destroy(),
      );
    });
  }
}
