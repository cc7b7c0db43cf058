import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { Client } from "@colyseus/sdk";
import { ArenaState, JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH, PROTOCOL_VERSION } from "@arena/shared";
import { type ArenaRoomClient, request, type RunningServer, TestPlayer, waitFor } from "@arena/testkit";
import { colyseusMatchMaker, RoomRefusal } from "../src/matchmaking/MatchMaker.ts";
import { startServer } from "./helpers/servers.ts";

let server: RunningServer;
let players: TestPlayer[] = [];
const me = { name: "Ann", protocol: PROTOCOL_VERSION };

async function seated(seat: unknown): Promise<TestPlayer> {
  const room = await new Client(server.endpoint).consumeSeatReservation(seat as any, ArenaState);
  const player = new TestPlayer(room as ArenaRoomClient);
  players.push(player);
  return player;
}

async function quickPlay(name: string, mode?: string): Promise<TestPlayer> {
  const player = await TestPlayer.join(server.endpoint, name, mode ? { mode } : {});
  players.push(player);
  return player;
}

const roomCount = async () => (await request(server.endpoint, "GET", "/api/health")).body.rooms as number;

before(async () => {
  server = await startServer({
    RATE_JOINS_PER_MINUTE: "1000",
    RATE_CONNECTIONS_PER_MINUTE: "1000",
    RATE_CREATES_PER_MINUTE: "1000",
    RATE_CODE_LOOKUPS_PER_MINUTE: "1000",
  });
});
afterEach(async () => {
  await Promise.all(players.map((p) => p.leave()));
  players = [];
  await waitFor("rooms to close", async () => (await roomCount()) === 0);
});
after(() => server.stop());

describe("private rooms", () => {
  it("are created with a short code that a friend joins by, in any case, with dashes", async () => {
    const created = await request(server.endpoint, "POST", "/api/private-rooms", me);
    assert.equal(created.status, 201);
    const { code, seat } = created.body;
    assert.equal(code.length, JOIN_CODE_LENGTH);
    assert.ok(
      [...code].every((c: string) => JOIN_CODE_ALPHABET.includes(c)),
      code,
    );
    const host = await seated(seat);

    const typed = `${code.slice(0, 3).toLowerCase()}-${code.slice(3).toLowerCase()}`;
    const joined = await request(server.endpoint, "POST", `/api/private-rooms/${typed}/seats`, { name: "Bob", protocol: PROTOCOL_VERSION });
    assert.equal(joined.status, 200);
    assert.equal(joined.body.seat.roomId, host.room.roomId);
    assert.notEqual(joined.body.seat.sessionId, host.id, "a code gives a new seat, never someone's session");
    assert.equal(JSON.stringify(joined.body).includes("reconnectionToken"), false);
    const guest = await seated(joined.body.seat);
    await waitFor("both players in the room", () => host.state.players.size === 2 && guest.state.players.size === 2);
  });

  it("stay out of quick play and out of the public listing", async () => {
    const { body } = await request(server.endpoint, "POST", "/api/private-rooms", me);
    const host = await seated(body.seat);
    const stranger = await quickPlay("Stranger");
    assert.notEqual(stranger.room.roomId, host.room.roomId);
    const listing = await request(server.endpoint, "GET", "/api/rooms");
    assert.deepEqual(
      listing.body.rooms.map((r: { roomId: string }) => r.roomId),
      [stranger.room.roomId],
    );
  });

  it("lose their code when the room is gone", async () => {
    const { body } = await request(server.endpoint, "POST", "/api/private-rooms", me);
    const host = await seated(body.seat);
    await host.leave();
    await waitFor("the room to close", async () => (await roomCount()) === 0);
    const late = await request(server.endpoint, "POST", `/api/private-rooms/${body.code}/seats`, me);
    assert.equal(late.status, 404);
    assert.equal(late.body.errorCode, "unknown_code");
  });

  it("answer room_full for a full room's code (core's 'is locked' refusal, read by RoomRefusal)", async () => {
    const created = await request(server.endpoint, "POST", "/api/private-rooms", { ...me, mode: "duel" });
    const host = await seated(created.body.seat);
    const second = await request(server.endpoint, "POST", `/api/private-rooms/${created.body.code}/seats`, { name: "Bob", protocol: PROTOCOL_VERSION });
    assert.equal(second.status, 200);
    const guest = await seated(second.body.seat);
    await waitFor("both players in the duel", () => host.state.players.size === 2 && guest.state.players.size === 2);
    const third = await request(server.endpoint, "POST", `/api/private-rooms/${created.body.code}/seats`, { name: "Cy", protocol: PROTOCOL_VERSION });
    assert.equal(third.status, 409);
    assert.equal(third.body.errorCode, "room_full");
  });

  it("core's joinById refusals are told apart (same code 522, text pinned here): gone and locked", async () => {
    const gone = await colyseusMatchMaker.joinById("no-such-room", { ...me }).catch((e: unknown) => e);
    assert.ok(gone instanceof RoomRefusal, String(gone));
    assert.equal(gone.reason, "gone");
    const created = await request(server.endpoint, "POST", "/api/private-rooms", { ...me, mode: "duel" });
    const host = await seated(created.body.seat);
    const guest = await seated((await request(server.endpoint, "POST", `/api/private-rooms/${created.body.code}/seats`, me)).body.seat);
    await waitFor("the duel to be full", () => host.state.players.size === 2 && guest.state.players.size === 2);
    const locked = await colyseusMatchMaker.joinById(host.room.roomId, { ...me }).catch((e: unknown) => e);
    assert.ok(locked instanceof RoomRefusal, String(locked));
    assert.equal(locked.reason, "locked");
  });

  it("refuse a wrong code clearly", async () => {
    for (const code of ["ZZZZZZ", "short", "O0I1L!", "x".repeat(100)]) {
      const res = await request(server.endpoint, "POST", `/api/private-rooms/${encodeURIComponent(code)}/seats`, me);
      assert.equal(res.status, 404, code);
      assert.equal(res.body.errorCode, "unknown_code");
      assert.match(res.body.error, /No room has that code/);
    }
  });
});

