import { readListing } from "@arena/shared";
/** A room with free seats, as the listings have it (players are `clients` less the spectators its metadata counts: `readListing`). */
export interface OpenRoom {
  readonly roomId: string;
  readonly clients: number;
  readonly maxClients: number;
  readonly metadata?: unknown;
}

/** A quick-play request waiting for a seat. */
export interface SeatRequest<Options> {
  /** The session id the seat is reserved under (the client's `sessionId`). */
  readonly sessionId: string;
  readonly options: Options;
  readonly auth: unknown;
}

/**
 * What the batcher needs of the matchmaker: Colyseus's in production
 * (`colyseusSeats` in Matchmaking.ts), an in-memory one in the unit tests.
 * The room's own seat reservation stays the truth: `reserve` answers, per
 * request, whether the room took it.
 */
export interface SeatBroker<Options, Room extends OpenRoom, Seat> {
  /** Open public rooms of this group (a mode), fullest first. */
  openRooms(group: string): Promise<readonly Room[]>;
  /** Creates rooms side by side, each with the first of its players' options; an outcome per room. */
  createRooms(options: readonly Options[]): Promise<PromiseSettledResult<Room>[]>;
  /** Seats per room: true where the room took the request. Throws when the room (or its process) cannot answer. */
  reserve(room: Room, requests: readonly SeatRequest<Options>[]): Promise<readonly boolean[]>;
  /** Whether the room is still there to answer a reservation (asked of one slow to answer). */
  answering(room: Room): Promise<boolean>;
  /** The answer a client gets for a seat taken. */
  seat(room: Room, sessionId: string): Seat;
  /** The capacity of a new room of this group. */
  capacity(group: string): number;
  /** A new session id (Colyseus's own form, short: it keys the player in every patch). */
  sessionId(): string;
}

/** A turn in the cluster's one decision at a time (QuickPlayQueue): resolves with what ends it, null if the wait ran out. */
export type TakeTurn = () => Promise<(() => void) | null>;

/**
 * Why a request got no seat: `busy` (it waited past the deadline, or the
 * queue is full), `failed` (rooms kept refusing it), `unavailable` (the
 * process cannot decide now: `code` says why, e.g. draining).
 */
export class QuickPlayRefused extends Error {
  constructor(
    readonly reason: "busy" | "failed" | "unavailable",
    message: string,
    options?: ErrorOptions & { code?: string },
  ) {
    super(message, options);
    this.code = options?.code;
  }
  readonly code: string | undefined;
}

interface Ticket<Options> extends SeatRequest<Options> {
  readonly group: string;
  /** Seats lost so far: 1 retries the same way, 2 gets a room of its own. */
  losses: number;
  /** In a queue (`#waiting` or `#retrying`), being decided, or answered. */
  state: "queued" | "deciding" | "settled";
  /** Its deadline passed while it was being decided: refused if it comes back to the queue. */
  expired: boolean;
  timer: NodeJS.Timeout | undefined;
  resolve(seat: unknown): void;
  reject(error: Error): void;
}

/** Most requests one decision takes: a burst bigger than this is decided over several turns. */
export const MAX_BATCH = 512;

/**
 * Longest a decision holds the cluster's turn waiting for rooms to answer
 * their reservations. A room that vanished after the lookup answers only at
 * Colyseus's IPC timeout (2 s); past this the turn goes on and the late
 * answer seats its requests or sends them back to the queue when it comes.
 */
export const RESERVE_HOLD_MS = 20;

/** Most requests a process holds waiting; past it a request is refused at once (503). */
export const MAX_WAITING = 10_000;

export interface BatcherOptions {
  /** Longest a request waits in the queue (QUICK_PLAY_TURN_TIMEOUT_MS); then it is refused as busy. */
  maxWaitMs: number;
  maxBatch?: number;
  reserveHoldMs?: number;
  maxWaiting?: number;
  /** Why nothing can be decided now (draining, Redis down), asked before each batch; null when it can. */
  unavailable?: () => string | null;
}

