import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Room } from "@colyseus/sdk";
import fc from "fast-check";
import { ErrorCode, nextRandom } from "@arena/shared";
import { TestClock } from "@arena/shared/TestClock";
import { ArenaConnection, WATCHDOG_MS, type MatchClient } from "../../src/net/ArenaConnection.ts";
import { SeatStore } from "../../src/net/SeatStore.ts";

const ENDPOINT = "http://arena.test";
/** A close code the client treats as a dropped connection (1006: the socket went without a close frame). */
const DROPPED = 1006;
/** The reconnection schedule's defaults (reconnectSchedule.ts): first wait up to 250 ms, waits up to 4 s, the last try 500 ms before the seat goes. */
const BASE_MS = 250;
const CAP_MS = 4000;
const MARGIN_MS = 500;

/** The parts of the SDK's Room that ArenaConnection uses, in memory: a test drops it, sends patches and messages. */
class FakeRoom {
  readonly roomId = "room1";
  readonly sessionId = "s1";
  /** A state with no events in it (what the connection reads of a patch). */
  readonly state = { shots: [], kills: [], pickupsTaken: [] };
  readonly reconnection = { enabled: true };
  readonly clock = { serverNow: () => 0, lastServerTime: () => 0, smoothedRtt: () => 0 };
  readonly connection = {
    isOpen: true,
    closed: 0,
    send: () => {},
    close: () => {
      this.connection.closed++;
    },
  };
  #onState: ((state: object) => void) | undefined;
  #onMessage: ((type: string, payload: unknown) => void) | undefined;
  #onLeave: ((code: number) => void) | undefined;

  constructor(readonly reconnectionToken: string) {}

  /** What the connection bound as the stamps' render delay (the SDK handle's internal `bindRenderDelay`, which attach requires). */
  renderDelay: (() => number) | undefined;
  input() {
    return {
      data: {},
      lastProcessed: 0,
      send: () => 0,
      bindRenderDelay: (provider: () => number) => {
        this.renderDelay = provider;
      },
    };
  }
  onStateChange(listener: (state: object) => void) {
    this.#onState = listener;
  }
  onMessage(_type: "*", listener: (type: string, payload: unknown) => void) {
    this.#onMessage = listener;
  }
  onLeave(listener: (code: number) => void) {
    this.#onLeave = listener;
  }
  removeAllListeners() {
    this.#onState = this.#onMessage = this.#onLeave = undefined;
  }
  send() {}
  async leave() {}
  /** Ping frames sent, each waiting for the server's answer (`pong`). */
  readonly pings: ((ms: number) => void)[] = [];
  ping(answer: (ms: number) => void) {
    this.pings.push(answer);
  }

  /** The server's side of things. */
  patch() {
    this.#onState?.(this.state);
  }
  welcome(reconnectGraceSeconds: number) {
    this.#onMessage?.("welcome", { reconnectGraceSeconds });
  }
  drop(code = DROPPED) {
    this.#onLeave?.(code);
  }

  asRoom<State>(): Room<any, State> {
    return this as unknown as Room<any, State>;
  }
}

/**
 * The server as ArenaConnection reaches it, in memory: quick play opens a
 * FakeRoom; each reconnection attempt is recorded (the clock's time) and
 * answered by `answer`, unreachable by default.
 */
class FakeServer implements MatchClient {
  readonly attempts: number[] = [];
  readonly rooms: FakeRoom[] = [];
  answer: (attempt: number) => Promise<FakeRoom> = () => Promise.reject(new TypeError("fetch failed"));

  constructor(private readonly clock: TestClock) {}

  async joinOrCreate<State>(): Promise<Room<any, State>> {
    return this.#open().asRoom<State>();
  }
  async joinById<State>(): Promise<Room<any, State>> {
    throw new Error("not in these tests");
  }
  async consumeSeatReservation<State>(): Promise<Room<any, State>> {
    throw new Error("not in these tests");
  }
  async reconnect<State>(token: string): Promise<Room<any, State>> {
    assert.equal(token, this.rooms.at(-1)?.reconnectionToken, "rejoins with the latest room's token");
    this.attempts.push(this.clock.now());
    const room = await this.answer(this.attempts.length);
    this.rooms.push(room);
    return room.asRoom<State>();
  }
  /** A room this server would hand out next. */
  room(): FakeRoom {
    return new FakeRoom(`token${this.rooms.length + 1}`);
  }
  #open(): FakeRoom {
    const room = this.room();
    this.rooms.push(room);
    return room;
  }
}

