import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import { Client, type Room } from "@colyseus/sdk";
import { ArenaState, PROTOCOL_VERSION } from "@arena/shared";
import { request, spawnServer, type RunningServer, type ServerProcess, waitFor } from "@arena/testkit";
import { startServer } from "./helpers/servers.ts";
import { upgradeStatus } from "./helpers/upgrades.ts";

const me = { name: "Ann", protocol: PROTOCOL_VERSION };
const JOINS = 6;
const CREATES = 3;
const FAILED = 4;

describe("rate limits per client address", () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({
      RATE_JOINS_PER_MINUTE: String(JOINS),
      RATE_CREATES_PER_MINUTE: String(CREATES),
      RATE_CODE_LOOKUPS_PER_MINUTE: "100",
      RATE_FAILED_JOINS_PER_HOUR: String(FAILED),
    });
  });
  after(() => server.stop());

  it("room creation through Colyseus's /matchmake/create is limited, with Retry-After", async () => {
    const answers = [];
    for (let i = 0; i < CREATES + 2; i++) answers.push(await request(server.endpoint, "POST", "/matchmake/create/arena", me));
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [...Array(CREATES).fill(200), 429, 429],
    );
    const last = answers[answers.length - 1];
    assert.equal(last.body.errorCode, "rate_limited");
    assert.ok(Number(last.headers.get("retry-after")) >= 1);
  });

  it("joins are limited, and a forged X-Forwarded-For changes nothing", async () => {
    // The create test spent CREATES joins already; the rest of the budget goes here.
    const statuses: number[] = [];
    for (let i = 0; i < JOINS; i++) {
      const res = await request(server.endpoint, "POST", "/matchmake/joinOrCreate/arena", me, { "x-forwarded-for": `10.0.0.${i}`, "x-real-ip": `10.1.0.${i}` });
      statuses.push(res.status);
    }
    assert.deepEqual(statuses, [...Array(JOINS - CREATES).fill(200), ...Array(CREATES).fill(429)]);
  });
});

describe("join code guessing", () => {
  let server: RunningServer;
  before(async () => {
    server = await spawnServer({
      RATE_JOINS_PER_MINUTE: "1000",
      RATE_CONNECTIONS_PER_MINUTE: "1000",
      RATE_CODE_LOOKUPS_PER_MINUTE: "1000",
      RATE_FAILED_JOINS_PER_HOUR: String(FAILED),
    });
  });
  after(() => server.stop());

  it("a flood of wrong codes is refused, then even a right code is, for a while", async () => {
    const created = await request(server.endpoint, "POST", "/api/private-rooms", me);
    assert.equal(created.status, 201);
    const statuses: number[] = [];
    for (let i = 0; i < FAILED + 3; i++) {
      statuses.push((await request(server.endpoint, "POST", `/api/private-rooms/ZZZZZ${JOIN_CODE_DIGITS[i]}/seats`, me)).status);
    }
    assert.deepEqual(statuses, [...Array(FAILED).fill(404), 429, 429, 429]);
    const right = await request(server.endpoint, "POST", `/api/private-rooms/${created.body.code}/seats`, me);
    assert.equal(right.status, 429);
    assert.equal(right.body.errorCode, "rate_limited");
  });

  it("failed joins by room id count too", async () => {
    const res = await request(server.endpoint, "POST", "/matchmake/joinById/NOSUCHROOM", me);
    assert.equal(res.status, 429);
  });
});

describe("joins by room id", () => {
  let server: RunningServer;
  before(async () => {
    server = await spawnServer({ ROOM_CAPACITY_DUEL: "1" });
  });
  after(() => server.stop());

  it("an unknown room is a 404, a full one a 409, a private one is unknown", async () => {
    const unknown = await request(server.endpoint, "POST", "/matchmake/joinById/NOSUCHROOM", me);
    assert.deepEqual([unknown.status, unknown.body.errorCode], [404, "unknown_room"]);
    const full = await request(server.endpoint, "POST", "/matchmake/create/arena", { ...me, mode: "duel" });
    const again = await request(server.endpoint, "POST", `/matchmake/joinById/${full.body.roomId}`, me);
    assert.deepEqual([again.status, again.body.errorCode], [409, "room_full"]);
    const priv = await request(server.endpoint, "POST", "/api/private-rooms", me);
    const byId = await request(server.endpoint, "POST", `/matchmake/joinById/${priv.body.seat.roomId}`, me);
    assert.deepEqual([byId.status, byId.body.errorCode], [404, "unknown_room"], "a private room is joined by its code only");
  });
});

