import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { ARENA_HEIGHT_PX, ARENA_WIDTH_PX, MAX_HP, PLAYER_SPEED_PX_PER_S, PROTOCOL_VERSION, STEP_SECONDS } from "@arena/shared";
import { request, type RunningServer, TestPlayer, waitFor } from "@arena/testkit";
import { startServer } from "./helpers/servers.ts";

/**
 * Property-based fuzzing over real sockets and HTTP (fast-check): whatever a
 * client sends, the process stays up, the world's invariants hold, other
 * players keep receiving patches on time, and the offender gets a documented
 * error or is disconnected.
 */
let server: RunningServer;
let observer: TestPlayer;
let maxPatchGapMs = 0;
const cases = { messages: 0, frames: 0, inputs: 0, http: 0 };

before(async () => {
  server = await startServer({
    RATE_JOINS_PER_MINUTE: "100000",
    RATE_CONNECTIONS_PER_MINUTE: "100000",
    RATE_CREATES_PER_MINUTE: "100000",
    RATE_CODE_LOOKUPS_PER_MINUTE: "100000",
    RATE_FAILED_JOINS_PER_HOUR: "100000",
    MAX_MESSAGES_PER_SECOND: "10000",
  });
  observer = await TestPlayer.join(server.endpoint, "Observer");
  observer.play();
  let last = performance.now();
  observer.room.onStateChange(() => {
    const now = performance.now();
    maxPatchGapMs = Math.max(maxPatchGapMs, now - last);
    last = now;
  });
});
after(async () => {
  console.log(`# fuzz cases: ${JSON.stringify(cases)}; longest gap between the observer's patches ${maxPatchGapMs.toFixed(0)} ms`);
  await observer.leave();
  await server.stop();
});

/** The world's invariants, read from the observer's decoded state. */
function assertWorldSane(): void {
  observer.state.players.forEach((p) => {
    assert.ok(Number.isFinite(p.x) && p.x >= 0 && p.x <= ARENA_WIDTH_PX, `x ${p.x}`);
    assert.ok(Number.isFinite(p.y) && p.y >= 0 && p.y <= ARENA_HEIGHT_PX, `y ${p.y}`);
    assert.ok(p.hp >= 0 && p.hp <= MAX_HP, `hp ${p.hp}`);
    assert.ok(Number.isInteger(p.score) && p.score >= 0);
  });
}

async function assertHealthy(): Promise<void> {
  const health = await request(server.endpoint, "GET", "/api/health");
  assert.equal(health.status, 200);
  const patches = observer.patches;
  await waitFor("the observer to keep receiving patches", () => observer.patches > patches + 2, 2000);
  assertWorldSane();
}

const anything = fc.anything({ withBigInt: false, withMap: true, withSet: true, withTypedArray: true, maxDepth: 3 });

