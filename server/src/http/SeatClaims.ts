import { matchMaker, type Room } from "@colyseus/core";
import { coreOf } from "../rooms/coreRoom.ts";

/** The room of a Colyseus WebSocket URL, `/<processId>/<roomId>` (ws-transport's own pattern, `onConnection`). */
const ROOM_PATH = /\/[a-zA-Z0-9_-]+\/([a-zA-Z0-9_-]+)$/;

/**
 * Which WebSocket upgrades come to claim a seat that a matchmaking request
 * reserved in a room of this process, once each: such a connection was paid
 * for by that request's join point (RATE_JOINS_PER_MINUTE), so it need not
 * spend a connection point too (a Redis round trip per join when scaled).
 * A seat is claimed once: the first upgrade naming it is one, any other
 * naming the same seat is not, nor is a reconnection, a seat already taken,
 * or a room of another process.
 */
export class SeatClaims {
  /** Seats already named by an upgrade (core's seat tuples: gone with the seat). */
  readonly #named = new WeakSet<object>();

  constructor(private readonly localRoom: (roomId: string) => Room | undefined = (roomId) => matchMaker.getLocalRoomById(roomId)) {}

  /** True the first time an upgrade to `url` names a seat reserved and not yet taken in a room of this process. */
  firstClaim(url: URL): boolean {
    const sessionId = url.searchParams.get("sessionId");
    const roomId = ROOM_PATH.exec(url.pathname)?.[1];
    if (!sessionId || !roomId || url.searchParams.has("reconnectionToken")) return false;
    // Core keeps its rooms in a plain object: a room id such as `__proto__` or `toString` finds one of its
    // inherited members, not a room (an adversarial review's finding: a throw here ended the process).
    const room = this.localRoom(roomId);
    const seats = room === undefined ? undefined : (coreOf(room)._reservedSeats as unknown);
    if (typeof seats !== "object" || seats === null || !Object.hasOwn(seats, sessionId)) return false;
    const seat = (seats as Record<string, unknown>)[sessionId];
    // [options, auth, consumed, waitingReconnection]: a seat held for a reconnection is not a new one.
    if (!Array.isArray(seat) || seat[2] || seat[3] || this.#named.has(seat)) return false;
    this.#named.add(seat);
    return true;
  }
}
