import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { Client } from "@colyseus/sdk";
import { ArenaState, CloseCode, PROTOCOL_VERSION, readListing, type RoomListing } from "@arena/shared";
import { type ArenaRoomClient, request, type RunningServer, TestPlayer, waitFor } from "@arena/testkit";
import { startServer } from "./helpers/servers.ts";
import { errorCodeOf, listedRoom, roomCountOf, watchRoom } from "./helpers/spectators.ts";

let server: RunningServer;
let clients: TestPlayer[] = [];
const MAX_SPECTATORS = 2;

async function quickPlay(name: string, mode = "duel"): Promise<TestPlayer> {
  const player = await TestPlayer.join(server.endpoint, name, { mode });
  clients.push(player);
  return player;
}

/** A spectator of `roomId`, on the real SDK. */
async function watch(roomId: string, name = "Sam"): Promise<TestPlayer> {
  const spectator = await watchRoom(server.endpoint, roomId, name);
  clients.push(spectator);
  return spectator;
}

/** Joining by id through the HTTP route, as the SDK does: the answer's status and error code. */
async function joinByIdStatus(roomId: string, options: Record<string, unknown>): Promise<{ status: number; code?: string }> {
  const answer = await request(server.endpoint, "POST", `/matchmake/joinById/${roomId}`, { name: "Eve", protocol: PROTOCOL_VERSION, ...options });
  return { status: answer.status, code: errorCodeOf(answer.body) };
}

const listing = (roomId: string): Promise<RoomListing | undefined> => listedRoom(server.endpoint, roomId);

const roomCount = () => roomCountOf(server.endpoint);

before(async () => {
  server = await startServer({
    MAX_SPECTATORS: String(MAX_SPECTATORS),
    ENABLE_TEST_HOOKS: "1",
    RATE_JOINS_PER_MINUTE: "1000",
    RATE_CONNECTIONS_PER_MINUTE: "1000",
    RATE_CREATES_PER_MINUTE: "1000",
    RATE_CODE_LOOKUPS_PER_MINUTE: "1000",
  });
});
afterEach(async () => {
  await Promise.all(clients.map((c) => c.leave()));
  clients = [];
  await waitFor("rooms to close", async () => (await roomCount()) === 0);
});
after(() => server.stop());