describe("fuzzing over sockets", () => {
  it("messages of every type with any payload: errors for the sender, nothing for anyone else", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(fc.oneof(fc.constantFrom("chat", "telemetry", "input", "welcome", "", "__proto__", "constructor"), fc.string(), fc.integer()), anything),
          {
            minLength: 1,
            maxLength: 12,
          },
        ),
        async (messages) => {
          const rogue = await TestPlayer.join(server.endpoint, "Rogue");
          try {
            for (const [type, payload] of messages) {
              try {
                rogue.room.send(type as string, payload);
              } catch {
                /* the SDK could not encode it: not sent */
              }
              cases.messages++;
            }
            await new Promise((r) => setTimeout(r, 50));
            const answered = rogue.received("error").every((e) => typeof e.code === "string" && typeof e.message === "string");
            assert.ok(answered, "every error message has a code and a sentence");
          } finally {
            await rogue.leave();
          }
        },
      ),
      { numRuns: 25 },
    );
    await assertHealthy();
  });

  it("input frames with any numbers move no one out of bounds or faster than the rules", async () => {
    const weird = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 1e38, -1e38, 3.4e38, -0));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(weird, weird, weird, fc.boolean()), { minLength: 1, maxLength: 60 }), async (frames) => {
        const rogue = await TestPlayer.join(server.endpoint, "Speedy");
        try {
          // Track the rogue as the observer sees it: no patch may show it faster than the input budget allows.
          let fastest = 0;
          let last: { x: number; y: number; t: number } | undefined;
          let tracking = true;
          observer.room.onStateChange(() => {
            const p = tracking ? observer.state.players.get(rogue.id) : undefined;
            if (p === undefined) return;
            const t = performance.now();
            if (last !== undefined) {
              const allowed = PLAYER_SPEED_PX_PER_S * ((t - last.t) / 1000 + 9 * STEP_SECONDS);
              fastest = Math.max(fastest, Math.hypot(p.x - last.x, p.y - last.y) / allowed);
            }
            last = { x: p.x, y: p.y, t };
          });
          for (const [moveX, moveY, aim, fire] of frames) {
            Object.assign(rogue.input.data, { moveX, moveY, aim, fire });
            rogue.input.send();
            cases.inputs++;
          }
          await new Promise((r) => setTimeout(r, 150));
          tracking = false;
          assert.ok(fastest <= 1, `moved ${(fastest * 100).toFixed(0)}% of the most the rules allow`);
          assertWorldSane();
        } finally {
          await rogue.leave();
        }
      }),
      { numRuns: 25 },
    );
    await assertHealthy();
  });

  it("raw garbage frames and frames over the payload limit close only the sender", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { minLength: 1, maxLength: 10 }), fc.boolean(), async (frames, oversized) => {
        const rogue = await TestPlayer.join(server.endpoint, "Garbage");
        try {
          for (const frame of frames) {
            rogue.room.connection.send(frame);
            cases.frames++;
          }
          if (oversized) {
            rogue.room.connection.send(new Uint8Array(5000));
            cases.frames++;
          }
          await new Promise((r) => setTimeout(r, 50));
        } finally {
          await rogue.leave();
        }
      }),
      { numRuns: 30 },
    );
    await assertHealthy();
  });
});

