import type { Duplex } from "node:stream";
import { limitKey } from "./clientAddress.ts";

/**
 * How many WebSocket sockets one client address holds open at once on this
 * process (MAX_SOCKETS_PER_ADDRESS). The connection rate limit bounds how
 * fast an address opens sockets; this bounds how many it keeps.
 *
 * Per process, not across the cluster: the count must fall exactly when a
 * socket closes, which one process knows for certain; a count in Redis
 * would keep the sockets of a process that died (SIGKILL) counted until
 * some expiry, and cost a round trip per upgrade. An address can thus hold
 * up to the cap on each process, and the per-minute connection rate (shared
 * through Redis) still limits how fast it gets there.
 */
export class SocketCap {
  readonly #open = new Map<string, number>();

  constructor(private readonly max: number) {}

  /**
   * Counts `socket` against its address if there is room, until the socket
   * closes; returns false (and counts nothing) when the address is at the cap.
   * The count is taken on the socket's own 'close', which fires however it
   * ends (refused, handshake failed, closed by either side, cut by the ping
   * timeout), so it cannot leak.
   */
  admit(address: string, socket: Duplex): boolean {
    const key = limitKey(address);
    if (socket.closed) return true; // already gone: nothing to hold
    const open = this.#open.get(key) ?? 0;
    if (open >= this.max) return false;
    this.#open.set(key, open + 1);
    socket.once("close", () => {
      const left = (this.#open.get(key) ?? 1) - 1;
      if (left <= 0) this.#open.delete(key);
      else this.#open.set(key, left);
    });
    return true;
  }

  /** Sockets open from that address's key now. */
  openFrom(address: string): number {
    return this.#open.get(limitKey(address)) ?? 0;
  }
}
