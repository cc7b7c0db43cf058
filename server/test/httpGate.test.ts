import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { PROTOCOL_VERSION } from "@arena/shared";
import { request, spawnServer, type ServerProcess, waitFor } from "@arena/testkit";

/**
 * The game port's HTTP gate (HttpGate): one body limit and deadline on every
 * route, read before anything else; quick play never waits on a slow upload;
 * one path decision that every router agrees with.
 */
const me = { name: "Ann", protocol: PROTOCOL_VERSION };
const BODY = JSON.stringify(me);
const MB = 2 ** 20;

interface RawAnswer {
  status: number;
  body: string;
}

/** The status line and body of an HTTP answer read off a raw socket (0 if it closed without one). */
function answerOf(text: string): RawAnswer {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  return { status, body: text.slice(text.indexOf("\r\n\r\n") + 4) };
}

/** Sends raw bytes (paths and headers as written, no client-side normalisation) and reads the answer. */
function raw(port: number, head: string, body = ""): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(head + body));
    let text = "";
    socket.on("data", (chunk) => {
      text += chunk.toString();
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve(answerOf(text)));
  });
}

/** A POST with the given path and headers, spelled exactly so. */
function post(port: number, path: string, headers: Record<string, string> = {}, body = BODY): Promise<RawAnswer> {
  const lines = Object.entries({
    host: `127.0.0.1:${port}`,
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(body)),
    connection: "close",
    ...headers,
  });
  return raw(port, `POST ${path} HTTP/1.1\r\n${lines.map(([k, v]) => `${k}: ${v}`).join("\r\n")}\r\n\r\n`, body);
}

function rssBytes(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) * 1024;
}

/**
 * Uploads `totalBytes` of body (declared with Content-Length, or chunked)
 * until the server answers or closes; resolves with its answer.
 */
function upload(port: number, totalBytes: number, chunked: boolean, path = "/matchmake/joinOrCreate/arena", extraHeaders = ""): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, "127.0.0.1");
    let text = "";
    let sent = 0;
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        socket.destroy();
        resolve(answerOf(text));
      }
    };
    socket.on("data", (chunk) => {
      text += chunk.toString();
      if (text.includes("\r\n\r\n")) setTimeout(finish, 50);
    });
    socket.on("error", finish);
    socket.on("close", finish);
    socket.on("connect", () => {
      const length = chunked ? "transfer-encoding: chunked" : `content-length: ${totalBytes}`;
      socket.write(`POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n${extraHeaders}${length}\r\n\r\n`);
      const piece = Buffer.alloc(64 * 1024, "x");
      const pump = () => {
        while (!done && sent < totalBytes) {
          sent += piece.length;
          const frame = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n")]) : piece;
          if (!socket.write(frame)) return void socket.once("drain", pump);
        }
        if (!done && chunked) socket.write("0\r\n\r\n");
      };
      pump();
    });
  });
}