describe("spectators", () => {
  it("see the match without a player in it, and are counted apart in listings and the lobby", async () => {
    const ann = await quickPlay("Ann");
    const roomId = ann.room.roomId;
    const sam = await watch(roomId);
    await waitFor("the spectator's welcome", () => sam.received("welcome").length === 1);
    assert.equal(sam.received("welcome")[0].spectator, true);
    assert.equal(ann.received("welcome")[0].spectator, false);
    await waitFor("the spectator sees Ann", () => sam.state.players.get(ann.id) !== undefined);
    // Ann moves; the spectator sees her move, and is in nobody's `players`.
    const startX = sam.state.players.get(ann.id)!.x;
    ann.controls.moveX = 1;
    ann.play();
    await waitFor("the spectator sees Ann move", () => sam.state.players.get(ann.id)!.x !== startX);
    assert.equal(sam.state.players.has(sam.id), false);
    assert.equal(ann.state.players.has(sam.id), false);
    assert.equal(ann.state.players.size, 1);
    const state = await request(server.endpoint, "GET", `/api/__test/state/${roomId}`);
    assert.equal(state.status, 200);
    assert.equal(JSON.stringify(state.body).includes(sam.id), false, "the server's world has no entry for the spectator");

    await waitFor("the listing counts one player and one spectator", async () => {
      const row = await listing(roomId);
      return row?.players === 1 && row.spectators === 1 && row.capacity === 2 && !row.locked;
    });

    // The lobby (Colyseus's LobbyRoom, as the browser follows it) reads the same counts.
    const lobby = await new Client(server.endpoint).joinOrCreate("lobby");
    const rows = await new Promise<unknown[]>((resolve) => lobby.onMessage("rooms", resolve));
    const row = rows.map((r) => readListing(r as Parameters<typeof readListing>[0], "ffa")).find((r) => r.roomId === roomId);
    await lobby.leave();
    assert.deepEqual({ players: row?.players, capacity: row?.capacity, spectators: row?.spectators }, { players: 1, capacity: 2, spectators: 1 });
  });

  it("take no player seat: quick play fills a watched room's free seat, and a full duel can still be watched", async () => {
    const ann = await quickPlay("Ann");
    const roomId = ann.room.roomId;
    await watch(roomId, "Sam");
    await watch(roomId, "Sue");
    const bob = await quickPlay("Bob");
    assert.equal(bob.room.roomId, roomId, "the second player goes to the room two spectators watch, not to a new one");
    await waitFor("the listing: 2 of 2 players, 2 spectators, locked for players", async () => {
      const row = await listing(roomId);
      return row?.players === 2 && row.spectators === 2 && row.locked;
    });
    const carl = await quickPlay("Carl");
    assert.notEqual(carl.room.roomId, roomId, "a full duel takes no third player");
    // Full of players, the room still takes spectators, up to MAX_SPECTATORS.
    assert.deepEqual(await joinByIdStatus(roomId, {}), { status: 409, code: "room_full" });
    assert.deepEqual(await joinByIdStatus(roomId, { spectate: true }), { status: 409, code: "spectators_full" });
    const sam = clients.find((c) => c.room.roomId === roomId && c.received("welcome")[0]?.spectator)!;
    await sam.leave();
    clients = clients.filter((c) => c !== sam);
    await waitFor("a spectator seat is free again", async () => (await listing(roomId))?.spectators === 1);
    const sid = await watch(roomId, "Sid");
    await waitFor("Sid sees the duel", () => sid.state.players.size === 2);
  });

  it("cannot send input frames (closed with 4103) or chat (spectator_chat), and change nothing", async () => {
    const ann = await quickPlay("Ann");
    const roomId = ann.room.roomId;
    const sam = await watch(roomId);
    await waitFor("the spectator sees Ann", () => sam.state.players.has(ann.id));
    sam.room.send("chat", { text: "hello from the stands" });
    await waitFor("the chat refusal", () => sam.received("error").length === 1);
    assert.equal(sam.received("error")[0].code, "spectator_chat");
    ann.room.send("chat", { text: "ping" });
    await waitFor("Ann's own chat arrives", () => ann.received("chat").length === 1);
    assert.equal(ann.received("chat")[0].text, "ping", "the spectator's chat reached nobody");

    const closed = new Promise<number>((resolve) => sam.room.onLeave((code) => resolve(code)));
    sam.controls.moveX = 1;
    sam.controls.fire = true;
    sam.sendFrame();
    assert.equal(await closed, CloseCode.PROTOCOL_VIOLATION);
    const state = await request(server.endpoint, "GET", `/api/__test/state/${roomId}`);
    assert.equal(JSON.stringify(state.body).includes(sam.id), false);
    await waitFor("the listing forgets the spectator", async () => (await listing(roomId))?.spectators === 0);
    assert.equal(ann.state.players.size, 1);
  });

  it("are held to the players' limits: a flooding spectator is cut (4102) and the match plays on", async () => {
    const ann = await quickPlay("Ann");
    const sam = await watch(ann.room.roomId);
    await waitFor("the spectator sees Ann", () => sam.state.players.has(ann.id));
    const closed = new Promise<number>((resolve) => sam.room.onLeave((code) => resolve(code)));
    for (let i = 0; i < 400; i++) sam.room.send("telemetry", {} as never);
    assert.equal(await closed, CloseCode.FLOODING);
    ann.controls.moveX = 1;
    ann.play();
    const x = ann.state.players.get(ann.id)!.x;
    await waitFor("Ann still moves", () => ann.state.players.get(ann.id)!.x !== x);
  });

  it("are refused by quick play, room creation and joins other than by id", async () => {
    const spectate = { name: "Eve", protocol: PROTOCOL_VERSION, spectate: true };
    for (const method of ["joinOrCreate", "create", "join"]) {
      const answer = await request(server.endpoint, "POST", `/matchmake/${method}/arena`, spectate);
      assert.equal(answer.status, 400, method);
      assert.equal(answer.body.errorCode ?? answer.body.error?.split(":")[0], "bad_options", method);
    }
    const created = await request(server.endpoint, "POST", "/api/private-rooms", spectate);
    assert.equal(created.status, 400);
    const ann = await quickPlay("Ann");
    assert.deepEqual(await joinByIdStatus(ann.room.roomId, { spectate: "yes" }), { status: 400, code: "bad_options" });
  });

  it("watch a private room with its code only, and are closed when its last player leaves", async () => {
    const created = await request(server.endpoint, "POST", "/api/private-rooms", { name: "Ann", protocol: PROTOCOL_VERSION });
    assert.equal(created.status, 201);
    const annRoom = await new Client(server.endpoint).consumeSeatReservation(created.body.seat, ArenaState);
    const ann = new TestPlayer(annRoom as ArenaRoomClient);
    clients.push(ann);
    // Not listed, not joinable by id, watchable with the code.
    assert.equal((await joinByIdStatus(annRoom.roomId, { spectate: true })).status, 404);
    const seat = await request(server.endpoint, "POST", `/api/private-rooms/${created.body.code}/seats`, {
      name: "Sam",
      protocol: PROTOCOL_VERSION,
      spectate: true,
    });
    assert.equal(seat.status, 200);
    const samRoom = await new Client(server.endpoint).consumeSeatReservation(seat.body.seat, ArenaState);
    const sam = new TestPlayer(samRoom as ArenaRoomClient);
    clients.push(sam);
    await waitFor("the spectator sees Ann", () => sam.state.players.has(ann.id));
    assert.equal(sam.state.players.size, 1);

    const closed = new Promise<number>((resolve) => samRoom.onLeave((code) => resolve(code)));
    await ann.leave();
    assert.equal(await closed, CloseCode.MATCH_OVER);
  });
});
