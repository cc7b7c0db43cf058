import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PROTOCOL_VERSION } from "@arena/shared";
import { request, spawnServer, type RunningServer } from "@arena/testkit";
import { startServer } from "./helpers/servers.ts";
import { upgradeStatus } from "./helpers/upgrades.ts";

const me = { name: "Ann", protocol: PROTOCOL_VERSION };

/** Opens the room socket of a seat with a given Origin; resolves with the HTTP status of a refusal, or 101. */
function upgrade(endpoint: string, seat: { processId: string; roomId: string; sessionId: string }, origin?: string): Promise<number> {
  return upgradeStatus(`${endpoint.replace("http", "ws")}/${seat.processId}/${seat.roomId}?sessionId=${seat.sessionId}`, origin);
}

describe("origins", () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
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

describe("origins before the connection limit", () => {
  let server: RunningServer;
  before(async () => {
    server = await spawnServer({ RATE_CONNECTIONS_PER_MINUTE: "1" });
  });
  after(() => server.stop());

  it("upgrades from another site's page are refused without spending the address's connection points", async () => {
    const noSeat = { processId: "nope", roomId: "nope", sessionId: "x" };
    for (let i = 0; i < 3; i++) assert.equal(await upgrade(server.endpoint, noSeat, "https://evil.example"), 403);
    // The one point is still there (spent here), then gone.
    assert.notEqual(await upgrade(server.endpoint, noSeat), 429);
    assert.equal(await upgrade(server.endpoint, noSeat), 429);
  });
});

describe("ALLOWED_ORIGINS", () => {
  let server: RunningServer;
  before(async () => {
    server = await spawnServer({ ALLOWED_ORIGINS: "https://game.example.com" });
  });
  after(() => server.stop());

  it("admits the listed origins", async () => {
    const listed = await request(server.endpoint, "POST", "/matchmake/joinOrCreate/arena", me, { origin: "https://game.example.com" });
    assert.equal(listed.status, 200);
    const other = await request(server.endpoint, "POST", "/matchmake/joinOrCreate/arena", me, { origin: "https://other.example.com" });
    assert.equal(other.status, 403);
  });

  it("CORS headers name exactly an allowed origin, on the routes the browser client calls, and nothing else", async () => {
    const game = "https://game.example.com";
    const quick = await request(server.endpoint, "POST", "/matchmake/joinOrCreate/arena", me, { origin: game });
    assert.equal(quick.headers.get("access-control-allow-origin"), game);
    assert.equal(quick.headers.get("access-control-allow-credentials"), "true", "the SDK sends credentials: include");
    const refused = await request(server.endpoint, "POST", "/matchmake/create/arena", { ...me, maxClients: 64 }, { origin: game });
    assert.deepEqual([refused.status, refused.headers.get("access-control-allow-origin")], [400, game], "errors are readable by the page too");
    const listing = await request(server.endpoint, "GET", "/api/rooms", undefined, { origin: game });
    assert.deepEqual([listing.status, listing.headers.get("access-control-allow-origin")], [200, game]);
    const preflight = await fetch(`${server.endpoint}/matchmake/joinOrCreate/arena`, {
      method: "OPTIONS",
      headers: { origin: game, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), game);
    assert.match(preflight.headers.get("access-control-allow-methods") ?? "", /POST/);
    assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /content-type/);

    for (const [method, path] of [
      ["GET", "/api/health"],
      ["GET", "/api/rooms"],
      ["POST", "/matchmake/joinOrCreate/arena"],
      ["OPTIONS", "/matchmake/joinOrCreate/arena"],
      ["GET", "/__healthcheck"],
      ["GET", "/"],
    ]) {
      const res = await fetch(`${server.endpoint}${path}`, {
        method,
        headers: { origin: "https://evil.example", "content-type": "application/json", "access-control-request-method": "POST" },
        body: method === "POST" ? JSON.stringify(me) : undefined,
      });
      await res.arrayBuffer();
      assert.equal(res.headers.get("access-control-allow-origin"), null, `${method} ${path} from another site`);
      assert.equal(res.headers.get("access-control-allow-credentials"), null, `${method} ${path} from another site`);
    }
    const health = await fetch(`${server.endpoint}/api/health`, { headers: { origin: "https://evil.example" } });
    assert.equal(health.status, 403);
  });
});