describe("request bodies", () => {
  let server: ServerProcess;
  before(async () => {
    server = await spawnServer({ RATE_JOINS_PER_MINUTE: "1000", RATE_CONNECTIONS_PER_MINUTE: "1000" });
  });
  after(() => server.stop());

  it("a 40 MB body gets 413 (or its refusal), declared or chunked, on any route, and the server's memory stays where it was", async () => {
    const pid = server.child.pid!;
    const start = rssBytes(pid);
    let peak = start;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssBytes(pid));
    }, 5);
    try {
      const declared = await upload(server.port, 40 * MB, false);
      assert.equal(declared.status, 413);
      assert.equal(JSON.parse(declared.body).errorCode, "payload_too_large");
      const chunked = await upload(server.port, 40 * MB, true);
      assert.equal(chunked.status, 413);
      assert.equal(JSON.parse(chunked.body).errorCode, "payload_too_large");
      // Refused for another reason before the body is read, or on a route that takes none: still never read.
      const others: [string, boolean, string, number][] = [
        ["/api/private-rooms", true, "", 413],
        ["/", false, "", 413],
        ["/matchmake/x\\..\\create/arena", true, "", 400],
        ["/matchmake/joinOrCreate/arena", false, "origin: https://evil.example\r\n", 403],
      ];
      for (const [path, isChunked, headers, status] of others) {
        assert.equal((await upload(server.port, 40 * MB, isChunked, path, headers)).status, status, path);
      }
      await new Promise((r) => setTimeout(r, 100));
      console.log(
        `# 40 MB bodies: server RSS ${(start / MB).toFixed(1)} MB before, peak ${(peak / MB).toFixed(1)} MB (+${((peak - start) / MB).toFixed(1)} MB)`,
      );
      assert.ok(peak - start < 30 * MB, `RSS grew by ${((peak - start) / MB).toFixed(1)} MB`);
    } finally {
      clearInterval(sampler);
    }
  });

  it("a body over 4 KB is refused on /api as on /matchmake; not JSON, not an object or not application/json is refused", async () => {
    const big = JSON.stringify({ ...me, name: "x".repeat(5000) });
    for (const path of ["/matchmake/joinOrCreate/arena", "/matchmake/create/arena", "/api/private-rooms", "/api/private-rooms/ABCDEF/seats"]) {
      assert.equal((await post(server.port, path, {}, big)).status, 413, path);
      assert.equal((await post(server.port, path, {}, "{nope")).status, 400, path);
      assert.equal(JSON.parse((await post(server.port, path, {}, "[1]")).body).errorCode, "bad_options", path);
      assert.equal((await post(server.port, path, { "content-type": "text/plain" })).status, 415, path);
    }
  });

  it("Colyseus's router takes the body the gate read (req.body): a valid body gets its seat", async () => {
    // If Colyseus read the request stream again it would wait forever (the gate drained it);
    // if it saw no options, the protocol check would refuse with 426.
    const answer = await post(server.port, "/matchmake/joinOrCreate/arena", { "content-type": "application/json; charset=utf-8" });
    assert.equal(answer.status, 200, answer.body);
    assert.ok(JSON.parse(answer.body).sessionId);
  });
});

describe("a slow upload", () => {
  let server: ServerProcess;
  before(async () => {
    server = await spawnServer({ REQUEST_BODY_TIMEOUT_MS: "1500", RATE_JOINS_PER_MINUTE: "1000", RATE_CONNECTIONS_PER_MINUTE: "1000" });
  });
  after(() => server.stop());

  it("does not hold up anyone else's quick play, and gets 408 request_timeout itself", async () => {
    // Declares 400 bytes, sends 5, and keeps the socket open.
    const slow = connect(server.port, "127.0.0.1");
    let slowText = "";
    let slowClosed = false;
    slow.on("data", (chunk) => {
      slowText += chunk.toString();
    });
    slow.on("error", () => {});
    slow.on("close", () => {
      slowClosed = true;
    });
    await new Promise((resolve) => slow.once("connect", resolve));
    slow.write('POST /matchmake/joinOrCreate/arena HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 400\r\n\r\n{"nam');
    await new Promise((r) => setTimeout(r, 100)); // the slow request is in the gate first

    const started = performance.now();
    const quick = await fetch(`${server.endpoint}/matchmake/joinOrCreate/arena`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: BODY,
      signal: AbortSignal.timeout(3000),
    }).catch((error: unknown) => assert.fail(`quick play got no answer during a slow upload: ${String(error)}`));
    const tookMs = performance.now() - started;
    console.log(`# quick play during a slow upload answered in ${tookMs.toFixed(0)} ms`);
    assert.equal(quick.status, 200);
    assert.ok(tookMs < 1000, `took ${tookMs.toFixed(0)} ms`);

    await waitFor("the slow upload to be refused", () => slowClosed || answerOf(slowText).status !== 0, 5000);
    const answer = answerOf(slowText);
    if (answer.status !== 0) assert.deepEqual([answer.status, JSON.parse(answer.body).errorCode], [408, "request_timeout"]);
    slow.destroy();
  });
});

/** POSTs through node:http, which sends the path as written (no WHATWG normalisation, unlike fetch). */
function sendAs(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method: "POST", path, headers: { "content-type": "application/json", ...headers } }, (res) => {
      let body = "";
      res.on("data", (chunk) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end(BODY);
  });
}