describe("fuzzing over HTTP", () => {
  it("any body, content type or path gets a 4xx with the project's code, or a seat only when valid; nothing else is created", async () => {
    const roomsBefore = (await request(server.endpoint, "GET", "/api/health")).body.rooms;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          "/api/private-rooms",
          "/api/private-rooms/ABCDEF/seats",
          "/matchmake/joinOrCreate/arena",
          "/matchmake/create/arena",
          "/matchmake/joinById/nope",
          "/api/rooms?mode=x",
        ),
        fc.oneof(
          anything.map((v) => {
            try {
              return JSON.stringify(v) ?? "null";
            } catch {
              return "{";
            }
          }),
          fc.string(),
          fc.constant("x".repeat(6000)),
        ),
        fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", ""),
        async (path, body, contentType) => {
          const res = await fetch(`${server.endpoint}${path}`, { method: "POST", headers: contentType ? { "content-type": contentType } : {}, body });
          cases.http++;
          const text = await res.text();
          assert.ok(res.status < 500, `${path} answered ${res.status}: ${text.slice(0, 120)}`);
          if (res.status >= 400) assert.doesNotMatch(text, /\n\s+at /, "no stack trace");
        },
      ),
      { numRuns: 150 },
    );
    // A valid body may have created rooms (a seat nobody used); anything else created nothing.
    const health = (await request(server.endpoint, "GET", "/api/health")).body;
    assert.equal(health.status, "ok");
    assert.ok(health.rooms >= roomsBefore);
    await assertHealthy();
  });

  it("every route, any method, path spelling, headers and body: a status under 500 (503 only as documented), never a stack trace", async () => {
    const roomsBefore = (await request(server.endpoint, "GET", "/api/health")).body.rooms;
    const { roomId } = observer.room;
    const code = (await request(server.endpoint, "POST", "/api/private-rooms", { name: "Host", protocol: PROTOCOL_VERSION })).body.code as string;
    const routes = [
      "/api/health",
      "/api/rooms",
      "/api/rooms?mode=ffa",
      "/api/rooms?mode=x",
      "/api/private-rooms",
      `/api/private-rooms/${code}/seats`,
      "/api/private-rooms/ABCDEF/seats",
      "/api/nope",
      "/matchmake/joinOrCreate/arena",
      "/matchmake/create/arena",
      "/matchmake/join/arena",
      `/matchmake/joinById/${roomId}`,
      "/matchmake/joinById/nope",
      `/matchmake/reconnect/${roomId}`,
      "/matchmake/joinOrCreate/lobby",
      "/matchmake/join/nosuchroom",
      "/__healthcheck",
      "/",
      "/metrics",
      "/monitor/",
      "/index.html",
    ];
    const options = { name: "Fuzz", protocol: PROTOCOL_VERSION };
    const body = fc.oneof(
      {
        arbitrary: fc.constantFrom(
          JSON.stringify(options),
          JSON.stringify({ ...options, mode: "duel" }),
          JSON.stringify({ reconnectionToken: `${roomId}:nope` }),
        ),
        weight: 3,
      },
      fc.constantFrom("", "{}", "null", "[]"),
      anything.map((v) => {
        try {
          return JSON.stringify(v) ?? "null";
        } catch {
          return "{";
        }
      }),
      fc.string({ maxLength: 200 }),
      fc.constant("x".repeat(6000)),
    );
    // Mostly well-formed, so the routes behind the gate are reached too.
    const usually = <T>(common: T, ...rare: T[]) => fc.oneof({ arbitrary: fc.constant(common), weight: 3 }, fc.constantFrom(...rare));
    await fc.assert(
      fc.asyncProperty(
        usually("POST", "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"),
        fc.constantFrom(...routes),
        fc.oneof({ arbitrary: fc.constant([]), weight: 2 }, fc.array(spelling, { minLength: 1, maxLength: 3 })),
        usually(
          "application/json",
          "application/json; charset=utf-8",
          "text/plain",
          "application/x-www-form-urlencoded",
          "multipart/form-data; boundary=x",
          "",
        ),
        usually<RawHttpRequest["length"]>("exact", "chunked", "none", "smaller", "larger"),
        usually<string | undefined>(undefined, server.endpoint, "https://evil.example", "null", "http://localhost:5173"),
        usually<string | undefined>(undefined, "x/matchmake/create/arena?", "[", "a@b", "127.0.0.1:1", "EXAMPLE.com"),
        body,
        async (method, route, spellings, contentType, length, origin, host, text) => {
          const path = spellings.reduce((p, spell) => spell(p), route);
          const answer = await rawHttp(server.port, { method, path, contentType, length, origin, host, body: text });
          cases.http++;
          const what = `${method} ${JSON.stringify(path)} (${contentType || "no type"}, ${length} length, host ${host}) answered`;
          if (answer.status === 0) {
            assert.ok(length === "larger", `${what} nothing`);
            return;
          }
          assert.ok(
            answer.status < 500 || (answer.status === 503 && /"errorCode":"(matchmaking_unavailable|server_draining)"/.test(answer.text)),
            `${what} ${answer.status}: ${answer.text.slice(0, 200)}`,
          );
          assert.doesNotMatch(answer.text, /\n\s+at |Error: /, `${what} a stack trace`);
        },
      ),
      { numRuns: 400 },
    );
    const health = (await request(server.endpoint, "GET", "/api/health")).body;
    assert.equal(health.status, "ok");
    assert.ok(health.rooms >= roomsBefore);
    await assertHealthy();
  });
});