/**
 * Quick play decided in batches. Requests queue in the process; whoever runs
 * the drain takes the cluster's turn (`TakeTurn`: the in-process queue and
 * the Redis lock) and decides every queued request in one pass: one lookup
 * of each group's open rooms, requests given free seats in order (fullest
 * room first), new rooms for the rest (created side by side, each filled to
 * capacity), and one reservation call per room for all its seats, in
 * parallel. The turn's cost (lock, lookup, the round trips of reservation)
 * is paid once per batch instead of once per join, so a burst fills rooms
 * as exactly as one decision at a time did, at the cost of one decision.
 *
 * A seat a room refuses (taken meanwhile by a join by id, the room gone, its
 * process dead) is decided again at the head of the next batch; refused a
 * second time, the request gets a new room of its own filling; a third
 * refusal is answered with an error. A room slow to answer holds the turn
 * for RESERVE_HOLD_MS at most: the room's own check still keeps it from
 * taking more seats than it has, so a later batch that counted on its free
 * seats only sees some refused, and decided again.
 *
 * What a request may cost is bounded: it waits in the queue `maxWaitMs` at
 * most (then 503, busy), the queue holds `maxWaiting` requests at most (then
 * 503 at once), and while the process cannot decide (`unavailable`, e.g.
 * draining) queued requests are refused with that reason, no room made.
 */
export class QuickPlayBatcher<Options, Room extends OpenRoom, Seat> {
  readonly #waiting: Ticket<Options>[] = [];
  /** Requests a room refused: decided first, in the order they were refused. */
  readonly #retrying: Ticket<Options>[] = [];
  #draining = false;
  readonly #maxBatch: number;
  readonly #reserveHoldMs: number;
  readonly #maxWaiting: number;
  /** Batches decided, requests seated, sent round again and refused at their deadline (what the tests observe). */
  readonly counts = { batches: 0, seated: 0, retried: 0, expired: 0 };

  constructor(
    private readonly broker: SeatBroker<Options, Room, Seat>,
    private readonly takeTurn: TakeTurn,
    private readonly options: BatcherOptions,
  ) {
    this.#maxBatch = options.maxBatch ?? MAX_BATCH;
    this.#reserveHoldMs = options.reserveHoldMs ?? RESERVE_HOLD_MS;
    this.#maxWaiting = options.maxWaiting ?? MAX_WAITING;
  }

  /** Requests waiting for a decision. */
  get waiting(): number {
    return this.#waiting.length + this.#retrying.length;
  }