describe("path spellings", () => {
  let server: ServerProcess;
  before(async () => {
    // Two creates: the private room below, and the one create the first test makes.
    server = await spawnServer({ RATE_CREATES_PER_MINUTE: "2", RATE_JOINS_PER_MINUTE: "1000", RATE_FAILED_JOINS_PER_HOUR: "1000" });
    privateRoomId = (await request(server.endpoint, "POST", "/api/private-rooms", me)).body.seat.roomId;
  });
  after(() => server.stop());
  let privateRoomId: string;

  const rooms = async () => (await request(server.endpoint, "GET", "/api/health")).body.rooms as number;

  it("no spelling of create skips the create limit: each is limited or refused", async () => {
    assert.equal((await sendAs(server.port, "/matchmake/create/arena")).status, 200, "the one create the limit allows");
    const before = await rooms();
    const spellings = [
      "/matchmake/create/arena",
      "/matchmake/x\\..\\create/arena",
      "/matchmake/x\\%2e%2e\\create/arena",
      "/matchmake/x\\.%2E\\create/arena",
      "/matchmake/x%5C..%5Ccreate/arena",
      "/matchmake/x%5c%2e%2e%5ccreate/arena",
      "/matchmake/joinOrCreate\\..\\create/arena",
      "/matchmake/joinOrCreate/..\\create/arena",
      "/matchmake/join/%2e%2e/create/arena",
      "//matchmake/create/arena",
      "/matchmake//create/arena",
      "/./matchmake/create/arena",
      "/matchmake/./create/arena",
      "/matchmake/create/./arena",
      "/matchmake/create/x/../arena",
      "/matchmake/Create/arena",
      "/matchmake/CREATE/arena",
      "/Matchmake/create/arena",
      "/MATCHMAKE/create/arena",
      "/matchmake/%63reate/arena",
      "/matchmake/create/arena/",
      "/matchmake/create/arena?x=/../../",
      "/matchmake/create/arena#x",
    ];
    for (const path of spellings) {
      const answer = await sendAs(server.port, path);
      assert.ok([400, 404, 429].includes(answer.status), `${path} answered ${answer.status}: ${answer.body.slice(0, 120)}`);
    }
    // A Host or X-Forwarded-Proto that moves the path Colyseus routes on.
    const hosts: Record<string, string>[] = [
      { host: "x/matchmake/create/arena?" },
      { host: "x/matchmake/create/arena#" },
      { "x-forwarded-proto": "http://x/matchmake/create/arena?" },
    ];
    for (const headers of hosts) {
      const answer = await sendAs(server.port, "/matchmake/joinOrCreate/arena", headers);
      assert.equal(answer.status, 400, `${JSON.stringify(headers)} answered ${answer.status}: ${answer.body.slice(0, 120)}`);
    }
    assert.equal(await rooms(), before, "no room was created");
  });

  it("no spelling of joinById reaches a private room", async () => {
    const roomId = privateRoomId;
    const spellings = [
      `/matchmake/joinById/${roomId}`,
      `/matchmake/joinbyid/${roomId}`,
      `/matchmake/JoinById/${roomId}`,
      `/matchmake/x\\..\\joinById/${roomId}`,
      `/matchmake/joinById/x\\..\\${roomId}`,
      `/matchmake/joinById/.\\${roomId}`,
      `/matchmake/joinById/./${roomId}`,
      `//matchmake/joinById/${roomId}`,
      `/matchmake/joinById/${roomId.toLowerCase()}`,
      `/matchmake/joinById/${encodeURIComponent(roomId)}%20`,
    ];
    for (const path of spellings) {
      const answer = await sendAs(server.port, path);
      assert.ok([400, 404].includes(answer.status), `${path} answered ${answer.status}: ${answer.body.slice(0, 120)}`);
    }
  });

  it("a Host header that Colyseus cannot make a URL of is refused, and the process lives on", async () => {
    for (const host of ["[", "a@b", "a:b@c", "x:99999"]) {
      const health = await raw(server.port, `GET /__healthcheck HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`);
      assert.equal(health.status, 400, `GET /__healthcheck with Host ${host}`);
      assert.equal((await post(server.port, "/matchmake/joinOrCreate/arena", { host })).status, 400, `POST /matchmake with Host ${host}`);
    }
    assert.equal(server.child.exitCode, null);
    assert.equal((await request(server.endpoint, "GET", "/api/health")).status, 200);
  });
});