/** Path spellings the routers could read differently: separators, dot segments, percent-encoding, case. */
const spelling: fc.Arbitrary<(path: string) => string> = fc.oneof(
  fc.constantFrom("\\", "%5C", "%5c", "//", "/./", "/x/../", "/x\\..\\", "/%2e/", "/x/%2e%2e/").chain((sep) =>
    fc.nat().map((n) => (path: string) => {
      const slashes = [...path.split("?")[0].matchAll(/\//g)].map((m) => m.index);
      const at = slashes[n % slashes.length] ?? 0;
      return path.slice(0, at) + sep + path.slice(at + 1);
    }),
  ),
  fc.nat().map((n) => (path: string) => {
    const letters = [...path.split("?")[0].matchAll(/[a-z]/gi)].map((m) => m.index);
    const at = letters[n % Math.max(1, letters.length)];
    if (at === undefined) return path;
    const c = path[at];
    return (
      path.slice(0, at) + (n % 3 === 0 ? `%${c.charCodeAt(0).toString(16)}` : c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + path.slice(at + 1)
    );
  }),
  fc.constantFrom(
    (p: string) => `${p}/`,
    (p: string) => `${p}#x`,
    (p: string) => `/.${p}`,
    (p: string) => p.toUpperCase(),
  ),
);

interface RawHttpRequest {
  method: string;
  path: string;
  contentType: string;
  /** How the body's length is told: truly, chunked, not at all, or a lie either way. */
  length: "exact" | "chunked" | "none" | "smaller" | "larger";
  origin?: string;
  host?: string;
  body: string;
}

/**
 * One request over a raw socket, bytes exactly as given (no client-side URL
 * normalisation); resolves with the first answer's status and text once it is
 * complete, or status 0 if none came (a declared length longer than the body
 * leaves the server waiting: the client gives up after a moment).
 */
function rawHttp(port: number, r: RawHttpRequest): Promise<{ status: number; text: string }> {
  const bytes = Buffer.from(r.body);
  const headers = [`${r.method} ${r.path} HTTP/1.1`, `host: ${r.host ?? `127.0.0.1:${port}`}`, "connection: close"];
  if (r.contentType !== "") headers.push(`content-type: ${r.contentType}`);
  if (r.origin !== undefined) headers.push(`origin: ${r.origin}`);
  const declared = { exact: bytes.length, smaller: Math.max(0, bytes.length - 3), larger: bytes.length + 10, chunked: undefined, none: undefined }[r.length];
  if (declared !== undefined) headers.push(`content-length: ${declared}`);
  if (r.length === "chunked") headers.push("transfer-encoding: chunked");
  const payload =
    r.length === "chunked" ? `${bytes.length > 0 ? `${bytes.length.toString(16)}\r\n${r.body}\r\n` : ""}0\r\n\r\n` : r.length === "none" ? "" : r.body;
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(`${headers.join("\r\n")}\r\n\r\n${payload}`));
    let text = "";
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    };
    const giveUp = setTimeout(finish, r.length === "larger" ? 150 : 5000);
    socket.on("data", (chunk) => {
      text += chunk.toString();
      const split = text.indexOf("\r\n\r\n");
      if (split < 0) return;
      const head = text.slice(0, split);
      const length = /\r\ncontent-length: (\d+)/i.exec(head)?.[1];
      const rest = Buffer.byteLength(text.slice(split + 4));
      const noBody = r.method === "HEAD" || /^HTTP\/1\.1 (204|304)/.test(head);
      if (noBody || (length !== undefined && rest >= Number(length)) || (/transfer-encoding: chunked/i.test(head) && text.endsWith("0\r\n\r\n"))) finish();
    });
    socket.on("error", finish);
    socket.on("close", finish);
  });
}

describe("while fuzzed", () => {
  it("the observer's patches never stopped for long", () => {
    assert.ok(maxPatchGapMs < 500, `longest gap ${maxPatchGapMs.toFixed(0)} ms`);
  });
});