describe("connection bursts", () => {
  let server: ServerProcess;
  before(async () => {
    server = await spawnServer({ RATE_CONNECTIONS_PER_MINUTE: "5" });
  });
  after(() => server.stop());

  it("WebSocket upgrades from one address are limited before the transport sees them", async () => {
    const statuses: number[] = [];
    // No seat: a connection the transport refuses anyway; the limit answers first once spent.
    for (let i = 0; i < 7; i++) statuses.push(await upgradeStatus(`${server.endpoint.replace("http", "ws")}/nope/nope?sessionId=x`));
    assert.deepEqual(statuses.slice(5), [429, 429]);
    assert.ok(
      statuses.slice(0, 5).every((s) => s !== 429),
      JSON.stringify(statuses),
    );
  });
});

describe("connections that claim a reserved seat", () => {
  const CONNECTIONS = 2;
  let server: ServerProcess;
  before(async () => {
    server = await spawnServer({ RATE_CONNECTIONS_PER_MINUTE: String(CONNECTIONS), RATE_JOINS_PER_MINUTE: "1000" });
  });
  after(() => server.stop());

  it("the first connection to a seat a matchmaking request reserved spends no connection point (the request spent a join point); a second one to that seat, a reconnection and any other connection do", async () => {
    const ws = server.endpoint.replace("http", "ws");
    // Four players join with the SDK: four connections, twice the limit per minute.
    const rooms: Room[] = [];
    try {
      for (let i = 0; i < 2 * CONNECTIONS; i++) rooms.push(await new Client(server.endpoint).joinOrCreate("arena", { ...me, name: `P${i}` }, ArenaState));
      assert.equal(new Set(rooms.map((r) => r.sessionId)).size, 2 * CONNECTIONS);
      // Their connections spent no point: both are still there, for connections that claim no seat.
      for (let i = 0; i < CONNECTIONS; i++) assert.notEqual(await upgradeStatus(`${ws}/nope/nope?sessionId=x`), 429);

      // A seat named by two connections at once: one claims it, the other would spend a point (none left).
      const seat = (await request(server.endpoint, "POST", "/matchmake/joinOrCreate/arena", me)).body;
      const seatUrl = `${ws}/${seat.processId}/${seat.roomId}?sessionId=${seat.sessionId}`;
      const both = await Promise.all([upgradeStatus(seatUrl), upgradeStatus(seatUrl)]);
      assert.deepEqual(
        both.map((s) => (s === 429 ? 429 : "through")).sort(),
        [429, "through"].sort(),
        `one of the two needed a point: ${JSON.stringify(both)}`,
      );
      // Connections that claim no new seat are refused. An own property of core's
      // seats only ("__proto__" is not a seat), a seat already taken, a reconnection, nothing.
      const { roomId, sessionId, reconnectionToken } = rooms[0];
      const others = [
        `${ws}/p/${roomId}?sessionId=__proto__`,
        `${ws}/p/${roomId}?sessionId=${sessionId}`,
        `${ws}/p/${roomId}?sessionId=${sessionId}&reconnectionToken=${reconnectionToken.split(":")[1]}`,
        `${ws}/nope/nope?sessionId=x`,
      ];
      for (const url of others) assert.equal(await upgradeStatus(url), 429, url);
      // A new seat still goes through.
      const next = (await request(server.endpoint, "POST", "/matchmake/joinOrCreate/arena", me)).body;
      assert.notEqual(await upgradeStatus(`${ws}/${next.processId}/${next.roomId}?sessionId=${next.sessionId}`), 429);
    } finally {
      await Promise.all(rooms.map((r) => r.leave().catch(() => {})));
    }
  });
});

