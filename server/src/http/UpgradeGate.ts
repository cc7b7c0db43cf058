import type { IncomingMessage, Server as HttpServer } from "node:http";
import type { Duplex } from "node:stream";
import { refuseUpgrade } from "./httpErrors.ts";
import type { Admission } from "./Admission.ts";
import { SocketCap } from "./SocketCap.ts";

type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * WebSocket upgrades, before the transport sees them: at most
 * MAX_SOCKETS_PER_ADDRESS sockets open at once per client address (429
 * `too_many_connections`), and RATE_CONNECTIONS_PER_MINUTE opened (429
 * `rate_limited`). The address is the socket's, or the trusted proxies'.
 */
export class UpgradeGate {
  readonly #cap: SocketCap;

  constructor(
    private readonly admission: Admission,
    maxSocketsPerAddress: number,
  ) {
    this.#cap = new SocketCap(maxSocketsPerAddress);
  }

  install(http: HttpServer): void {
    const listeners = http.listeners("upgrade") as UpgradeListener[];
    http.removeAllListeners("upgrade");
    http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on("error", () => {});
      // The transport parses `ws://server` + the URL outside any handler: one it cannot parse would end the process.
      if (!URL.canParse(`ws://server${req.url ?? "/"}`)) return refuseUpgrade(socket, "bad_request");
      const address = this.admission.addressOf(req);
      if (!this.#cap.admit(address, socket)) {
        this.admission.log.warn({ address, limit: "sockets" }, "rate limited");
        return refuseUpgrade(socket, "too_many_connections");
      }
      this.admission.limits.take("connections", address).then(
        (wait) => {
          if (wait === null) {
            for (const listener of listeners) listener.call(http, req, socket, head);
            return;
          }
          this.admission.log.warn({ address, limit: "connections" }, "rate limited");
          refuseUpgrade(socket, "rate_limited", "Too many connections from your address.", wait);
        },
        () => socket.destroy(),
      );
    });
  }
}
