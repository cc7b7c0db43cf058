import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Room } from "@colyseus/sdk";
import { PROTOCOL_VERSION } from "@arena/shared";
import { TestClock } from "@arena/shared/TestClock";
import { ArenaConnection, WATCHDOG_MS, type MatchClient } from "../../src/net/ArenaConnection.ts";

const ENDPOINT = "http://arena.test";
/** A close code the client treats as a dropped connection (1006: the socket went without a close frame). */
const DROPPED = 1006;
/** Colyseus's "try again" close (a match handed over to another process). */
const MAY_TRY_RECONNECT = 4010;

/** Colyseus's answer to a join by id of a room it does not have (MatchMaker.ts; the gate sends 522 as 404). */
const notFound = (roomId: string) => Object.assign(new Error(`room "${roomId}" not found`), { code: 404 });

/** The parts of the SDK's Room that ArenaConnection uses, recording everything sent: a test drops it and plays the server. */
class SpectatedRoom {
  readonly sessionId: string;
  readonly reconnectionToken: string;
  readonly state = { shots: [], kills: [], pickupsTaken: [] };
  readonly reconnection = { enabled: true };
  readonly clock = { serverNow: () => 0, lastServerTime: () => 0, smoothedRtt: () => 0 };
  /** Messages (`room.send`), raw sends (input frames and groups go there), input handles made, leaves. */
  readonly sent: { type: string; payload: unknown }[] = [];
  readonly rawSends: unknown[] = [];
  inputHandles = 0;
  leaves = 0;
  readonly connection = { isOpen: true, send: (bytes: unknown) => void this.rawSends.push(bytes), close: () => {} };
  #onState: ((state: object) => void) | undefined;
  #onMessage: ((type: string, payload: unknown) => void) | undefined;
  #onLeave: ((code: number) => void) | undefined;

  constructor(
    readonly roomId: string,
    n: number,
  ) {
    this.sessionId = `s${n}`;
    this.reconnectionToken = `${roomId}:token${n}`;
  }

  input() {
    this.inputHandles++;
    return { data: {}, lastProcessed: 0, send: () => 0, bindRenderDelay: () => {} };
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
  send(type: string, payload: unknown) {
    this.sent.push({ type, payload });
  }
  sendBytes(type: unknown, bytes: unknown) {
    this.rawSends.push([type, bytes]);
  }
  ping() {}
  async leave() {
    this.leaves++;
  }

  /** The server's side of things. */
  patch() {
    this.#onState?.(this.state);
  }
  welcome(spectator: boolean) {
    this.#onMessage?.("welcome", { protocol: PROTOCOL_VERSION, reconnectGraceSeconds: 20, patchIntervalMs: 50, tickRate: 30, spectator });
  }
  drop(code = DROPPED) {
    this.#onLeave?.(code);
  }
  asRoom<State>(): Room<any, State> {
    return this as unknown as Room<any, State>;
  }
}

/** The server as a spectator's connection reaches it: joins by id answered by `answer` (a room, or a refusal); a reconnection is a failure of the test. */
class SpectatedServer implements MatchClient {
  readonly joins: { roomId: string; options: unknown; at: number }[] = [];
  readonly rooms: SpectatedRoom[] = [];
  reconnects = 0;
  answer: (roomId: string) => Promise<SpectatedRoom> = (roomId) => Promise.resolve(new SpectatedRoom(roomId, this.rooms.length + 1));

  constructor(private readonly clock: TestClock) {}

  async joinOrCreate<State>(): Promise<Room<any, State>> {
    throw new Error("a spectator never quick-plays");
  }
  async joinById<State>(roomId: string, options?: unknown): Promise<Room<any, State>> {
    this.joins.push({ roomId, options, at: this.clock.now() });
    const room = await this.answer(roomId);
    this.rooms.push(room);
    return room.asRoom<State>();
  }
  async consumeSeatReservation<State>(): Promise<Room<any, State>> {
    throw new Error("not in these tests (watching by code goes through the real server: client/test/spectator.test.ts)");
  }
  async reconnect<State>(): Promise<Room<any, State>> {
    this.reconnects++;
    throw new Error("a spectator has no seat to reconnect to");
  }
}

/** sessionStorage in memory: nothing of a spectator's may land there. */
function memoryStorage(): Storage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, value),
  };
}

/** A connection watching room "r1", on a clock the test steps, with its server in memory. */
async function watching() {
  const clock = new TestClock(1_000_000);
  const server = new SpectatedServer(clock);
  const storage = memoryStorage();
  const connection = new ArenaConnection(ENDPOINT, storage, { client: server, clock, random: () => 0.5 });
  const left: string[] = [];
  connection.on("left", (reason) => left.push(reason));
  await connection.watchRoom("r1", "Watcher");
  const room = server.rooms[0];
  room.welcome(true);
  room.patch();
  return { clock, server, storage, connection, left, room };
}

