import { Deferred, matchMaker, type Client, type Room } from "@colyseus/core";
import { coreOf } from "./coreRoom.ts";

interface HeldSeat {
  tokens: string[];
  timer: { clear(): void };
}

/**
 * The seats of a restored match (migration): each waits for its player, for
 * what is left of its grace, and only a reconnection with one of the seat's
 * saved tokens can take it, through `client.reconnect(token)`, which runs
 * `onReconnect` as any reconnection does. Core's own `allowReconnection`
 * needs the dropped client object, which a restored room never had; its
 * `_reserveSeat` without reconnection would hand the seat to anyone who
 * knows the session id (public: the keys of `players`). The seats count
 * toward the room's capacity and its listed client count as a connected
 * player does.
 */
export class HeldSeats {
  readonly #held = new Map<string, HeldSeat>();
  /** The token each restored player came back with, until its room reads it. */
  readonly #usedTokens = new Map<string, string>();

  /** `onExpired`: a seat's grace ran out with nobody back in it. */
  constructor(
    private readonly room: Room,
    private readonly onExpired: (sessionId: string) => void,
  ) {}

  get size(): number {
    return this.#held.size;
  }

  /**
   * Holds a seat for `ms`. Call in `onCreate`, before the room is listed:
   * the listing's client count is written with it.
   */
  hold(sessionId: string, tokens: readonly string[], ms: number): void {
    const core = coreOf(this.room);
    core._reservedSeats[sessionId] = [{}, undefined, false, true];
    for (const token of tokens) {
      const claim = new Deferred<Client>();
      core._reconnections[token] = [sessionId, claim];
      // Rejected when the room closes (core's disconnect rejects every pending reconnection):
      // the seat goes, or core would wait for it forever before disposing.
      claim.then(
        (client) => this.#claimed(sessionId, token, client),
        () => this.#closed(sessionId),
      );
    }
    const timer = this.room.clock.setTimeout(() => this.#expire(sessionId), Math.max(0, ms));
    this.#held.set(sessionId, { tokens: [...tokens], timer });
    core._listing.clients = this.#held.size;
  }

  /** The token a restored player reconnected with (once: read it in `onReconnect`). */
  takeUsedToken(sessionId: string): string | undefined {
    const token = this.#usedTokens.get(sessionId);
    this.#usedTokens.delete(sessionId);
    return token;
  }

  /** The room is closing: nobody will take these seats now. */
  release(): void {
    const core = coreOf(this.room);
    for (const [sessionId, seat] of this.#held) {
      seat.timer.clear();
      for (const token of seat.tokens) delete core._reconnections[token];
      delete core._reservedSeats[sessionId];
    }
    this.#held.clear();
  }

  /**
   * Core resolved the reconnection: the seat is the player's again. Core
   * counts a reconnecting client in only on its own process (the drop that
   * came before was never counted out here), so this one is counted in as a
   * join, or its leave would take the process's count below zero.
   */
  #claimed(sessionId: string, token: string, client: Client): void {
    const seat = this.#forget(sessionId);
    if (seat === undefined) return;
    this.#usedTokens.set(sessionId, token);
    coreOf(this.room)._events.emit("join", client);
  }

  /** The room is closing: the seat goes without anything else (the listing goes with the room). */
  #closed(sessionId: string): void {
    if (this.#forget(sessionId) === undefined) return;
    coreOf(this.room).resetAutoDisposeTimeout();
  }

  #expire(sessionId: string): void {
    const seat = this.#forget(sessionId);
    if (seat === undefined) return;
    const core = coreOf(this.room);
    // Counted when held (hold), so uncounted here, as core does for a player who leaves.
    void Promise.resolve(matchMaker.driver.update(core._listing, { $inc: { clients: -1 } })).catch(() => {});
    this.onExpired(sessionId);
  }

  #forget(sessionId: string): HeldSeat | undefined {
    const seat = this.#held.get(sessionId);
    if (seat === undefined) return undefined;
    this.#held.delete(sessionId);
    seat.timer.clear();
    const core = coreOf(this.room);
    for (const token of seat.tokens) delete core._reconnections[token];
    delete core._reservedSeats[sessionId];
    return seat;
  }
}
