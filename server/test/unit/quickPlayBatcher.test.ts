import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { QuickPlayBatcher, QuickPlayRefused, type OpenRoom, type SeatBroker, type SeatRequest } from "../../src/matchmaking/QuickPlayBatcher.ts";
import { QuickPlayQueue } from "../../src/matchmaking/QuickPlayQueue.ts";

interface MemoryRoom extends OpenRoom {
  clients: number;
  group: string;
  gone: boolean;
  sessions: string[];
}

/** A request's options: a mode picks the group, as `mode` does in Colyseus's filterBy. */
interface Options {
  name: string;
  mode?: string;
}

/**
 * An in-memory matchmaker (the real one is Colyseus's, tested across
 * processes in scaling.test.ts): rooms take seats up to capacity, a gone
 * room throws, `beforeReserve` can take seats behind the batcher's back (a
 * join by id). `listFull` lists full rooms too, as a stale listing would.
 * `overAsked` counts reservations asking a room for more seats than it had
 * free when asked.
 */
class MemoryBroker implements SeatBroker<Options, MemoryRoom, { roomId: string; sessionId: string }> {
  readonly rooms: MemoryRoom[] = [];
  calls = { openRooms: 0, freeSeats: 0, createRoom: 0, createFullRoom: 0, reserve: 0 };
  overAsked = 0;
  listFull = false;
  #ids = 0;
  /** Called at each reservation, before the room answers. */
  beforeReserve: (room: MemoryRoom) => void = () => {};

  /** `cap`: the capacity of a new room, or of a new room of each group. */
  constructor(private readonly cap: number | ((group: string) => number) = 8) {}

  async openRooms(group: string): Promise<readonly MemoryRoom[]> {
    this.calls.openRooms++;
    await Promise.resolve();
    return this.rooms
      .filter((r) => r.group === group && !r.gone && (this.listFull || r.clients < r.maxClients))
      .sort((a, b) => b.clients - a.clients)
      .map((r) => ({ ...r }));
  }
  /** As the listings' index would answer: the free seats of the group's rooms not gone (and one in each full room, when the listing is stale), up to `upTo`. */
  async freeSeats(group: string, upTo: number): Promise<number> {
    this.calls.freeSeats++;
    await Promise.resolve();
    const free = this.rooms
      .filter((r) => r.group === group && !r.gone)
      .reduce((n, r) => n + (r.clients < r.maxClients ? r.maxClients - r.clients : this.listFull ? 1 : 0), 0);
    return Math.min(free, upTo);
  }
  /** Replaces room creation (a matchmaker refusing, for one). */
  create: (options: Options) => Promise<MemoryRoom> = async (options) => {
    await Promise.resolve();
    const group = options.mode ?? "ffa";
    const room: MemoryRoom = { roomId: `r${++this.#ids}`, clients: 0, maxClients: this.capacity(group), group, gone: false, sessions: [] };
    this.rooms.push(room);
    return { ...room };
  };
  async createRooms(options: readonly Options[]): Promise<PromiseSettledResult<MemoryRoom>[]> {
    this.calls.createRoom += options.length;
    return Promise.allSettled(options.map((o) => this.create(o)));
  }
  /** Held until it resolves, when a test wants whole rooms to wait (what is in flight meanwhile). */
  fullRoomsGate: Promise<void> = Promise.resolve();
  async createFullRooms(options: readonly Options[]): Promise<PromiseSettledResult<MemoryRoom>[]> {
    this.calls.createFullRoom += options.length;
    await this.fullRoomsGate;
    return Promise.allSettled(options.map((o) => this.create(o)));
  }
  async reserve(snapshot: MemoryRoom, requests: readonly SeatRequest<Options>[]): Promise<readonly boolean[]> {
    this.calls.reserve++;
    const room = this.rooms.find((r) => r.roomId === snapshot.roomId)!;
    if (requests.length > room.maxClients - room.clients) this.overAsked++;
    this.beforeReserve(room);
    await Promise.resolve();
    if (room.gone) throw new Error(`${room.roomId} is gone`);
    return requests.map((r) => {
      if (room.clients >= room.maxClients) return false;
      room.clients++;
      room.sessions.push(r.sessionId);
      return true;
    });
  }
  async answering(snapshot: MemoryRoom): Promise<boolean> {
    return !this.rooms.find((r) => r.roomId === snapshot.roomId)!.gone;
  }
  seat(room: MemoryRoom, sessionId: string) {
    return { roomId: room.roomId, sessionId };
  }
  capacity(group: string): number {
    return typeof this.cap === "number" ? this.cap : this.cap(group);
  }
  sessionId(): string {
    return `s${++this.#ids}`;
  }
}