describe("upgrades naming what is not a room", () => {
  let server: ServerProcess;
  before(async () => {
    server = await spawnServer();
  });
  after(() => server.stop());

  it("a room id that names a member of every plain object (core keeps its rooms in one) is answered, and the process goes on", async () => {
    const ws = server.endpoint.replace("http", "ws");
    for (const roomId of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      assert.ok((await upgradeStatus(`${ws}/p/${roomId}?sessionId=x`)) > 0, roomId);
    }
    assert.equal(server.child.exitCode, null, "the server is still running");
    assert.equal((await request(server.endpoint, "GET", "/api/health")).status, 200);
  });
});

describe("behind a trusted proxy", () => {
  let server: ServerProcess;
  before(async () => {
    server = await spawnServer({ TRUSTED_PROXIES: "loopback", RATE_JOINS_PER_MINUTE: "2" });
  });
  after(() => server.stop());

  it("limits each forwarded client address apart", async () => {
    const join = (ip: string) => request(server.endpoint, "POST", "/matchmake/joinOrCreate/arena", me, { "x-forwarded-for": ip });
    assert.deepEqual([(await join("203.0.113.1")).status, (await join("203.0.113.1")).status, (await join("203.0.113.1")).status], [200, 200, 429]);
    assert.equal((await join("203.0.113.2")).status, 200, "another client behind the proxy has its own budget");
  });

  it("counts an IPv6 client as its /64, and an IPv4-mapped address as the IPv4 one", async () => {
    const join = async (ip: string) => (await request(server.endpoint, "POST", "/matchmake/joinOrCreate/arena", me, { "x-forwarded-for": ip })).status;
    // One /64: a client rotating its interface identifier still spends one budget.
    assert.deepEqual([await join("2001:db8:1:2::1"), await join("2001:db8:1:2:ffff:ffff:ffff:fffe"), await join("2001:db8:1:2:abcd::7")], [200, 200, 429]);
    assert.equal(await join("2001:db8:1:3::1"), 200, "the next /64 has its own budget");
    assert.deepEqual([await join("198.51.100.7"), await join("::ffff:198.51.100.7")], [200, 200]);
    assert.equal(await join("198.51.100.7"), 429, "the mapped address spent the IPv4 address's budget");
  });
});

describe("sockets held open per address", () => {
  const CAP = 3;
  let server: ServerProcess;
  before(async () => {
    server = await spawnServer({
      MAX_SOCKETS_PER_ADDRESS: String(CAP),
      RATE_JOINS_PER_MINUTE: "1000",
      RATE_CONNECTIONS_PER_MINUTE: "1000",
      RATE_CREATES_PER_MINUTE: "1000",
    });
  });
  after(() => server.stop());

  /** Takes a seat and opens its socket; resolves with the open socket, or the refusal's status and body. */
  async function openSeat(): Promise<{ status: number; body?: { errorCode?: string }; socket?: WebSocket }> {
    const seat = (await request(server.endpoint, "POST", "/matchmake/joinOrCreate/arena", me)).body;
    const url = `${server.endpoint.replace("http", "ws")}/${seat.processId}/${seat.roomId}?sessionId=${seat.sessionId}`;
    return new Promise((resolve) => {
      const socket = new WebSocket(url);
      socket.on("open", () => resolve({ status: 101, socket }));
      socket.on("unexpected-response", (_req, res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
          socket.terminate();
        });
      });
      socket.on("error", () => {});
    });
  }

  it(`admits ${CAP} sockets at once from one address, refuses the next with 429 too_many_connections, and admits again once one closes`, async () => {
    const open = await Promise.all(Array.from({ length: CAP }, openSeat));
    assert.deepEqual(
      open.map((o) => o.status),
      Array(CAP).fill(101),
    );
    const refused = await openSeat();
    assert.deepEqual([refused.status, refused.body?.errorCode], [429, "too_many_connections"]);
    const closed = new Promise((resolve) => open[0].socket!.once("close", resolve));
    open[0].socket!.close();
    await closed;
    const again = await waitFor("a socket to be admitted once one closed", async () => {
      const attempt = await openSeat();
      return attempt.status === 101 ? attempt : null;
    });
    for (const o of [...open.slice(1), again]) o.socket!.terminate();
  });
});

const JOIN_CODE_DIGITS = "23456789";
