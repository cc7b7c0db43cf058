import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Client } from "@colyseus/sdk";
import { matchMaker } from "@colyseus/core";
import { ArenaState, CloseCode, PROTOCOL_VERSION, type ArenaRoomType, type RoomListing } from "@arena/shared";
import { type ArenaRoomClient, request, type RunningServer, TestPlayer, waitFor } from "@arena/testkit";
import { startServer } from "./helpers/servers.ts";
import { errorCodeOf, listedRoom, roomCountOf, watchRoom } from "./helpers/spectators.ts";

/**
 * Attacks on spectators (issue 14): what a careless SDK user or an attacker
 * can do with `spectate`, over real sockets and the real SDK.
 */

let server: RunningServer;
let clients: TestPlayer[] = [];
const MAX_SPECTATORS = 4;

async function quickPlay(name: string, mode = "duel"): Promise<TestPlayer> {
  const player = await TestPlayer.join(server.endpoint, name, { mode });
  clients.push(player);
  return player;
}

async function watch(roomId: string, name = "Sam"): Promise<TestPlayer> {
  const spectator = await watchRoom(server.endpoint, roomId, name);
  clients.push(spectator);
  return spectator;
}

/** A seat by id through the HTTP route, never consumed (a client that asks and never connects). */
const codeOf = errorCodeOf;

async function reserveById(roomId: string, options: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown>; code?: string }> {
  const answer = await request(server.endpoint, "POST", `/matchmake/joinById/${roomId}`, { name: "Eve", protocol: PROTOCOL_VERSION, ...options });
  return { status: answer.status, body: answer.body as Record<string, unknown>, code: codeOf(answer.body) };
}

const listing = (roomId: string): Promise<RoomListing | undefined> => listedRoom(server.endpoint, roomId);

/** The room in this process (startServer runs the server here), for its seat reservation time. */
function localRoom(roomId: string): { seatReservationTimeout: number; state: ArenaState; clients: { length: number }; _reservedSeats: object } {
  return matchMaker.getLocalRoomById(roomId) as never;
}

const roomCount = () => roomCountOf(server.endpoint);

before(async () => {
  server = await startServer({
    MAX_SPECTATORS: String(MAX_SPECTATORS),
    ENABLE_TEST_HOOKS: "1",
    RATE_JOINS_PER_MINUTE: "1000",
    RATE_CONNECTIONS_PER_MINUTE: "1000",
    RATE_CREATES_PER_MINUTE: "1000",
    RATE_CODE_LOOKUPS_PER_MINUTE: "1000",
    RATE_FAILED_JOINS_PER_HOUR: "100000",
  });
});
afterEach(async () => {
  await Promise.all(clients.map((c) => c.leave()));
  clients = [];
  await waitFor("rooms to close", async () => (await roomCount()) === 0, 10_000);
});
after(() => server.stop());

