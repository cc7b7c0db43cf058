import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { ARENA_HEIGHT_PX, ARENA_WIDTH_PX, MAX_HP, PLAYER_SPEED_PX_PER_S, STEP_SECONDS } from "@arena/shared";
import { request } from "./helpers/http.ts";
import { TestPlayer } from "./helpers/players.ts";
import { startServer, type RunningServer } from "./helpers/servers.ts";
import { waitFor } from "./helpers/waitFor.ts";

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
  server = await startServer({ RATE_JOINS_PER_MINUTE: "100000", RATE_CONNECTIONS_PER_MINUTE: "100000", RATE_CREATES_PER_MINUTE: "100000", RATE_CODE_LOOKUPS_PER_MINUTE: "100000", RATE_FAILED_JOINS_PER_HOUR: "100000", MAX_MESSAGES_PER_SECOND: "10000" });
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
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.oneof(fc.constantFrom("chat", "input", "welcome", "", "__proto__", "constructor"), fc.string(), fc.integer()), anything), { minLength: 1, maxLength: 12 }),
      async (messages) => {
        const rogue = await TestPlayer.join(server.endpoint, "Rogue");
        try {
          for (const [type, payload] of messages) {
            try { rogue.room.send(type as string, payload); } catch { /* the SDK could not encode it: not sent */ }
            cases.messages++;
          }
          await new Promise((r) => setTimeout(r, 50));
          const answered = rogue.received("error").every((e) => typeof e.code === "string" && typeof e.message === "string");
          assert.ok(answered, "every error message has a code and a sentence");
        } finally {
          await rogue.leave();
        }
      },
    ), { numRuns: 25 });
    await assertHealthy();
  });

  it("input frames with any numbers move no one out of bounds or faster than the rules", async () => {
    const weird = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 1e38, -1e38, 3.4e38, -0));
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(weird, weird, weird, fc.boolean()), { minLength: 1, maxLength: 60 }), async (frames) => {
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
    }), { numRuns: 25 });
    await assertHealthy();
  });

  it("raw garbage frames and frames over the payload limit close only the sender", async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { minLength: 1, maxLength: 10 }), fc.boolean(), async (frames, oversized) => {
      const rogue = await TestPlayer.join(server.endpoint, "Garbage");
      try {
        for (const frame of frames) { rogue.room.connection.send(frame); cases.frames++; }
        if (oversized) { rogue.room.connection.send(new Uint8Array(5000)); cases.frames++; }
        await new Promise((r) => setTimeout(r, 50));
      } finally {
        await rogue.leave();
      }
    }), { numRuns: 30 });
    await assertHealthy();
  });
});

describe("fuzzing over HTTP", () => {
  it("any body, content type or path gets a 4xx with the project's code, or a seat only when valid; nothing else is created", async () => {
    const roomsBefore = (await request(server.endpoint, "GET", "/api/health")).body.rooms;
    await fc.assert(fc.asyncProperty(
      fc.constantFrom("/api/private-rooms", "/api/private-rooms/ABCDEF/seats", "/matchmake/joinOrCreate/arena", "/matchmake/create/arena", "/matchmake/joinById/nope", "/api/rooms?mode=x"),
      fc.oneof(anything.map((v) => { try { return JSON.stringify(v) ?? "null"; } catch { return "{"; } }), fc.string(), fc.constant("x".repeat(6000))),
      fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", ""),
      async (path, body, contentType) => {
        const res = await fetch(`${server.endpoint}${path}`, { method: "POST", headers: contentType ? { "content-type": contentType } : {}, body });
        cases.http++;
        const text = await res.text();
        assert.ok(res.status < 500, `${path} answered ${res.status}: ${text.slice(0, 120)}`);
        if (res.status >= 400) assert.doesNotMatch(text, /\n\s+at /, "no stack trace");
      },
    ), { numRuns: 150 });
    // A valid body may have created rooms (a seat nobody used); anything else created nothing.
    const health = (await request(server.endpoint, "GET", "/api/health")).body;
    assert.equal(health.status, "ok");
    assert.ok(health.rooms >= roomsBefore);
    await assertHealthy();
  });
});

describe("while fuzzed", () => {
  it("the observer's patches never stopped for long", () => {
    assert.ok(maxPatchGapMs < 500, `longest gap ${maxPatchGapMs.toFixed(0)} ms`);
  });
});