/** A seeded random in [0, 1) (the shared simulation's generator), for the schedule's jitter. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    const [next, value] = nextRandom(state);
    state = next;
    return value;
  };
}

/** sessionStorage in memory. */
class MemoryStorage implements Storage {
  readonly #items = new Map<string, string>();
  get length() {
    return this.#items.size;
  }
  clear() {
    this.#items.clear();
  }
  getItem(key: string) {
    return this.#items.get(key) ?? null;
  }
  key(index: number) {
    return [...this.#items.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.#items.delete(key);
  }
  setItem(key: string, value: string) {
    this.#items.set(key, value);
  }
}

/** A connection in a match, on a clock the test steps, with its server in memory. */
async function playing(options: { random?: () => number; graceSeconds?: number } = {}) {
  const clock = new TestClock(1_000_000);
  const server = new FakeServer(clock);
  const storage = new MemoryStorage();
  const connection = new ArenaConnection(ENDPOINT, storage, { client: server, clock, random: options.random ?? (() => 0.5) });
  const left: { at: number; reason: string }[] = [];
  connection.on("left", (reason) => left.push({ at: clock.now(), reason }));
  await connection.quickPlay("Ann");
  if (options.graceSeconds !== undefined) server.rooms[0].welcome(options.graceSeconds);
  return { clock, server, storage, connection, left, room: server.rooms[0] };
}

describe("ArenaConnection's reconnection, on a clock the test steps", () => {
  it("measures the network round trip with a ping every 2 s, apart from the input round trip, and forgets it with the room", async () => {
    const { clock, connection, room } = await playing();
    assert.equal(connection.pingMs(), undefined, "nothing measured yet");
    await clock.advance(300);
    assert.equal(room.pings.length, 1, "the first ping goes out at once");
    room.pings[0](12);
    assert.equal(connection.pingMs(), 12);
    await clock.advance(1000);
    assert.equal(room.pings.length, 1, "no second ping within 2 s");
    await clock.advance(1000);
    assert.equal(room.pings.length, 2);
    room.pings[1](15);
    assert.equal(connection.pingMs(), 15);
    room.drop();
    room.pings[1](99); // a late answer from the dropped room
    assert.notEqual(connection.pingMs(), 99);
  });

  it("retries an unreachable server on the jittered backoff, and gives up just before the seat is released", async () => {
    const { clock, server, connection, left, room } = await playing();
    const droppedAt = clock.now();
    room.drop();
    assert.equal(connection.status, "reconnecting");
    await clock.advance(60_000);
    // Jitter 0.5: waits of 125, 250, 500, 1000 and 2000 ms, then 2000 (the cap's half) until the last, 500 ms before the 20 s grace ends.
    const waits = [125, 250, 500, 1000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 1625];
    assert.deepEqual(
      server.attempts.map((at) => at - droppedAt),
      waits.map((_, i) => waits.slice(0, i + 1).reduce((a, b) => a + b)),
    );
    assert.equal(connection.status, "left");
    assert.deepEqual(left, [{ at: droppedAt + 19_500, reason: "The connection could not be restored before your seat was released. Back to the menu." }]);
  });

  it("whatever the jitter and the grace, every attempt comes within the backoff's bounds and before the seat goes, the last one just before", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.integer({ min: 0, max: 60 }), async (seed, graceSeconds) => {
        const { clock, server, connection, left, room, storage } = await playing({ random: seeded(seed), graceSeconds });
        const droppedAt = clock.now();
        const deadline = droppedAt + graceSeconds * 1000;
        room.drop();
        await clock.advance(graceSeconds * 1000 + 10_000);
        let previous = droppedAt;
        server.attempts.forEach((at, k) => {
          assert.ok(at - previous <= Math.min(CAP_MS, BASE_MS * 2 ** k), `wait ${k} of ${at - previous} ms`);
          assert.ok(at >= previous && at < deadline);
          previous = at;
        });
        if (deadline - MARGIN_MS > droppedAt) assert.equal(server.attempts.at(-1), deadline - MARGIN_MS, "the last try comes just before the seat goes");
        else assert.equal(server.attempts.length, 0, "no time for a try");
        assert.equal(connection.status, "left");
        assert.deepEqual(
          left.map((l) => l.at),
          [Math.max(droppedAt, deadline - MARGIN_MS)],
        );
        assert.equal(storage.length, 0, "the saved seat is forgotten");
      }),
    );
  });

  it("a refused token, or an error retrying cannot mend, ends it at once: no more attempts", async () => {
    const answers: [Error, string][] = [
      [Object.assign(new Error("reconnection token invalid or expired"), { code: 524 }), "Your seat in the match was released. Back to the menu."],
      [new Error("client_outdated: too old"), ErrorCode.client_outdated.message],
      [new Error("bad_options: what"), ErrorCode.bad_options.message],
    ];
    for (const [error, sentence] of answers) {
      const { clock, server, connection, left, room } = await playing();
      server.answer = (attempt) => Promise.reject(attempt < 3 ? new TypeError("fetch failed") : error);
      room.drop();
      await clock.advance(60_000);
      assert.equal(server.attempts.length, 3, error.message);
      assert.equal(connection.status, "left");
      assert.deepEqual(left, [{ at: server.attempts[2], reason: sentence }]);
    }
  });

  it("an attempt the server never answers is given up after 5 s, and the schedule goes on", async () => {
    const { clock, server, connection, room } = await playing();
    server.answer = (attempt) => (attempt === 1 ? new Promise<FakeRoom>(() => {}) : Promise.resolve(server.room()));
    const droppedAt = clock.now();
    room.drop();
    await clock.advance(6000);
    // Jitter 0.5: the first try at 125 ms hangs until 5125 ms; the second comes 250 ms later.
    assert.deepEqual(
      server.attempts.map((at) => at - droppedAt),
      [125, 5375],
    );
    assert.equal(connection.status, "playing");
  });

  it("a rejoin that works attaches the new room, and a drop after it rejoins again", async () => {
    const { clock, server, connection, room } = await playing();
    server.answer = (attempt) => (attempt < 2 ? Promise.reject(new TypeError("fetch failed")) : Promise.resolve(server.room()));
    room.drop();
    await clock.advance(1000);
    assert.deepEqual([connection.status, connection.stats.rejoins, connection.attachCount, connection.reconnectionToken], ["playing", 1, 2, "token2"]);
    // The new room's stamps read the connection's render delay too (the default until a session sets one).
    connection.setRenderDelay(() => 72);
    assert.equal(server.rooms[1].renderDelay?.(), 72);
    server.answer = () => Promise.resolve(server.room());
    server.rooms[1].drop(4010);
    await clock.advance(1000);
    assert.deepEqual([connection.status, connection.stats.drops, connection.reconnectionToken], ["playing", 2, "token3"]);
  });

  it("while the match moves to another process, tries come every 200 to 400 ms instead of backing off", async () => {
    const { clock, server, connection, room } = await playing({ random: seeded(7) });
    const migrating = new Error("match_migrating: moving");
    server.answer = (attempt) => (attempt < 8 ? Promise.reject(migrating) : Promise.resolve(server.room()));
    room.drop();
    await clock.advance(3000);
    assert.equal(connection.status, "playing");
    const gaps = server.attempts.slice(1).map((at, i) => at - server.attempts[i]);
    assert.equal(gaps.length, 7);
    for (const gap of gaps) assert.ok(gap >= 200 && gap <= 400, `${gap} ms between tries`);
  });

  it(`the watchdog drops a socket that has delivered no patch for ${WATCHDOG_MS} ms, and only then`, async () => {
    const { clock, server, connection, room, storage } = await playing();
    server.answer = () => Promise.resolve(server.room());
    for (let t = 0; t < 10_000; t += 100) {
      room.patch();
      await clock.advance(100);
    }
    assert.deepEqual([connection.status, connection.stats.watchdogTrips], ["playing", 0], "patches keep it alive");
    assert.equal(new SeatStore(storage).load(ENDPOINT)?.savedAt, clock.now(), "and the saved seat's time fresh (the grace runs from the drop)");
    const lastPatchAt = clock.now();
    room.patch();
    await clock.advance(WATCHDOG_MS - 1);
    assert.equal(connection.stats.watchdogTrips, 0);
    await clock.advance(1);
    assert.deepEqual([connection.stats.watchdogTrips, room.connection.closed, clock.now() - lastPatchAt], [1, 1, WATCHDOG_MS]);
    await clock.advance(1000);
    assert.deepEqual([connection.status, connection.stats.rejoins], ["playing", 1]);
  });

  it("after a reload, the saved seat is rejoined while its grace lasts, and forgotten after", async () => {
    const savedAt = 1_000_000;
    for (const [reloadAfterMs, rejoins] of [
      [20_000, true],
      [30_000, false],
    ] as const) {
      const clock = new TestClock(savedAt + reloadAfterMs);
      const storage = new MemoryStorage();
      new SeatStore(storage).save({ token: "token1", endpoint: ENDPOINT, graceMs: 30_000, savedAt });
      const server = new FakeServer(clock);
      server.rooms.push(new FakeRoom("token1"));
      server.answer = () => Promise.resolve(server.room());
      const connection = new ArenaConnection(ENDPOINT, storage, { client: server, clock, random: () => 0.5 });
      const resumed = connection.resume();
      await clock.advance(1000);
      assert.deepEqual(
        [await resumed, server.attempts.length, connection.status],
        rejoins ? [true, 1, "playing"] : [false, 0, "idle"],
        `reloaded after ${reloadAfterMs} ms`,
      );
      assert.equal(new SeatStore(storage).load(ENDPOINT)?.token, rejoins ? "token2" : undefined);
    }
  });
});