describe("ArenaConnection as a spectator, on a clock the test steps", () => {
  it("joins by id with spectate, makes no input handle, sends no input frame and no chat, saves no seat; telemetry still goes", async () => {
    const { server, storage, connection, room } = await watching();
    assert.deepEqual(server.joins[0].options, { name: "Watcher", protocol: PROTOCOL_VERSION, spectate: true });
    assert.equal(connection.spectating, true);
    assert.equal(connection.status, "playing");
    assert.equal(room.inputHandles, 0, "no input handle: nothing that could send a frame");
    assert.equal(connection.sendFrame({ moveX: 1, moveY: 0, aim: 0, fire: true }), 0);
    connection.sendChat("hello");
    assert.equal(room.rawSends.length, 0, "no input frame");
    assert.equal(room.sent.length, 0, "no chat");
    connection.sendTelemetry({
      intervalMs: 5000,
      frames: 300,
      remoteFrames: 300,
      frozenFrames: 0,
      corrections: 0,
      correctionP99Px: 0,
      pingMs: 10,
      delayMs: 90,
    });
    assert.deepEqual(
      room.sent.map((m) => m.type),
      ["telemetry"],
    );
    assert.equal(storage.items.size, 0, "no seat for a reload: a spectator's is not held");
    await connection.leave();
    assert.equal(connection.spectating, false);
    assert.equal(room.leaves, 1);
  });

  it("after a drop, joins by id again (never with a token) and watches on", async () => {
    const { clock, server, connection, room } = await watching();
    room.drop();
    assert.equal(connection.status, "reconnecting");
    await clock.advance(200);
    assert.equal(server.joins.length, 2, "joined again after the first wait (125 ms at jitter 0.5)");
    assert.equal(server.joins[1].roomId, "r1");
    assert.deepEqual(server.joins[1].options, { name: "Watcher", protocol: PROTOCOL_VERSION, spectate: true });
    assert.equal(server.reconnects, 0);
    assert.equal(connection.status, "playing");
    assert.equal(connection.spectating, true);
    assert.deepEqual(connection.stats, { drops: 1, rejoins: 1, watchdogTrips: 0 });
  });

  it("a match gone after a drop ends the watch with a sentence that says so, at the first answer", async () => {
    const { clock, server, connection, left, room } = await watching();
    server.answer = (roomId) => Promise.reject(notFound(roomId));
    room.drop();
    await clock.advance(30_000);
    assert.equal(server.joins.length, 2, "one try: the server said the room is gone");
    assert.deepEqual(left, ["The match you were watching has ended. Back to the menu."]);
    assert.equal(connection.status, "left");
    assert.equal(connection.spectating, false);
  });

  it("a match handed over to another process is missing for a moment: a spectator told to try again keeps trying", async () => {
    const { clock, server, connection, room } = await watching();
    let tries = 0;
    server.answer = (roomId) => (++tries < 3 ? Promise.reject(notFound(roomId)) : Promise.resolve(new SpectatedRoom(roomId, 9)));
    room.drop(MAY_TRY_RECONNECT);
    // Waits of 125, 250 and 500 ms (jitter 0.5), and less than the watchdog's 2.5 s after the third.
    await clock.advance(1_500);
    assert.equal(tries, 3);
    assert.equal(connection.status, "playing");
  });

  it("an unreachable server is retried until the schedule runs out, then the spectator is told", async () => {
    const { clock, server, left, room } = await watching();
    server.answer = () => Promise.reject(new TypeError("fetch failed"));
    room.drop();
    await clock.advance(60_000);
    assert.ok(server.joins.length > 5, `${server.joins.length} joins`);
    assert.ok(server.joins.at(-1)!.at - server.joins[0].at < 20_000, "within the spectator's 20 s");
    assert.match(left[0] ?? "", /could not be restored/);
  });

  it("a join again that answers after its 5 s deadline is left at once: no spectator seat stays open behind the one in use", async () => {
    const { clock, server, connection, room } = await watching();
    const late = new SpectatedRoom("r1", 7);
    let asked = 0;
    server.answer = () => (++asked === 1 ? new Promise((resolve) => clock.setTimeout(() => resolve(late), 6000)) : Promise.resolve(new SpectatedRoom("r1", 8)));
    room.drop();
    await clock.advance(125 + 5000 + 300);
    assert.equal(connection.status, "playing", "the second try got in");
    assert.equal(late.leaves, 0, "the first has not answered yet");
    await clock.advance(1000);
    assert.equal(late.leaves, 1, "the late answer was left");
    assert.equal(connection.room?.sessionId, "s8");
  });

  it("a socket that stops delivering patches is dropped by the watchdog and joined again", async () => {
    const { clock, server, connection } = await watching();
    await clock.advance(WATCHDOG_MS + 300);
    assert.equal(connection.stats.watchdogTrips, 1);
    await clock.advance(500);
    assert.equal(server.joins.length, 2);
    assert.equal(server.reconnects, 0);
  });

  it("a room that lets its clients go (Colyseus's 4000) ends the watch: the match is over", async () => {
    const { server, connection, left, room } = await watching();
    room.drop(4000);
    assert.deepEqual(left, ["The match you were watching has ended. Back to the menu."]);
    assert.equal(server.joins.length, 1, "no join again");
    assert.equal(connection.spectating, false);
  });

  it("a server that seats a spectator as a player (it does not know spectators) is left at once, with a sentence", async () => {
    const clock = new TestClock(1_000_000);
    const server = new SpectatedServer(clock);
    const connection = new ArenaConnection(ENDPOINT, memoryStorage(), { client: server, clock });
    const left: string[] = [];
    connection.on("left", (reason) => left.push(reason));
    await connection.watchRoom("r1", "Watcher");
    server.rooms[0].welcome(false);
    assert.equal(server.rooms[0].leaves, 1);
    assert.equal(connection.status, "left");
    assert.match(left[0] ?? "", /cannot be watched/);
  });

  it("a room that is not there is told as such when asked to watch it", async () => {
    const clock = new TestClock(1_000_000);
    const server = new SpectatedServer(clock);
    server.answer = (roomId) => Promise.reject(notFound(roomId));
    const connection = new ArenaConnection(ENDPOINT, memoryStorage(), { client: server, clock });
    await assert.rejects(connection.watchRoom("nosuchroom", "Watcher"), /That match has ended/);
    assert.equal(connection.status, "idle");
    assert.equal(connection.spectating, false);
  });
});
