/**
 * A room's spectators: people who watch a match without playing in it.
 *
 * Colyseus counts every client in `maxClients`, in the listing's `clients`
 * and in its auto-lock. Spectators are kept out of all three by counting
 * them here, from the moment their seat is reserved:
 * - the room's `maxClients` is its player capacity plus MAX_SPECTATORS, so
 *   core's auto-lock only closes a room full of both;
 * - each seat reservation is checked by role before core's (ArenaRoom's
 *   `reserveSeat`): a player only while the players and their reserved or
 *   held seats are under the capacity, a spectator only while spectators
 *   (reserved or joined) are under MAX_SPECTATORS;
 * - the listing's metadata carries the player capacity and this count
 *   (ArenaListingMetadata), and every reader of a listing (quick play, the
 *   HTTP API, the lobby's clients) reads players as `clients - spectators`
 *   (`readListing`).
 * A companion room fed by the match would keep the counts apart without
 * this, at the price of a second copy of every patch and of the state's
 * encoding per match; overriding the count costs nothing per frame.
 */
export class SpectatorSeats {
  /** Seats reserved and not yet taken, with the timer that lets them go as core's reservation expires. */
  readonly #reserved = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #joined = new Set<string>();

  /**
   * `max`: MAX_SPECTATORS; `changed`: told the count after every change (the
   * room writes it to its listing); `reservationMs`: how long core holds a
   * reserved seat (its seatReservationTimeout).
   */
  constructor(
    readonly max: number,
    private readonly changed: (count: number) => void,
    private readonly reservationMs: () => number,
  ) {}

  /** Spectators reserved or joined. */
  get count(): number {
    return this.#reserved.size + this.#joined.size;
  }

  /** Whether this session is a spectator's (from its reservation on: every frame it sends is judged as one). */
  has(sessionId: string): boolean {
    return this.#joined.has(sessionId) || this.#reserved.has(sessionId);
  }

  /** A seat for a spectator, if one is free. */
  reserve(sessionId: string): boolean {
    if (this.count >= this.max || this.has(sessionId)) return false;
    // Core drops an unclaimed reservation after its timeout; let it go here a little later.
    const expiry = setTimeout(() => this.#release(sessionId), this.reservationMs() + 1000);
    expiry.unref();
    this.#reserved.set(sessionId, expiry);
    this.changed(this.count);
    return true;
  }

  /** Core refused the reservation after all. */
  unreserve(sessionId: string): void {
    this.#release(sessionId);
  }

  /** The spectator is in the room. */
  joined(sessionId: string): void {
    const expiry = this.#reserved.get(sessionId);
    if (expiry === undefined) return;
    clearTimeout(expiry);
    this.#reserved.delete(sessionId);
    this.#joined.add(sessionId);
  }

  /** The spectator left (or its join failed). */
  left(sessionId: string): void {
    if (this.#joined.delete(sessionId)) this.changed(this.count);
    else this.#release(sessionId);
  }

  /** Every spectator session, joined ones (for closing them). */
  get joinedIds(): ReadonlySet<string> {
    return this.#joined;
  }

  /** The room is gone: stop the timers. */
  dispose(): void {
    for (const expiry of this.#reserved.values()) clearTimeout(expiry);
    this.#reserved.clear();
    this.#joined.clear();
  }

  #release(sessionId: string): void {
    const expiry = this.#reserved.get(sessionId);
    if (expiry === undefined) return;
    clearTimeout(expiry);
    this.#reserved.delete(sessionId);
    this.changed(this.count);
  }
}
