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
  /** Open public rooms of this group (a mode), fullest first: enough for `seats` seats if there are (each has one free at least). */
  openRooms(group: string, seats: number): Promise<readonly Room[]>;
  /** Creates rooms side by side, each with the first of its players' options; an outcome per room. */
  createRooms(options: readonly Options[]): Promise<PromiseSettledResult<Room>[]>;
  /**
   * Creates rooms that their players fill at once (on this process while the
   * processes are even, in production); as `createRooms` otherwise.
   */
  createFullRooms(options: readonly Options[]): Promise<PromiseSettledResult<Room>[]>;
  /** The free seats in this group's rooms, counted up to `upTo` (one small lookup, asked outside the turn). */
  freeSeats(group: string, upTo: number): Promise<number>;
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
  /** When it was queued (performance.now()): the rest of a group waits CARRY_MS for company before it takes the turn. */
  readonly queuedAt: number;
  /** Sent to the turn for a free seat in a room of its group (`#fillWholeRooms`): waits for it, not for company. */
  toTurn: boolean;
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

/**
 * Longest the rest of a group (fewer requests than a room holds) waits for
 * more requests before it takes the cluster's turn. Under a stream of joins
 * the next requests complete a room within this, and the turn is not taken.
 */
export const CARRY_MS = 10;

/** Most requests a process holds waiting; past it a request is refused at once (503). */
export const MAX_WAITING = 10_000;

export interface BatcherOptions {
  /** Longest a request waits in the queue (QUICK_PLAY_TURN_TIMEOUT_MS); then it is refused as busy. */
  maxWaitMs: number;
  maxBatch?: number;
  reserveHoldMs?: number;
  maxWaiting?: number;
  carryMs?: number;
  /** Why nothing can be decided now (draining, Redis down), asked before each batch; null when it can. */
  unavailable?: () => string | null;
}

