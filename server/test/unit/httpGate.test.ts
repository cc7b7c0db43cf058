import assert from "node:assert/strict";
import { createServer, request, type Server } from "node:http";
import { once } from "node:events";
import { connect, type AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { PROTOCOL_VERSION } from "@arena/shared";
import { loadSettings } from "../../src/config.ts";
import { createLogger } from "../../src/logger.ts";
import { Metrics } from "../../src/Metrics.ts";
import { Admission } from "../../src/http/Admission.ts";
import { HttpGate } from "../../src/http/HttpGate.ts";
import { Matchmaking } from "../../src/matchmaking/Matchmaking.ts";
import { validateJoinOptions } from "../../src/rooms/joinOptions.ts";
import { MemoryMatchMaker } from "./MemoryMatchMaker.ts";

/**
 * HttpGate over the in-memory matchmaker: no Colyseus server, a plain HTTP
 * server whose own listener stands for Colyseus's router and answers 299.
 * What the gate decides (availability, origins, limits, joinById's checks,
 * quick play's seats) is answered by the gate; the rest is passed on.
 */
const me = { name: "Ann", protocol: PROTOCOL_VERSION };
const settings = loadSettings({
  RATE_JOINS_PER_MINUTE: "20",
  TRUSTED_PROXIES: "loopback",
  ALLOWED_ORIGINS: "https://game.example",
  LOG_LEVEL: "silent",
  REQUEST_BODY_TIMEOUT_MS: "600",
});
const log = createLogger("silent");

let http: Server;
let base: string;
let mm: MemoryMatchMaker;
let draining = false;
let clients = 0;

before(async () => {
  mm = new MemoryMatchMaker("self");
  mm.capacity = settings.capacity.ffa;
  mm.onAuth = (options) => {
    Object.assign(options, validateJoinOptions(options)); // the room's onAuth normalises the options matchmaking reads next
    return true;
  };
  const matchmaking = new Matchmaking(mm, settings, log, new Metrics(), () => draining);
  const admission = new Admission(settings, log);
  http = createServer((_req, res) => res.writeHead(299).end("passed on"));
  new HttpGate(matchmaking, admission, settings.http).install(http);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => http.close(() => resolve())));
beforeEach(() => {
  draining = false;
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: any;
}

/**
 * A request on a connection of its own (the gate cuts a connection whose
 * body it refused unread, which a pooled client would reuse), from `from`:
 * a client address behind the trusted proxy (loopback), so each test
 * spends its own limits.
 */
function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, from = `10.0.0.${++clients}`): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      base + path,
      {
        method,
        agent: false,
        headers: {
          "x-forwarded-for": from,
          ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
          ...headers,
        },
      },
      (res) => {
        let text = "";
        res
          .setEncoding("utf8")
          .on("data", (chunk) => {
            text += chunk;
          })
          .on("end", () => {
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
          });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

const post = (path: string, body: unknown, headers?: Record<string, string>, from?: string) => send("POST", path, body, headers, from);

/** A raw connection to the gate: bytes written as given, the status lines of the answers read back, in order. */
async function rawConnection() {
  const socket = connect(Number(new URL(base).port), "127.0.0.1");
  const conn = {
    socket,
    received: "",
    closed: new Promise<number>((resolve) => socket.on("close", () => resolve(performance.now()))),
    answers: () => conn.received.match(/HTTP\/1\.1 \d{3}/g) ?? [],
    /** Waits (up to 2 s) until `n` answers have come. */
    async until(n: number) {
      for (let i = 0; i < 200 && conn.answers().length < n; i++) await new Promise((r) => setTimeout(r, 10));
    },
  };
  socket.setEncoding("utf8").on("data", (chunk: string) => {
    conn.received += chunk;
  });
  await once(socket, "connect");
  return conn;
}

describe("HttpGate over an in-memory matchmaker", () => {
  it("seats quick play itself, filling a room to capacity before the next", async () => {
    const seats = await Promise.all(Array.from({ length: settings.capacity.ffa + 1 }, () => post("/matchmake/joinOrCreate/arena", me)));
    assert.deepEqual(
      seats.map((s) => s.status),
      seats.map(() => 200),
    );
    const perRoom = new Map<string, number>();
    for (const seat of seats) perRoom.set(seat.json.roomId, (perRoom.get(seat.json.roomId) ?? 0) + 1);
    assert.deepEqual(
      [...perRoom.values()].toSorted((a, b) => b - a),
      [settings.capacity.ffa, 1],
    );
  });

  it("refuses quick play's bad options with the room's own error code", async () => {
    const res = await post("/matchmake/joinOrCreate/arena", { ...me, protocol: 1 });
    assert.equal(res.status, 426);
    assert.equal(res.json.errorCode, "client_outdated");
  });

  it("answers joinById itself: a missing, private or full room refused, an open one seated", async () => {
    const full = mm.addRoom({ processId: "self", clients: 16, maxClients: 16, locked: true });
    const hidden = mm.addRoom({ processId: "self", private: true });
    assert.equal((await post("/matchmake/joinById/nope", me)).json.errorCode, "unknown_room");
    assert.equal((await post(`/matchmake/joinById/${hidden.roomId}`, me)).json.errorCode, "unknown_room");
    const locked = await post(`/matchmake/joinById/${full.roomId}`, me);
    assert.equal(locked.status, 409);
    assert.equal(locked.json.errorCode, "room_full");
    const open = mm.addRoom({ processId: "self" });
    const seated = await post(`/matchmake/joinById/${open.roomId}`, me);
    assert.equal(seated.status, 200);
    assert.equal(seated.json.roomId ?? seated.json.room?.roomId, open.roomId);
  });

  it("refuses every matchmaking call while draining, and passes other routes on", async () => {
    draining = true;
    const res = await post("/matchmake/joinOrCreate/arena", me);
    assert.equal(res.status, 503);
    assert.equal(res.json.errorCode, "server_draining");
    assert.equal((await send("GET", "/somewhere")).status, 299);
  });

  it("refuses pages of origins not allowed, and answers an allowed one's preflight", async () => {
    const foreign = await post("/matchmake/joinOrCreate/arena", me, { origin: "https://evil.example" });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.json.errorCode, "origin_not_allowed");
    const preflight = await send("OPTIONS", "/matchmake/joinOrCreate/arena", undefined, { origin: "https://game.example" });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers["access-control-allow-origin"], "https://game.example");
  });

  it("spends the joins limit per address and answers 429 with Retry-After past it", async () => {
    const statuses: number[] = [];
    const reconnect = { reconnectionToken: "token" };
    for (let i = 0; i < settings.rateLimits.joinsPerMinute; i++) statuses.push((await post("/matchmake/reconnect/room1", reconnect, {}, "10.1.1.1")).status);
    assert.deepEqual(
      statuses,
      statuses.map(() => 299),
      "the limit's worth is passed on",
    );
    const res = await post("/matchmake/reconnect/room1", reconnect, {}, "10.1.1.1");
    assert.equal(res.status, 429);
    assert.equal(res.json.errorCode, "rate_limited");
    assert.ok(Number(res.headers["retry-after"]) >= 1);
    assert.equal((await post("/matchmake/reconnect/room1", reconnect, {}, "10.1.1.2")).status, 299, "another address is not affected");
  });

  it("keeps a connection usable after refusing a request whose small body came late", async () => {
    const conn = await rawConnection();
    const head = (path: string) =>
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nX-Forwarded-For: 10.2.2.2\r\n\r\n`;
    try {
      conn.socket.write(head("/matchmake/made-up/arena"));
      await new Promise((r) => setTimeout(r, 50)); // the body in a segment of its own, after the gate has routed the request
      conn.socket.write("{}");
      await conn.until(1);
      await new Promise((r) => setTimeout(r, 1500)); // past the linger after which a connection with a body left unread is cut
      conn.socket.write(head("/matchmake/create/arena") + "{}");
      await conn.until(2);
      assert.deepEqual(conn.answers(), ["HTTP/1.1 404", "HTTP/1.1 299"], conn.received);
    } finally {
      conn.socket.destroy();
    }
  });

  it("answers a body slower than its deadline once, at the deadline, and cuts the connection", async () => {
    const conn = await rawConnection();
    const started = performance.now();
    conn.socket.write(
      `POST /matchmake/joinOrCreate/arena HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":"A`,
    );
    const closedAt = await conn.closed;
    assert.deepEqual(conn.answers(), ["HTTP/1.1 408"], conn.received);
    assert.match(conn.received, /"errorCode":"request_timeout"/);
    const deadline = settings.http.requestBodyTimeoutMs;
    assert.ok(closedAt - started < deadline + 1000 + 500, `cut ${Math.round(closedAt - started)} ms after the request, deadline ${deadline} ms`);
  });

  it("keeps a connection whose refused body arrived whole after all: a request sent on it later is answered", async () => {
    const conn = await rawConnection();
    try {
      const body = "x".repeat(6000); // over the limit: refused before it is read, yet all of it is sent
      conn.socket.write(
        `POST /matchmake/joinOrCreate/arena HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      await conn.until(1);
      await new Promise((r) => setTimeout(r, 1500)); // past the moment a connection whose body never came is cut
      conn.socket.write("GET /somewhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      await conn.until(2);
      assert.deepEqual(conn.answers(), ["HTTP/1.1 413", "HTTP/1.1 299"], conn.received.slice(0, 300));
    } finally {
      conn.socket.destroy();
    }
  });
});