  /** A seat for one request of `group` (its mode), once a batch has decided it. */
  join(group: string, options: Options, auth: unknown): Promise<Seat> {
    if (this.waiting >= this.#maxWaiting) {
      return Promise.reject(new QuickPlayRefused("busy", "Quick play is busy. Try again in a few seconds."));
    }
    return new Promise<Seat>((resolve, reject) => {
      const ticket: Ticket<Options> = {
        group,
        options,
        auth,
        sessionId: this.broker.sessionId(),
        losses: 0,
        state: "queued",
        expired: false,
        timer: undefined,
        resolve: (seat) => {
          if (markSettled(ticket)) resolve(seat as Seat);
        },
        reject: (error) => {
          if (markSettled(ticket)) reject(error);
        },
      };
      ticket.timer = setTimeout(() => this.#expire(ticket), this.options.maxWaitMs);
      this.#waiting.push(ticket);
      this.#kick();
    });
  }

  #kick(): void {
    if (this.#draining) return;
    this.#draining = true;
    // After the current I/O: requests read in the same pass join this batch.
    setImmediate(() => void this.#drain());
  }

  /** A request's deadline: refused as busy if still queued; if being decided, when it comes back. */
  #expire(ticket: Ticket<Options>): void {
    if (ticket.state === "deciding") {
      ticket.expired = true;
      return;
    }
    if (ticket.state !== "queued") return;
    for (const queue of [this.#waiting, this.#retrying]) {
      const at = queue.indexOf(ticket);
      if (at >= 0) queue.splice(at, 1);
    }
    this.counts.expired++;
    ticket.reject(this.#busy());
  }

  /** Busy, or the reason the process cannot decide now if it has one (draining, Redis down). */
  #busy(): QuickPlayRefused {
    const why = this.options.unavailable?.() ?? null;
    return why === null ? busy() : new QuickPlayRefused("unavailable", "Quick play cannot seat anyone on this server now.", { code: why });
  }

  async #drain(): Promise<void> {
    try {
      while (this.waiting > 0) {
        const end = await this.takeTurn();
        const batch = this.#retrying.splice(0, this.#maxBatch);
        batch.push(...this.#waiting.splice(0, this.#maxBatch - batch.length));
        if (end === null) {
          const refused = this.#busy();
          for (const ticket of batch) ticket.reject(refused);
          continue;
        }
        try {
          const refused = this.#busy();
          if (refused.reason === "unavailable") {
            for (const ticket of batch) ticket.reject(refused);
            continue;
          }
          for (const ticket of batch) ticket.state = "deciding";
          await this.#decide(batch);
        } catch (error) {
          // Not reached by design (#decide settles what fails); a bug answers its batch instead of stalling it.
          const failed = new QuickPlayRefused("failed", "Quick play could not find a seat.", { cause: error });
          for (const ticket of batch) ticket.reject(failed);
        } finally {
          end();
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  async #decide(batch: Ticket<Options>[]): Promise<void> {
    this.counts.batches++;
    const groups = new Map<string, Ticket<Options>[]>();
    for (const ticket of batch) {
      const list = groups.get(ticket.group);
      if (list === undefined) groups.set(ticket.group, [ticket]);
      else list.push(ticket);
    }
    const outcomes = await Promise.allSettled([...groups].map(([group, tickets]) => this.#seatGroup(group, tickets)));
    // A group that failed before its seats were asked for (its lookup): its requests go again.
    [...groups.values()].forEach((tickets, i) => {
      const outcome = outcomes[i];
      if (outcome.status === "rejected") for (const ticket of tickets) if (ticket.state === "deciding") this.#lost(ticket, outcome.reason);
    });
  }

  async #seatGroup(group: string, tickets: Ticket<Options>[]): Promise<void> {
    const plan: { room: Room; tickets: Ticket<Options>[] }[] = [];
    const fresh = tickets.filter((t) => t.losses >= 2);
    const pending = tickets.filter((t) => t.losses < 2);
    let next = 0;
    if (pending.length > 0) {
      for (const room of await this.broker.openRooms(group)) {
        if (next >= pending.length) break;
        const { capacity, players } = readListing(room, group);
        const free = capacity - players;
        if (free <= 0) continue;
        plan.push({ room, tickets: pending.slice(next, next + free) });
        next += free;
      }
    }
    const rest = [...fresh, ...pending.slice(next)];
    const capacity = Math.max(1, this.broker.capacity(group));
    const fills: Ticket<Options>[][] = [];
    for (let i = 0; i < rest.length; i += capacity) fills.push(rest.slice(i, i + capacity));
    const created = fills.length === 0 ? [] : await this.broker.createRooms(fills.map((fill) => fill[0].options));
    created.forEach((outcome, i) => {
      if (outcome.status === "fulfilled") plan.push({ room: outcome.value, tickets: fills[i] });
      // A room the matchmaker would not create (shutting down, onCreate failed): its error is the answer.
      else for (const ticket of fills[i]) ticket.reject(outcome.reason instanceof Error ? outcome.reason : new Error(String(outcome.reason)));
    });
    await Promise.all(plan.map(({ room, tickets: seats }) => this.#reserve(room, seats)));
  }

  /**
   * One room's seats. Resolves when the room has answered, or after the hold
   * time: a room still unanswered then is asked whether it is there at all
   * (`answering`); a room that is not gets its requests back in the queue at
   * once (its late refusal, at the IPC timeout, is then ignored); one that
   * is, only slow, seats them whenever it answers, after the turn has gone on.
   */
  async #reserve(room: Room, seats: Ticket<Options>[]): Promise<void> {
    let settled = false;
    const settle = (taken: readonly boolean[] | null, cause?: unknown): void => {
      if (settled) return;
      settled = true;
      seats.forEach((ticket, i) => {
        if (taken?.[i] === true) {
          this.counts.seated++;
          ticket.resolve(this.broker.seat(room, ticket.sessionId));
        } else {
          this.#lost(ticket, cause);
        }
      });
    };
    const answered = this.broker.reserve(room, seats).then(
      (taken) => settle(taken),
      (error: unknown) => settle(null, error),
    );
    let hold: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      answered.then(() => false),
      new Promise<true>((resolve) => {
        hold = setTimeout(() => resolve(true), this.#reserveHoldMs);
      }),
    ]);
    clearTimeout(hold);
    if (timedOut && !settled && !(await this.broker.answering(room).catch(() => true))) {
      settle(null, new Error(`room ${room.roomId} no longer answers`));
    }
  }

  #lost(ticket: Ticket<Options>, cause?: unknown): void {
    if (ticket.state === "settled") return;
    ticket.losses++;
    if (ticket.losses > 2) {
      ticket.reject(new QuickPlayRefused("failed", "Quick play could not find a seat.", { cause }));
      return;
    }
    if (ticket.expired) {
      this.counts.expired++;
      ticket.reject(this.#busy());
      return;
    }
    this.counts.retried++;
    ticket.state = "queued";
    this.#retrying.push(ticket);
    this.#kick();
  }
}

function busy(): QuickPlayRefused {
  return new QuickPlayRefused("busy", "Quick play is busy. Try again in a few seconds.");
}

/** Marks a ticket answered; false if it already was. */
function markSettled(ticket: { state: string; timer: NodeJS.Timeout | undefined }): boolean {
  if (ticket.state === "settled") return false;
  ticket.state = "settled";
  clearTimeout(ticket.timer);
  return true;
}