const turns = () => {
  const queue = new QuickPlayQueue(1000);
  return () => queue.turn();
};
const WAIT = { maxWaitMs: 5000 };

describe("QuickPlayBatcher (quick play decided in batches)", () => {
  it("a burst where rooms have free seats: as many requests as there are free seats go to one turn (fullest first), the others get whole rooms without it; rooms filled exactly, one reservation call per room", async () => {
    const broker = new MemoryBroker(8);
    broker.rooms.push({ roomId: "half", clients: 4, maxClients: 8, group: "ffa", gone: false, sessions: [] });
    broker.rooms.push({ roomId: "most", clients: 7, maxClients: 8, group: "ffa", gone: false, sessions: [] });
    const batcher = new QuickPlayBatcher(broker, turns(), WAIT);
    const seats = await Promise.all(Array.from({ length: 21 }, (_, i) => batcher.join("ffa", { name: `p${i}` }, undefined)));
    assert.equal(batcher.counts.batches, 1);
    assert.equal(broker.calls.openRooms, 1);
    // The 5 oldest: 1 seat in "most", 4 in "half", in the turn; then 16 in two rooms of their own, outside it.
    assert.deepEqual(
      seats.slice(0, 5).map((s) => s.roomId),
      ["most", "half", "half", "half", "half"],
    );
    assert.equal(batcher.counts.wholeRooms, 2);
    assert.equal(broker.calls.createFullRoom, 2);
    assert.equal(broker.calls.createRoom, 0);
    assert.equal(broker.calls.reserve, 4);
    assert.deepEqual(
      broker.rooms.map((r) => r.clients),
      [8, 8, 8, 8],
    );
    assert.equal(new Set(seats.map((s) => s.sessionId)).size, 21, "a session id each");
  });

  it("groups (modes) are decided apart: no room gets players of two modes", async () => {
    const broker = new MemoryBroker(4);
    broker.rooms.push({ roomId: "duel", clients: 1, maxClients: 4, group: "duel", gone: false, sessions: [] });
    const batcher = new QuickPlayBatcher(broker, turns(), WAIT);
    const [a, b] = await Promise.all([batcher.join("duel", { name: "a" }, undefined), batcher.join("ffa", { name: "b" }, undefined)]);
    assert.equal(a.roomId, "duel");
    assert.notEqual(b.roomId, "duel");
  });

  it("a seat taken behind its back is decided again, first in the next batch; a room gone twice gives a room of its own", async () => {
    const broker = new MemoryBroker(8);
    broker.rooms.push({ roomId: "open", clients: 6, maxClients: 8, group: "ffa", gone: false, sessions: [] });
    // The first reservation in "open" finds the room full (joins by id took the seats).
    let stolen = false;
    broker.beforeReserve = (room) => {
      if (room.roomId === "open" && !stolen) {
        stolen = true;
        room.clients = 8;
      }
    };
    const batcher = new QuickPlayBatcher(broker, turns(), WAIT);
    const seats = await Promise.all([batcher.join("ffa", { name: "a" }, undefined), batcher.join("ffa", { name: "b" }, undefined)]);
    assert.equal(batcher.counts.retried, 2);
    assert.equal(batcher.counts.batches, 2);
    assert.equal(seats[0].roomId, seats[1].roomId, "both retried into the same new room");
    assert.notEqual(seats[0].roomId, "open");

    // A room whose process is gone: it throws twice (it stays listed), then the request gets a new room.
    const dead = new MemoryBroker(8);
    dead.rooms.push({ roomId: "dead", clients: 1, maxClients: 8, group: "ffa", gone: true, sessions: [] });
    dead.openRooms = async () => [{ ...dead.rooms[0] }];
    const again = new QuickPlayBatcher(dead, turns(), WAIT);
    const seat = await again.join("ffa", { name: "c" }, undefined);
    assert.notEqual(seat.roomId, "dead");
    assert.equal(again.counts.batches, 3, "decided, retried once the same way, then given a room of its own");
  });

  it("a request no room will take is refused after three tries, and the queue goes on", async () => {
    const broker = new MemoryBroker(8);
    const reserve = broker.reserve.bind(broker);
    broker.reserve = async () => {
      throw new Error("every process is gone");
    };
    const batcher = new QuickPlayBatcher(broker, turns(), WAIT);
    await assert.rejects(batcher.join("ffa", { name: "a" }, undefined), (e: unknown) => e instanceof QuickPlayRefused && e.reason === "failed");
    assert.equal(batcher.counts.batches, 3);
    broker.reserve = reserve;
    assert.ok((await batcher.join("ffa", { name: "b" }, undefined)).roomId);
    assert.equal(batcher.waiting, 0);
  });

  it("no turn in time: the batch is refused as busy and the next requests go on", async () => {
    const broker = new MemoryBroker(8);
    let refuse = true;
    const queue = new QuickPlayQueue(1000);
    const batcher = new QuickPlayBatcher(broker, async () => (refuse ? null : queue.turn()), WAIT);
    await assert.rejects(batcher.join("ffa", { name: "a" }, undefined), (e: unknown) => e instanceof QuickPlayRefused && e.reason === "busy");
    refuse = false;
    const seat = await batcher.join("ffa", { name: "b" }, undefined);
    assert.equal(broker.rooms.length, 1);
    assert.equal(seat.roomId, broker.rooms[0].roomId);
  });

  it("a burst that fills whole rooms takes no turn at all: maxBatch requests seated at a time, the others queued, rooms exactly full", async () => {
    const broker = new MemoryBroker(8);
    let release!: () => void;
    broker.fullRoomsGate = new Promise((resolve) => {
      release = resolve;
    });
    let turnsAsked = 0;
    // The cluster's turn never comes (another process holds it): whole rooms do not need it.
    const batcher = new QuickPlayBatcher(broker, () => (turnsAsked++, new Promise(() => {})), { ...WAIT, maxBatch: 100 });
    const seats = Promise.all(Array.from({ length: 1000 }, (_, i) => batcher.join("ffa", { name: `p${i}` }, undefined)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(broker.calls.createFullRoom, 12, "12 rooms (96 requests) in flight, at most 100");
    assert.equal(batcher.waiting, 1000 - 96);
    release();
    await seats;
    assert.equal(turnsAsked, 0);
    assert.equal(batcher.counts.batches, 0);
    assert.equal(batcher.counts.wholeRooms, 125);
    assert.equal(broker.rooms.length, 125);
    assert.ok(broker.rooms.every((r) => r.clients === 8));
  });

  it("the rest of a group waits CARRY_MS for company: requests that complete a room meanwhile take no turn; a rest alone takes it after", async () => {
    const broker = new MemoryBroker(8);
    const batcher = new QuickPlayBatcher(broker, turns(), { ...WAIT, carryMs: 200 });
    const first = Array.from({ length: 5 }, (_, i) => batcher.join("ffa", { name: `a${i}` }, undefined));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(batcher.waiting, 5, "the rest waits");
    const seats = await Promise.all([...first, ...Array.from({ length: 3 }, (_, i) => batcher.join("ffa", { name: `b${i}` }, undefined))]);
    assert.equal(new Set(seats.map((s) => s.roomId)).size, 1);
    assert.equal(batcher.counts.batches, 0);
    assert.equal(batcher.counts.wholeRooms, 1);

    const quick = new QuickPlayBatcher(broker, turns(), { ...WAIT, carryMs: 30 });
    const asked = performance.now();
    await quick.join("ffa", { name: "alone" }, undefined);
    assert.ok(performance.now() - asked >= 29, "decided after its wait for company");
    assert.equal(quick.counts.batches, 1);
  });

  it("a room with free seats is filled first, by the oldest requests, before the others get a room of their own; a rest that has not waited goes back to wait instead of opening a room", async () => {
    const broker = new MemoryBroker(4);
    broker.rooms.push({ roomId: "open", clients: 1, maxClients: 4, group: "ffa", gone: false, sessions: [] });
    const batcher = new QuickPlayBatcher(broker, turns(), { ...WAIT, carryMs: 200 });
    const first = Array.from({ length: 8 }, (_, i) => batcher.join("ffa", { name: `a${i}` }, undefined));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // 3 in "open" in the turn, 4 in a room of their own without it; the last one waits for company.
    assert.equal(batcher.counts.batches, 1);
    assert.equal(batcher.waiting, 1);
    const later = Array.from({ length: 3 }, (_, i) => batcher.join("ffa", { name: `b${i}` }, undefined));
    const seats = await Promise.all([...first, ...later]);
    const own = seats[3].roomId;
    assert.deepEqual(
      seats.map((s) => s.roomId),
      ["open", "open", "open", own, own, own, own, seats[7].roomId, seats[7].roomId, seats[7].roomId, seats[7].roomId],
    );
    assert.notEqual(own, "open");
    assert.equal(batcher.counts.batches, 1, "the last room, whole, made without the turn");
    assert.equal(batcher.counts.wholeRooms, 2);
    assert.ok(broker.rooms.every((r) => r.clients === 4));
  });
});

describe("QuickPlayBatcher, a room slow to answer", () => {
  it("holds the turn for the hold time only; its late answer still seats its requests", async () => {
    const broker = new MemoryBroker(8);
    broker.rooms.push({ roomId: "slow", clients: 1, maxClients: 8, group: "ffa", gone: false, sessions: [] });
    const reserve = broker.reserve.bind(broker);
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    broker.reserve = async (room, requests) => {
      if (room.roomId === "slow") await released;
      return reserve(room, requests);
    };
    const batcher = new QuickPlayBatcher(broker, turns(), { ...WAIT, reserveHoldMs: 50 });
    const first = batcher.join("ffa", { name: "a" }, undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The turn went on: a second request is decided while the first waits for "slow".
    broker.rooms[0].clients = 8; // no longer listed as open: the second gets a new room
    const second = await batcher.join("ffa", { name: "b" }, undefined);
    assert.notEqual(second.roomId, "slow");
    broker.rooms[0].clients = 1;
    release();
    assert.equal((await first).roomId, "slow");
  });
});

describe("QuickPlayBatcher, what a request may cost", () => {
  it("a request waits its deadline at most: queued behind slow decisions it is refused as busy, and the others are still decided", async () => {
    const broker = new MemoryBroker(4);
    const reserve = broker.reserve.bind(broker);
    broker.reserve = async (room, requests) => {
      await new Promise((r) => setTimeout(r, 40));
      return reserve(room, requests);
    };
    const batcher = new QuickPlayBatcher(broker, turns(), { maxWaitMs: 200, maxBatch: 4, reserveHoldMs: 1000 });
    const started = performance.now();
    const outcomes = await Promise.allSettled(Array.from({ length: 60 }, (_, i) => batcher.join("ffa", { name: `p${i}` }, undefined)));
    const elapsed = performance.now() - started;
    const busy = outcomes.filter((o) => o.status === "rejected" && o.reason instanceof QuickPlayRefused && o.reason.reason === "busy").length;
    const seated = outcomes.filter((o) => o.status === "fulfilled").length;
    assert.equal(busy + seated, 60, "every request answered, with a seat or busy");
    assert.ok(seated >= 4 && busy >= 20, `seated ${seated}, busy ${busy}`);
    assert.equal(batcher.counts.expired, busy);
    assert.ok(elapsed < 1000, `all answered in ${elapsed.toFixed(0)} ms`);
    assert.equal(batcher.waiting, 0);
  });

  it("a decision that never ends holds nobody: its requests are answered busy after maxWaitMs, and the next are decided (the turn's and a whole room's)", async () => {
    const broker = new MemoryBroker(4);
    const create = broker.create;
    let hang = true;
    broker.create = (options) => (hang ? new Promise(() => {}) : create(options));
    const batcher = new QuickPlayBatcher(broker, turns(), { maxWaitMs: 150, maxBatch: 4 });
    const isBusy = (e: unknown) => e instanceof QuickPlayRefused && e.reason === "busy";
    // A rest (the turn's creation hangs) and a whole room (outside the turn, hangs too).
    const rest = batcher.join("ffa", { name: "r" }, undefined);
    const whole = Array.from({ length: 4 }, (_, i) => batcher.join("ffa", { name: `w${i}` }, undefined));
    await assert.rejects(rest, isBusy);
    for (const seat of whole) await assert.rejects(seat, isBusy);
    hang = false;
    // Neither the drain nor the whole rooms' slots (maxBatch 4: one room) are still held.
    const again = await Promise.all(Array.from({ length: 5 }, (_, i) => batcher.join("ffa", { name: `a${i}` }, undefined)));
    assert.equal(again.length, 5);
    assert.equal(batcher.waiting, 0);
  });

  it("the queue is bounded: past maxWaiting a request is refused at once", async () => {
    let release!: (end: () => void) => void;
    const turn = new Promise<() => void>((resolve) => {
      release = resolve;
    });
    // Rooms of 128: a hundred requests are a rest, which waits for the turn.
    const batcher = new QuickPlayBatcher(new MemoryBroker(128), () => turn, { maxWaitMs: 5000, maxWaiting: 100 });
    const held = Array.from({ length: 100 }, (_, i) => batcher.join("ffa", { name: `p${i}` }, undefined));
    await assert.rejects(batcher.join("ffa", { name: "one too many" }, undefined), (e: unknown) => e instanceof QuickPlayRefused && e.reason === "busy");
    assert.equal(batcher.waiting, 100);
    release(() => {});
    assert.equal((await Promise.all(held)).length, 100);
  });

  it("while the process cannot decide (draining), queued requests are refused with why, and no room is made", async () => {
    const broker = new MemoryBroker(8);
    let why: string | null = "server_draining";
    const batcher = new QuickPlayBatcher(broker, turns(), { maxWaitMs: 5000, unavailable: () => why });
    await assert.rejects(
      batcher.join("ffa", { name: "a" }, undefined),
      (e: unknown) => e instanceof QuickPlayRefused && e.reason === "unavailable" && e.code === "server_draining",
    );
    assert.equal(broker.calls.createRoom, 0);
    why = null;
    assert.ok(await batcher.join("ffa", { name: "b" }, undefined));
  });

  it("a room the matchmaker will not create answers its requests with the matchmaker's error, not retried", async () => {
    const broker = new MemoryBroker(8);
    const refusal = new Error("room 'arena' not created: shutting down");
    broker.create = async () => {
      throw refusal;
    };
    const batcher = new QuickPlayBatcher(broker, turns(), WAIT);
    await assert.rejects(batcher.join("ffa", { name: "a" }, undefined), (e: unknown) => e === refusal);
    assert.equal(batcher.counts.retried, 0);
    assert.equal(broker.calls.createRoom, 1);
    // The same for a room its requests fill, made outside the turn.
    const whole = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => batcher.join("ffa", { name: `w${i}` }, undefined)));
    assert.ok(whole.every((o) => o.status === "rejected" && o.reason === refusal));
    assert.equal(broker.calls.createFullRoom, 1);
    assert.equal(batcher.counts.retried, 0);
  });

  it("one mode's lookup failing sends only that mode's requests round again; the other mode is seated, and nobody answered with an error holds a seat", async () => {
    const broker = new MemoryBroker(4);
    const openRooms = broker.openRooms.bind(broker);
    let failures = 1;
    broker.openRooms = async (group) => {
      if (group === "ffa" && failures-- > 0) throw new Error("a Redis hiccup");
      return openRooms(group);
    };
    const batcher = new QuickPlayBatcher(broker, turns(), WAIT);
    const [duel, ffa] = await Promise.all([batcher.join("duel", { name: "d" }, undefined), batcher.join("ffa", { name: "f" }, undefined)]);
    assert.ok(duel.roomId && ffa.roomId);
    assert.equal(batcher.counts.retried, 1, "the ffa request went round again");
    assert.deepEqual(broker.rooms.flatMap((r) => r.sessions).sort(), [duel.sessionId, ffa.sessionId].sort());
  });
});

const MODES = ["ffa", "duel", "team"] as const;
type Mode = (typeof MODES)[number];
/** What a reservation meets: the room as listed, its free seats taken meanwhile (joins by id), or the room gone. */
const REFUSALS = ["none", "taken", "gone"] as const;

/** A world for quick play: capacities per mode, rooms already there, requests in bursts, and what the rooms do to reservations. */
const world = fc.record({
  capacity: fc.record({ ffa: fc.integer({ min: 1, max: 6 }), duel: fc.integer({ min: 1, max: 6 }), team: fc.integer({ min: 1, max: 6 }) }),
  /** Rooms there before: a mode and how full (0 to 1 of capacity; full ones included). */
  existing: fc.array(fc.record({ mode: fc.constantFrom(...MODES), fill: fc.double({ min: 0, max: 1, noNaN: true }) }), { maxLength: 6 }),
  /** Requests: a mode each; `pause` (one in five) lets the batcher run before the next ones come. */
  requests: fc.array(fc.record({ mode: fc.constantFrom(...MODES), pause: fc.nat({ max: 4 }).map((n) => n === 0) }), { maxLength: 40, size: "max" }),
  maxBatch: fc.integer({ min: 1, max: 16 }),
  listFull: fc.boolean(),
  /** One per reservation call, in order (then "none"): most worlds refuse nothing, so exact fill is checked often. */
  refusals: fc.oneof(fc.constant([]), fc.array(fc.constantFrom(...REFUSALS), { maxLength: 12 })),
});

describe("QuickPlayBatcher, over random worlds", () => {
  it("fills rooms exactly and never seats a player in a full room: modes, capacities, arrival orders, rooms already part full, refused reservations", async () => {
    await fc.assert(
      fc.asyncProperty(world, async ({ capacity, existing, requests, maxBatch, listFull, refusals }) => {
        const broker = new MemoryBroker((group) => capacity[group as Mode]);
        broker.listFull = listFull;
        existing.forEach(({ mode, fill }, i) => {
          const clients = Math.round(fill * capacity[mode]);
          broker.rooms.push({ roomId: `old${i}`, clients, maxClients: capacity[mode], group: mode, gone: false, sessions: [] });
        });
        const freeBefore = (mode: Mode) => broker.rooms.filter((r) => r.group === mode).reduce((free, r) => free + r.maxClients - r.clients, 0);
        const free = Object.fromEntries(MODES.map((m) => [m, freeBefore(m)])) as Record<Mode, number>;
        let reservation = 0;
        broker.beforeReserve = (room) => {
          const refusal = refusals[reservation++] ?? "none";
          if (refusal === "taken") room.clients = room.maxClients;
          if (refusal === "gone") room.gone = true;
        };
        const batcher = new QuickPlayBatcher(broker, turns(), { ...WAIT, maxBatch });
        const answers: Promise<PromiseSettledResult<{ roomId: string; sessionId: string }>>[] = [];
        for (const [i, { mode, pause }] of requests.entries()) {
          const seat = batcher.join(mode, { name: `p${i}`, mode }, undefined);
          answers.push(
            seat.then(
              (value) => ({ status: "fulfilled", value }),
              (reason: unknown) => ({ status: "rejected", reason }),
            ),
          );
          if (pause) await new Promise((resolve) => setImmediate(resolve));
        }
        const outcomes = await Promise.all(answers);

        // Never in a full room: a seat is one the room granted, in the request's mode, one per request; nobody refused holds one.
        assert.equal(broker.overAsked, 0, "asked a room for more seats than it had free");
        const holder = new Map<string, string>();
        for (const room of broker.rooms) {
          assert.ok(room.clients <= room.maxClients);
          for (const session of room.sessions) {
            assert.ok(!holder.has(session), `${session} holds two seats`);
            holder.set(session, room.roomId);
          }
        }
        outcomes.forEach((outcome, i) => {
          if (outcome.status === "rejected") {
            assert.ok(outcome.reason instanceof QuickPlayRefused && outcome.reason.reason === "failed", String(outcome.reason));
            return;
          }
          const { roomId, sessionId } = outcome.value;
          assert.equal(holder.get(sessionId), roomId, `request ${i}'s seat was not granted by ${roomId}`);
          assert.equal(broker.rooms.find((r) => r.roomId === roomId)!.group, requests[i].mode, "a room of another mode");
        });
        assert.equal(holder.size, outcomes.filter((o) => o.status === "fulfilled").length, "a seat nobody was given");
        assert.equal(batcher.waiting, 0);

        // Exactly filled when no room refused: every request seated, free seats used before a room is made, as few new rooms as can be.
        if (reservation === 0 || refusals.slice(0, reservation).every((r) => r === "none")) {
          assert.ok(
            outcomes.every((o) => o.status === "fulfilled"),
            "a request refused though no room refused it",
          );
          for (const mode of MODES) {
            const asked = requests.filter((r) => r.mode === mode).length;
            const made = broker.rooms.filter((r) => r.group === mode && !r.roomId.startsWith("old"));
            assert.equal(made.length, Math.ceil(Math.max(0, asked - free[mode]) / capacity[mode]), `${mode}: rooms made`);
            if (made.length > 0)
              assert.ok(
                broker.rooms.filter((r) => r.group === mode && r.roomId.startsWith("old")).every((r) => r.clients === r.maxClients),
                `${mode}: a room made while one had seats`,
              );
            assert.ok(made.filter((r) => r.clients < r.maxClients).length <= 1, `${mode}: more than one new room part full`);
          }
        }
      }),
    );
  });
});