describe("spectators under attack", () => {
  it("unclaimed spectator seats that expire do not let a full duel take a third player", async () => {
    const ann = await quickPlay("Ann");
    const roomId = ann.room.roomId;
    await quickPlay("Bob");
    await waitFor("the duel is full", async () => (await listing(roomId))?.players === 2);
    // Core's seat reservation time, lowered for the test (15 s by default: the same happens, later).
    const room = localRoom(roomId);
    room.seatReservationTimeout = 1;
    // Spectator seats asked for and never taken (anyone can: one HTTP request each).
    for (let i = 0; i < MAX_SPECTATORS; i++) assert.equal((await reserveById(roomId, { spectate: true })).status, 200);
    await waitFor("core lets the unclaimed seats go", () => Object.keys(room._reservedSeats).length === 0, 5000);
    // Quick play, in the second after: the duel must not take a third player.
    const carl = await quickPlay("Carl");
    await sleep(300);
    assert.equal(room.state.players.size, 2, "a duel of 2 seats holds more than 2 players");
    assert.notEqual(carl.room.roomId, roomId, "quick play put a third player in a full duel");
  });

  it("a spectator alone in a match whose players never came is closed, not kept forever", async () => {
    const ann = await quickPlay("Ann");
    const roomId = ann.room.roomId;
    const room = localRoom(roomId);
    room.seatReservationTimeout = 1;
    // A second player's seat, asked for and never taken.
    assert.equal((await reserveById(roomId, {})).status, 200);
    await ann.leave();
    clients = [];
    // The room lives on for the unclaimed seat; a spectator comes in meanwhile.
    const sue = await watch(roomId, "Sue");
    const closed = new Promise<number>((resolve) => sue.room.onLeave((code) => resolve(code)));
    await waitFor("the unclaimed seat expires", () => Object.keys(room._reservedSeats).length === 0, 5000);
    // Nobody plays in this match any more, and nobody can come back to it.
    const code = await Promise.race([closed, sleep(5000).then(() => "still open")]);
    assert.equal(code, CloseCode.MATCH_OVER, "a spectator keeps a match without players alive");
  });

  it("Colyseus's join (not quick play) finds the duel with a free seat when another duel is full of players", async () => {
    const ann = await quickPlay("Ann");
    const full = ann.room.roomId;
    await quickPlay("Bob");
    await waitFor("the first duel is full", async () => (await listing(full))?.players === 2);
    // A second duel with one player (quick play opens one: the first is full).
    const carl = await TestPlayer.join(server.endpoint, "Carl", { mode: "duel" });
    clients.push(carl);
    const open = carl.room.roomId;
    assert.notEqual(open, full);
    // The SDK's join: Colyseus's own matchmaking, which sees the full duel unlocked (its maxClients counts spectator seats).
    const dan = await new Client(server.endpoint)
      .join<ArenaRoomType>("arena", { name: "Dan", protocol: PROTOCOL_VERSION, mode: "duel" }, ArenaState)
      .then((room) => {
        clients.push(new TestPlayer(room as ArenaRoomClient));
        return room.roomId;
      })
      .catch((error: unknown) => `refused: ${String(error)}`);
    assert.equal(dan, open, "join refused a player although a duel had a free seat");
  });

  it("the listing's counts come back to the truth after every way a spectator can go (holds)", async () => {
    const ann = await quickPlay("Ann");
    const roomId = ann.room.roomId;
    const room = localRoom(roomId);
    room.seatReservationTimeout = 1;
    // Seats asked for and never taken.
    for (let i = 0; i < 2; i++) assert.equal((await reserveById(roomId, { spectate: true })).status, 200);
    // A spectator whose connection drops, one refused by the frame guard, one that leaves, one that stays.
    const dropper = await watch(roomId, "Drop");
    dropper.room.connection.close();
    const cheater = await watch(roomId, "Cheat");
    const cut = new Promise<number>((resolve) => cheater.room.onLeave((code) => resolve(code)));
    cheater.controls.fire = true;
    cheater.sendFrame();
    assert.equal(await cut, CloseCode.PROTOCOL_VIOLATION);
    const leaver = await watch(roomId, "Leave");
    await leaver.leave();
    const stayer = await watch(roomId, "Stay");
    await waitFor(
      "the listing: 1 player, 1 spectator, and the room's clients as many",
      async () => {
        const row = await listing(roomId);
        return row?.players === 1 && row.spectators === 1 && room.clients.length === 2 && Object.keys(room._reservedSeats).length === 0;
      },
      5000,
    );
    // Still true a little later (no late timer undoes it).
    await sleep(1500);
    const row = await listing(roomId);
    assert.deepEqual({ players: row?.players, spectators: row?.spectators }, { players: 1, spectators: 1 });
    await stayer.leave();
    await waitFor("no spectator", async () => (await listing(roomId))?.spectators === 0);
    assert.equal((await listing(roomId))?.players, 1);
  });

  it("a private room's code seats players up to the capacity and spectators beside them (holds)", async () => {
    const created = await request(server.endpoint, "POST", "/api/private-rooms", { name: "Ann", protocol: PROTOCOL_VERSION, mode: "duel" });
    assert.equal(created.status, 201);
    const code = created.body.code as string;
    const seatBy = (name: string, extra: Record<string, unknown> = {}) =>
      request(server.endpoint, "POST", `/api/private-rooms/${code}/seats`, { name, protocol: PROTOCOL_VERSION, ...extra });
    const consume = async (seat: unknown) => {
      const room = await new Client(server.endpoint).consumeSeatReservation(seat as never, ArenaState);
      const player = new TestPlayer(room as ArenaRoomClient);
      clients.push(player);
      return player;
    };
    const ann = await consume(created.body.seat);
    // The seats left unclaimed below go in a second, not 15.
    localRoom(ann.room.roomId).seatReservationTimeout = 1;
    const bob = await seatBy("Bob");
    assert.equal(bob.status, 200);
    await consume(bob.body.seat);
    const carl = await seatBy("Carl");
    assert.deepEqual({ status: carl.status, code: carl.body.errorCode }, { status: 409, code: "room_full" });
    const seats = [];
    for (let i = 0; i < MAX_SPECTATORS; i++) seats.push(await seatBy(`S${i}`, { spectate: true }));
    assert.deepEqual(
      seats.map((s) => s.status),
      Array(MAX_SPECTATORS).fill(200),
    );
    const extra = await seatBy("Late", { spectate: true });
    assert.deepEqual({ status: extra.status, code: extra.body.errorCode }, { status: 409, code: "spectators_full" });
    // Full of both, a player's seat is still refused with room_full, not taken from a spectator's.
    const dan = await seatBy("Dan");
    assert.equal(dan.status, 409);
    const sam = await consume(seats[0].body.seat);
    await waitFor("the spectator sees the duel", () => sam.state.players.size === 2);
    assert.equal(localRoom(ann.room.roomId).state.players.size, 2, "the duel holds its two players, no more");
  });

  it("odd spectate values and spectate where it does not belong get 400 bad_options, and cost no seat (holds)", async () => {
    const ann = await quickPlay("Ann");
    const roomId = ann.room.roomId;
    for (const spectate of ["true", 1, 0, null, {}, [], [true], "", Number.NaN]) {
      const answer = await reserveById(roomId, { spectate });
      assert.deepEqual([answer.status, answer.code], [400, "bad_options"], JSON.stringify(spectate));
    }
    const reconnect = await request(server.endpoint, "POST", `/matchmake/reconnect/${roomId}`, {
      reconnectionToken: ann.room.reconnectionToken,
      spectate: true,
    });
    assert.deepEqual([reconnect.status, codeOf(reconnect.body)], [400, "bad_options"]);
    const created = await request(server.endpoint, "POST", "/api/private-rooms", { name: "Bo", protocol: PROTOCOL_VERSION });
    const byCode = await request(server.endpoint, "POST", `/api/private-rooms/${created.body.code}/seats`, {
      name: "Cy",
      protocol: PROTOCOL_VERSION,
      spectate: "yes",
    });
    assert.deepEqual([byCode.status, codeOf(byCode.body)], [400, "bad_options"]);
    const creator = await new Client(server.endpoint).consumeSeatReservation(created.body.seat, ArenaState);
    clients.push(new TestPlayer(creator as ArenaRoomClient));
    // A spectator's reconnection token after it left opens nothing.
    const sam = await watch(roomId);
    const token = sam.room.reconnectionToken;
    sam.room.connection.close();
    await waitFor("the spectator is gone", async () => (await listing(roomId))?.spectators === 0);
    await assert.rejects(new Client(server.endpoint).reconnect(token, ArenaState));
    assert.equal(ann.state.players.size, 1);
    const row = await listing(roomId);
    assert.deepEqual({ players: row?.players, spectators: row?.spectators }, { players: 1, spectators: 0 });
  });
});
