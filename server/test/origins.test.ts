import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import { PROTOCOL_VERSION } from "@arena/shared";
import { request } from "./helpers/http.ts";
import { spawnServer, startServer, type RunningServer } from "./helpers/servers.ts";

const me = { name: "Ann", protocol: PROTOCOL_VERSION };

/** Opens the room socket of a seat with a given Origin; resolves with the HTTP status of a refusal, or 101. */
function upgrade(endpoint: string, seat: { processId: string; roomId: string; sessionId: string }, origin?: string): Promise<number> {
  const url = `${endpoint.replace("http", "ws")}/${seat.processId}/${seat.roomId}?sessionId=${seat.sessionId}`;
  return new Promise((resolve) => {
    const socket = new WebSocket(url, origin ? { origin } : {});
    socket.on("unexpected-response", (_req, res) => { resolve(res.statusCode ?? 0); socket.terminate(); });
    socket.on("open", () => { resolve(101); socket.terminate(); });
    socket.on("error", () => {});
  });
}

describe("origins", () => {
  let server: RunningServer;
  before(async () => { server = await startServer(); });
  after(() => server.stop());

  it("matchmaking from another site's page is refused; the server's own page and non-browser clients are not", async () => {
    const evil = await request(server.endpoint, "POST", "/matchmake/joinOrCreate/arena", me, { origin: "https://evil.example" });
    assert.deepEqual([evil.status, evil.body.errorCode], [403, "origin_not_allowed"]);
    const listing = await request(server.endpoint, "GET", "/api/rooms", undefined, { origin: "https://evil.example" });
    assert.equal(listing.status, 403);
    const own = await request(server.endpoint, "POST", "/matchmake/joinOrCreate/arena", me, { origin: server.endpoint });
    assert.equal(own.status, 200);
    const native = await request(server.endpoint, "POST", "/matchmake/joinOrCreate/arena", me);
    assert.equal(native.status, 200);
  });

  it("a WebSocket upgrade from another site's page is refused", async () => {
    const seat = (await request(server.endpoint, "POST", "/matchmake/joinOrCreate/arena", me)).body;
    assert.equal(await upgrade(server.endpoint, seat, "https://evil.example"), 403);
    assert.equal(await upgrade(server.endpoint, seat, server.endpoint), 101);
  });
});

describe("ALLOWED_ORIGINS", () => {
  let server: RunningServer;
  before(async () => { server = await spawnServer({ ALLOWED_ORIGINS: "https://game.example.com" }); });
  after(() => server.stop());

  it("admits the listed origins", async () => {
    const listed = await request(server.endpoint, "POST", "/matchmake/joinOrCreate/arena", me, { origin: "https://game.example.com" });
    assert.equal(listed.status, 200);
    const other = await request(server.endpoint, "POST", "/matchmake/joinOrCreate/arena", me, { origin: "https://other.example.com" });
    assert.equal(other.status, 403);
  });
});