describe("public room listing", () => {
  it("lists public rooms with mode, players and capacity, filterable by mode", async () => {
    const a = await quickPlay("A");
    await quickPlay("B");
    const d = await quickPlay("D", "duel");
    const all = await request(server.endpoint, "GET", "/api/rooms");
    assert.equal(all.status, 200);
    const byId = new Map(all.body.rooms.map((r: { roomId: string }) => [r.roomId, r]));
    assert.deepEqual(pickListing(byId.get(a.room.roomId)), { mode: "ffa", players: 2, capacity: 16, locked: false });
    assert.deepEqual(pickListing(byId.get(d.room.roomId)), { mode: "duel", players: 1, capacity: 2, locked: false });
    const duels = await request(server.endpoint, "GET", "/api/rooms?mode=duel");
    assert.deepEqual(
      duels.body.rooms.map((r: { roomId: string }) => r.roomId),
      [d.room.roomId],
    );
    const bogus = await request(server.endpoint, "GET", "/api/rooms?mode=nope");
    assert.equal(bogus.status, 400);
    assert.equal(bogus.body.errorCode, "unknown_mode");
  });

  it("is live in the lobby room: rooms appear and disappear, private ones never", async () => {
    const lobby = await new Client(server.endpoint).joinOrCreate("lobby");
    const listed = new Map<string, { clients: number; metadata?: { mode?: string } }>();
    lobby.onMessage("rooms", (rooms: { roomId: string }[]) => {
      for (const r of rooms) listed.set(r.roomId, r as never);
    });
    lobby.onMessage("+", ([roomId, room]: [string, never]) => {
      listed.set(roomId, room);
    });
    lobby.onMessage("-", (roomId: string) => {
      listed.delete(roomId);
    });
    try {
      const pub = await quickPlay("Public");
      const { body } = await request(server.endpoint, "POST", "/api/private-rooms", me);
      const priv = await seated(body.seat);
      await waitFor("the public room in the lobby", () => listed.get(pub.room.roomId)?.metadata?.mode === "ffa");
      assert.equal(listed.has(priv.room.roomId), false);
      await pub.leave();
      await waitFor("the room to leave the lobby", () => !listed.has(pub.room.roomId));
    } finally {
      await lobby.leave();
    }
  });
});

describe("request validation", () => {
  const post = (body: unknown, headers?: Record<string, string>) => request(server.endpoint, "POST", "/api/private-rooms", body, headers);

  it("gives a 4xx with the project's code and creates nothing", async () => {
    const cases: [unknown, Record<string, string> | undefined, number, string][] = [
      ["{not json", undefined, 400, "bad_request"],
      [JSON.stringify(me), { "content-type": "text/plain" }, 415, "unsupported_media_type"],
      [{ ...me, name: "x".repeat(5000) }, undefined, 413, "payload_too_large"],
      [{ ...me, mode: "royale" }, undefined, 400, "unknown_mode"],
      [{ ...me, capacity: 64 }, undefined, 400, "bad_options"],
      [{ ...me, maxClients: 64 }, undefined, 400, "bad_options"],
      [{ ...me, private: false }, undefined, 400, "bad_options"],
      [{ ...me, locked: true }, undefined, 400, "bad_options"],
      [{ ...me, privateCode: "ABCDEF" }, undefined, 400, "bad_options"],
      [[1, 2, 3], undefined, 400, "bad_options"],
      [{ ...me, name: "" }, undefined, 400, "bad_name"],
      [{ name: "Ann", protocol: 0 }, undefined, 426, "client_outdated"],
    ];
    for (const [body, headers, status, code] of cases) {
      const res = await post(body, headers);
      assert.deepEqual({ status: res.status, code: res.body.errorCode }, { status, code }, JSON.stringify(body).slice(0, 60));
      assert.equal(typeof res.body.error, "string");
    }
    assert.equal(await roomCount(), 0);
  });

  it("Colyseus's own routes refuse server-decided options too", async () => {
    const res = await request(server.endpoint, "POST", "/matchmake/create/arena", { ...me, privateCode: "ABCDEF" });
    assert.equal(res.status, 400);
    assert.match(res.body.error, /^bad_options/);
    assert.equal(await roomCount(), 0);
  });
});

function pickListing(r: unknown): unknown {
  const { mode, players, capacity, locked } = r as Record<string, unknown>;
  return { mode, players, capacity, locked };
}