/**
 * Quick play decided in batches. Requests queue in the process. Requests of
 * one mode get free seats in its rooms first: as many as the mode's rooms
 * have free seats (`freeSeats`, one small lookup) are sent to the turn,
 * and of the others, as many as fill whole rooms get rooms of their own at
 * once, without the cluster's turn: a full room takes no seat anyone else
 * could want, so no other decision needs to see it (`createFullRooms`: on
 * this process while the processes are even). The rest of each group, fewer
 * than a room holds, waits CARRY_MS for requests to complete a room. The
 * requests sent for free seats, the rests and the retries go to the turn: whoever
 * runs the drain takes the cluster's turn (`TakeTurn`: the in-process queue
 * and the Redis lock) and decides its requests in one pass: one lookup of
 * each group's open rooms, free seats given in order (fullest room first),
 * new rooms for the rest (created side by side, each filled to capacity),
 * and one reservation call per room for all its seats, in parallel; a rest
 * that has not waited CARRY_MS yet goes back to the queue instead of
 * opening a room part full. So processes wait on each other only for rests
 * and for rooms with free seats, a burst fills rooms exactly, and free
 * seats are taken before a room is made.
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
  /** A look at the queue is scheduled, running, or asked for again while one runs. */
  #pumpScheduled = false;
  #pumpRunning = false;
  #pumpAgain = false;
  /** Requests being seated in whole rooms outside the turn. */
  #filling = 0;
  #carryTimer: NodeJS.Timeout | undefined;
  readonly #carryMs: number;
  readonly #maxBatch: number;
  readonly #reserveHoldMs: number;
  readonly #maxWaiting: number;
  /**
   * Batches decided in a turn, whole rooms filled without one, requests
   * seated (of them, without the turn), sent round again and refused at
   * their deadline: what the tests observe and the metrics report.
   */
  readonly counts = { batches: 0, wholeRooms: 0, seated: 0, seatedWithoutTurn: 0, retried: 0, expired: 0 };

  constructor(
    private readonly broker: SeatBroker<Options, Room, Seat>,
    private readonly takeTurn: TakeTurn,
    private readonly options: BatcherOptions,
  ) {
    this.#maxBatch = options.maxBatch ?? MAX_BATCH;
    this.#reserveHoldMs = options.reserveHoldMs ?? RESERVE_HOLD_MS;
    this.#maxWaiting = options.maxWaiting ?? MAX_WAITING;
    this.#carryMs = options.carryMs ?? CARRY_MS;
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
        queuedAt: performance.now(),
        toTurn: false,
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

  /** Looks at the queue after the current I/O: requests read in the same pass are decided together. */
  #kick(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      void this.#pump();
    });
  }

  /**
   * Sends to the turn as many requests as their groups' rooms have free
   * seats and gives whole rooms to the others, then starts a turn if one is
   * due (a retry, a request sent for a free seat, a rest that waited
   * CARRY_MS), or looks again when the oldest rest will be due.
   */
  async #pump(): Promise<void> {
    if (this.#pumpRunning) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumpRunning = true;
    try {
      clearTimeout(this.#carryTimer);
      this.#carryTimer = undefined;
      if (this.#waiting.length > 0) {
        if ((this.options.unavailable?.() ?? null) !== null) {
          const refused = this.#busy();
          for (const ticket of this.#waiting.splice(0)) ticket.reject(refused);
        } else {
          await this.#fillWholeRooms();
        }
      }
      if (this.#draining) return; // the drain looks again when its turn ends
      const wait = this.#dueAt() - performance.now();
      if (wait <= 0) {
        this.#draining = true;
        void this.#drain();
      } else if (wait !== Infinity) {
        this.#carryTimer = setTimeout(() => this.#kick(), Math.ceil(wait));
      }
    } finally {
      this.#pumpRunning = false;
      if (this.#pumpAgain) {
        this.#pumpAgain = false;
        this.#kick();
      }
    }
  }

  /**
   * The queued requests of each group not sent for a free seat, in order:
   * the first as many as fill whole rooms, then the rest (fewer than a room
   * holds).
   */
  #groups(): { group: string; capacity: number; whole: Ticket<Options>[]; rest: Ticket<Options>[] }[] {
    const byGroup = new Map<string, Ticket<Options>[]>();
    for (const ticket of this.#waiting) {
      if (ticket.toTurn) continue;
      const list = byGroup.get(ticket.group);
      if (list === undefined) byGroup.set(ticket.group, [ticket]);
      else list.push(ticket);
    }
    return [...byGroup].map(([group, tickets]) => {
      const capacity = Math.max(1, this.broker.capacity(group));
      const whole = tickets.length - (tickets.length % capacity);
      return { group, capacity, whole: tickets.slice(0, whole), rest: tickets.slice(whole) };
    });
  }

  /** When the turn is next needed: now for a retry or a request sent for a free seat, CARRY_MS after the oldest rest was queued; Infinity when none waits. */
  #dueAt(): number {
    if (this.#retrying.length > 0 || this.#waiting.some((t) => t.toTurn)) return 0;
    let oldest = Infinity;
    for (const { rest, whole } of this.#groups()) {
      if (whole.length > 0 && rest.length === 0) continue;
      for (const ticket of rest) oldest = Math.min(oldest, ticket.queuedAt);
    }
    return oldest + this.#carryMs;
  }

  /**
   * Requests that fill whole rooms, oldest first, seated in new rooms
   * without the turn, once as many as the group's rooms have free seats
   * are sent to the turn (which gives those, fullest room first): at most
   * `maxBatch` requests (and at least one room) being seated that way at a
   * time; the others wait for those to answer.
   */
  async #fillWholeRooms(): Promise<void> {
    const candidates = this.#groups().filter(({ whole }) => whole.length > 0);
    if (candidates.length === 0) return;
    // A lookup that fails counts every request as wanted by a free seat: the turn decides them all.
    const free = await Promise.all(candidates.map(({ group, whole }) => this.broker.freeSeats(group, whole.length).catch(() => Infinity)));
    // The queue moved during the lookup: free seats go to its oldest requests now.
    candidates.forEach(({ group }, i) => {
      // Requests sent for free seats at an earlier look and still waiting for the turn count against them.
      let seats = free[i] - this.#waiting.filter((t) => t.group === group && t.toTurn).length;
      for (const ticket of this.#waiting) {
        if (seats <= 0) break;
        if (ticket.group !== group || ticket.toTurn) continue;
        ticket.toTurn = true;
        seats--;
      }
    });
    const taken = new Set<Ticket<Options>>();
    for (const { group, capacity, whole } of this.#groups()) {
      if (!candidates.some((c) => c.group === group)) continue;
      const rooms = Math.min(whole.length / capacity, Math.floor((this.#maxBatch - this.#filling) / capacity) || (this.#filling === 0 ? 1 : 0));
      if (rooms <= 0) continue;
      const fills: Ticket<Options>[][] = [];
      for (let i = 0; i < rooms; i++) fills.push(whole.slice(i * capacity, (i + 1) * capacity));
      for (const fill of fills) for (const ticket of fill) taken.add(ticket);
      this.#filling += rooms * capacity;
      void this.#seatInNewRooms(fills).finally(() => {
        this.#filling -= rooms * capacity;
        if (this.#waiting.length > 0) this.#kick();
      });
    }
    removeFrom(this.#waiting, taken);
  }

  /** Rooms that their requests fill, created and reserved outside the turn; a refused seat goes to the turn like any other. */
  async #seatInNewRooms(fills: Ticket<Options>[][]): Promise<void> {
    for (const fill of fills) for (const ticket of fill) ticket.state = "deciding";
    await this.#withinDeadline(this.#createAndReserve(fills), fills.flat());
  }

  async #createAndReserve(fills: Ticket<Options>[][]): Promise<void> {
    try {
      const created = await this.broker.createFullRooms(fills.map((fill) => fill[0].options));
      const reserved: Promise<void>[] = [];
      created.forEach((outcome, i) => {
        if (outcome.status === "fulfilled") {
          this.counts.wholeRooms++;
          reserved.push(this.#reserve(outcome.value, fills[i], true));
        } else {
          // A room the matchmaker would not create (shutting down, onCreate failed): its error is the answer.
          for (const ticket of fills[i]) ticket.reject(outcome.reason instanceof Error ? outcome.reason : new Error(String(outcome.reason)));
        }
      });
      await Promise.all(reserved);
    } catch (error) {
      // Not reached by design (#reserve settles what fails); a bug answers its requests instead of stalling them.
      const failed = new QuickPlayRefused("failed", "Quick play could not find a seat.", { cause: error });
      for (const fill of fills) for (const ticket of fill) ticket.reject(failed);
    }
  }

  /**
   * Waits for a decision `maxWaitMs` at most: past that, its requests still
   * being decided are answered busy and the queue goes on (a room creation
   * or a reservation that never answers, e.g. on a Redis connection that
   * lost its subscriptions, would otherwise hold the drain, or the slots of
   * the whole rooms, for good). A seat the room grants later is then
   * nobody's, and expires as any unclaimed seat does.
   */
  async #withinDeadline(decision: Promise<void>, tickets: readonly Ticket<Options>[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      decision.then(
        () => false,
        () => false,
      ),
      new Promise<true>((resolve) => {
        timer = setTimeout(() => resolve(true), this.options.maxWaitMs);
      }),
    ]);
    clearTimeout(timer);
    if (!late) return;
    for (const ticket of tickets) {
      if (ticket.state !== "deciding") continue;
      this.counts.expired++;
      ticket.reject(this.#busy());
    }
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

  /** Takes turns while one is due: each decides the retries, the requests sent for free seats and the rests. */
  async #drain(): Promise<void> {
    try {
      while (this.#dueAt() <= performance.now()) {
        const end = await this.takeTurn();
        // Retries first; then the requests sent for free seats, and the rests.
        const batch = this.#retrying.splice(0, this.#maxBatch);
        batch.push(...this.#waiting.filter((t) => t.toTurn).slice(0, this.#maxBatch - batch.length));
        for (const { rest } of this.#groups()) batch.push(...rest.slice(0, this.#maxBatch - batch.length));
        removeFrom(this.#waiting, new Set(batch));
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
          await this.#withinDeadline(this.#decide(batch), batch);
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
      // Requests queued during the turn that fill rooms, or rests not yet due.
      if (this.#waiting.length > 0) this.#kick();
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
      for (const room of await this.broker.openRooms(group, pending.length)) {
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
    // A part-full room for requests that have not waited CARRY_MS: they go back to wait for company instead.
    const last = fills.at(-1);
    const now = performance.now();
    if (last !== undefined && last.length < capacity && last.every((t) => t.losses === 0 && now - t.queuedAt < this.#carryMs)) {
      fills.pop();
      for (const ticket of last) {
        ticket.state = "queued";
        ticket.toTurn = false;
      }
      this.#waiting.unshift(...last);
    }
    const part = fills.at(-1)?.length === capacity ? [] : fills.splice(-1);
    const [wholeRooms, partRoom] = await Promise.all([
      fills.length === 0 ? [] : this.broker.createFullRooms(fills.map((fill) => fill[0].options)),
      part.length === 0 ? [] : this.broker.createRooms(part.map((fill) => fill[0].options)),
    ]);
    fills.push(...part);
    [...wholeRooms, ...partRoom].forEach((outcome, i) => {
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
  async #reserve(room: Room, seats: Ticket<Options>[], withoutTurn = false): Promise<void> {
    let settled = false;
    const settle = (taken: readonly boolean[] | null, cause?: unknown): void => {
      if (settled) return;
      settled = true;
      seats.forEach((ticket, i) => {
        if (taken?.[i] === true) {
          this.counts.seated++;
          if (withoutTurn) this.counts.seatedWithoutTurn++;
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

/** Removes `these` from `queue`, keeping its order. */
function removeFrom<T>(queue: T[], these: ReadonlySet<T>): void {
  if (these.size === 0) return;
  const kept = queue.filter((item) => !these.has(item));
  queue.length = 0;
  queue.push(...kept);
}

/** Marks a ticket answered; false if it already was. */
function markSettled(ticket: { state: string; timer: NodeJS.Timeout | undefined }): boolean {
  if (ticket.state === "settled") return false;
  ticket.state = "settled";
  clearTimeout(ticket.timer);
  return true;
}
