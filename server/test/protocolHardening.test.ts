import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { Client, type Room } from "@colyseus/sdk";
import { InputEncoder } from "@colyseus/schema/input";
import { pack } from "msgpackr";
import {
  CloseCode,
  INPUT_GROUP_MAX_FRAMES,
  INPUT_GROUP_TYPE,
  InputFrameSchema,
  PLAYER_SPEED_PX_PER_S,
  PROTOCOL_VERSION,
  ROOM_DATA_BYTES,
  STEP_SECONDS,
  encodeInputGroup,
  moveBody,
  parseErrorCode,
} from "@arena/shared";
import { type ServerProcess, spawnServer, TestPlayer, waitFor } from "@arena/testkit";
import { RawClient } from "./helpers/rawClient.ts";
import { regExpOverSharedReferences, sharedReferences } from "./helpers/sharedReferences.ts";

/**
 * Issue 9, protocol hardening, socket side: what a hostile client can send
 * under the framework's own grammar (opcodes, input bodies, lobby options,
 * floods, names). The server runs in a child process, because before the
 * fixes several of these freeze it or make it exit: a test must see that as
 * a failure, not hang. Each test also checks that the server stayed sound:
 * health answers within 1 s, an observer's patches never paused 300 ms, and
 * the child's memory stayed within 30 MB of where it started.
 */
const LAX_LIMITS = {
  RATE_JOINS_PER_MINUTE: "100000",
  RATE_CONNECTIONS_PER_MINUTE: "100000",
  RATE_CREATES_PER_MINUTE: "100000",
  ENABLE_TEST_HOOKS: "1",
};
const MAX_PATCH_GAP_MS = 300;
const MAX_RSS_GROWTH_MB = 30;
const BOUNDED = { timeout: 30_000 };

/** One child server with an observer player, for the tests of one `describe`. */
class Scene {
  server!: ServerProcess;
  observer!: TestPlayer;
  #rssStartMb = 0;
  #lastPatchAt = 0;
  #maxGapMs = 0;

  async start(): Promise<void> {
    this.server = await spawnServer(LAX_LIMITS);
    this.observer = await TestPlayer.join(this.server.endpoint, "Observer");
    this.observer.room.reconnection.enabled = false;
    this.observer.play();
    await waitFor("the observer's first patches", () => this.observer.patches > 2);
    this.#lastPatchAt = performance.now();
    this.observer.room.onStateChange(() => {
      const now = performance.now();
      this.#maxGapMs = Math.max(this.#maxGapMs, now - this.#lastPatchAt);
      this.#lastPatchAt = now;
    });
    this.#rssStartMb = this.rssMb();
  }

  async stop(): Promise<void> {
    await this.server?.stop(); // SIGKILL: works on a frozen process too
    await this.observer?.leave();
  }

  get endpoint(): string {
    return this.server.endpoint;
  }

  rssMb(): number {
    const status = readFileSync(`/proc/${this.server.child.pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  }

  /** The longest pause between two of the observer's patches, the one in progress included. */
  maxGapMs(): number {
    return Math.max(this.#maxGapMs, performance.now() - this.#lastPatchAt);
  }

  /**
   * Health within 1 s, the observer's patches on pace, memory bounded: every
   * problem found is reported at once, so a failure shows the whole picture.
   */
  async assertSound(): Promise<void> {
    const problems: string[] = [];
    const { exitCode, signalCode } = this.server.child;
    if (exitCode !== null || signalCode !== null) {
      const fatal = this.server.logs.findLast((l) => (l.level as number) >= 50) as { msg?: string; err?: { message?: string } } | undefined;
      problems.push(`the server exited (${exitCode ?? signalCode}): ${fatal ? `${fatal.msg}: ${fatal.err?.message}` : this.server.output().slice(-300)}`);
    } else {
      const health = await fetch(`${this.endpoint}/api/health`, { signal: AbortSignal.timeout(1000) }).then(
        (res) => res.status,
        (error: Error) => `no answer within 1 s (${error.name})`,
      );
      if (health !== 200) problems.push(`/api/health: ${health}`);
      const grown = this.rssMb() - this.#rssStartMb;
      if (grown >= MAX_RSS_GROWTH_MB) problems.push(`the server's memory grew ${grown.toFixed(0)} MB`);
      const patches = this.observer.patches;
      await waitFor("the observer's next patches", () => this.observer.patches >= patches + 2, 1000).catch(() => {});
    }
    if (this.maxGapMs() >= MAX_PATCH_GAP_MS) problems.push(`the observer's patches paused ${this.maxGapMs().toFixed(0)} ms`);
    assert.deepEqual(problems, [], "the server stayed sound");
  }

  /** Waits for a player to leave the observer's state (its seat not held). */
  async assertGone(sessionId: string, withinMs = 1000): Promise<void> {
    await waitFor("the player gone from the observer's state, seat not held", () => !this.observer.state.players.has(sessionId), withinMs);
  }

  /** Players and lobby clients connected, as /api/health counts them. */
  async clients(): Promise<number> {
    const res = await fetch(`${this.endpoint}/api/health`, { signal: AbortSignal.timeout(1000) });
    return ((await res.json()) as { clients: number }).clients;
  }

  joinRaw(mode: "ws" | "ignore-close" = "ws", name = "Raw"): Promise<RawClient> {
    return RawClient.join(this.endpoint, { body: { name, protocol: PROTOCOL_VERSION }, mode });
  }

  /** `arena_connection_events_total{event}`. */
  connectionEvents(event: string): Promise<number> {
    return this.metric(`arena_connection_events_total{event="${event}"}`);
  }

  /** One series of /metrics (`name` or `name{labels}`), read where the metrics are served (own port if logged, else the game port). */
  async metric(series: string): Promise<number> {
    const listening = this.server.logs.find((l) => l.msg === "listening");
    const port = (listening?.metricsPort as number | undefined) ?? this.server.port;
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(1000) })).text();
    const escaped = series.replace(/[{}]/g, "\\$&");
    const line = new RegExp(`^${escaped} (\\d+)`, "m").exec(text);
    return Number(line?.[1] ?? 0);
  }
}

function useScene(): Scene {
  const scene = new Scene();
  before(() => scene.start(), { timeout: 30_000 });
  after(() => scene.stop());
  return scene;
}

// Frames, built the way the SDK builds them (Colyseus shared-types Protocol).
const ROOM_DATA = 13;
const ROOM_INPUT_RELIABLE = 19;
const ascii = (text: string) => [0xa0 | text.length, ...Buffer.from(text)]; // msgpack fixstr, under 32 bytes
const message = (type: string, payload: number[]) => [ROOM_DATA, ...ascii(type), ...payload];
const chatFrame = (text: string) => message("chat", [0x81, ...ascii("text"), ...ascii(text)]);
/** `filter` with `{ name }`. */
const filterFrame = (name: string) => message("filter", [0x81, ...ascii("name"), ...ascii(name)]);
/** 20 bytes, answered with the list of every arena room. */
const FILTER_FRAME = filterFrame("arena");
/** A well-formed reliable input frame (moveX = 1), as the SDK's input handle sends it. */
const INPUT_FRAME = (() => {
  const input = new InputFrameSchema();
  const encoder = new InputEncoder(input);
  input.moveX = 1;
  return [ROOM_INPUT_RELIABLE, ...encoder.encode()];
})();

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const yieldNow = () => new Promise((resolve) => setImmediate(resolve));

/** The project's error code in a matchmaking answer (its own field, or the `code:` prefix of Colyseus's `error`). */
function errorCodeOf(body: unknown): string | null {
  const { errorCode, error } = (body ?? {}) as { errorCode?: string; error?: string };
  return errorCode ?? (typeof error === "string" ? parseErrorCode(error) : null);
}

async function matchmake(endpoint: string, room: string, body: unknown): Promise<{ status: number; code: string | null }> {
  const res = await fetch(`${endpoint}/matchmake/joinOrCreate/${room}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(2000),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, code: errorCodeOf(parsed) };
}

describe("opcodes outside the allow-list", () => {
  const scene = useScene();

  it("an unreliable input frame (opcode 20) closes the sender with PROTOCOL_VIOLATION", BOUNDED, async () => {
    const rogue = await scene.joinRaw();
    await waitFor("the rogue in the observer's state", () => scene.observer.state.players.has(rogue.sessionId));
    // A slot length of -1: Colyseus's decodeAll walks back and forth forever.
    rogue.send([0x14, 0x00, 0xff]);
    await settle(200);
    await scene.assertSound();
    await waitFor("the rogue closed", () => rogue.closeCode, 1000);
    assert.equal(rogue.closeCode, CloseCode.PROTOCOL_VIOLATION);
    await scene.assertGone(rogue.sessionId);
  });
});

describe("message payloads that are slow to decode", () => {
  const scene = useScene();

  it("shared references in a chat or filter payload close the sender before msgpackr walks them", BOUNDED, async () => {
    // A RegExp over 21 levels decodes, after 2^21 steps, once in each decoder that sees it;
    // 26 levels with a trailing byte make msgpackr's error message walk 2^26.
    const arenaRogue = await scene.joinRaw();
    arenaRogue.send([...message("chat", regExpOverSharedReferences(21))]);
    const lobbyRogue = await RawClient.join(scene.endpoint, { room: "lobby", body: {} });
    lobbyRogue.send([...message("filter", regExpOverSharedReferences(23))]);
    const trailing = await scene.joinRaw();
    trailing.send([...message("x", sharedReferences(26)), 0xc0]);
    await settle(300);
    await scene.assertSound();
    for (const rogue of [arenaRogue, lobbyRogue, trailing]) {
      await waitFor("the rogue closed", () => rogue.closeCode, 1000);
      assert.equal(rogue.closeCode, CloseCode.PROTOCOL_VIOLATION);
    }
  });
});

describe("timed unreliable input", () => {
  const scene = useScene();

  it("an unreliable+TIMED frame declaring 2^32-1 stamps closes the sender, with no memory blow-up", BOUNDED, async () => {
    const rogue = await scene.joinRaw();
    await waitFor("the rogue in the observer's state", () => scene.observer.state.players.has(rogue.sessionId));
    // k = 0xffffffff: readSeriesDeltas allocates and loops over four billion slots.
    rogue.send([0x94, 0xce, 0xff, 0xff, 0xff, 0xff, 0x00]);
    await settle(500);
    await scene.assertSound();
    await waitFor("the rogue closed", () => rogue.closeCode, 1000);
    assert.equal(rogue.closeCode, CloseCode.PROTOCOL_VIOLATION);
    await scene.assertGone(rogue.sessionId);
  });
});

describe("lobby options and filters", () => {
  const scene = useScene();

  it("non-object or unknown lobby options are refused with bad_options; a malformed filter gets bad_message and changes nothing", BOUNDED, async () => {
    for (const body of ["abc", 7, true, [], { x: 1 }, { filter: 5 }, { filter: { name: {} } }]) {
      const outcome = await RawClient.join(scene.endpoint, { room: "lobby", body }).catch((error: Error) => error);
      if (outcome instanceof RawClient) {
        // Granted a seat: its first filter message must not take the process down (it did: LobbyRoom wrote to a string).
        outcome.send(FILTER_FRAME);
        await settle(200);
        await scene.assertSound();
        outcome.destroy();
      }
      const refusal = await matchmake(scene.endpoint, "lobby", body);
      assert.deepEqual(refusal, { status: 400, code: "bad_options" }, `lobby options ${JSON.stringify(body)}`);
    }
    await scene.assertSound();

    const lobby: Room = await new Client(scene.endpoint).joinOrCreate("lobby");
    lobby.reconnection.enabled = false;
    const received: { type: string; payload: unknown }[] = [];
    lobby.onMessage("*", (type, payload) => {
      received.push({ type: String(type), payload });
    });
    await waitFor("the lobby's room list", () => received.some((m) => m.type === "rooms"));
    const bad = ["abc", 7, null, [1, 2], { name: {} }];
    for (const filter of bad) lobby.send("filter", filter);
    lobby.send("filter", { name: "arena" });
    // Handled in order: once the good filter's answer is in, every bad one has been answered.
    await waitFor("the good filter's answer", () => received.filter((m) => m.type === "rooms").length === 2, 2000);
    const errors = received.filter((m) => m.type === "error").map((m) => (m.payload as { code?: unknown }).code);
    assert.deepEqual(
      errors,
      bad.map(() => "bad_message"),
      "one bad_message per malformed filter, and no room list for them",
    );
    await lobby.leave();
    await scene.assertSound();
  });
});

describe("undecodable reliable input", () => {
  const scene = useScene();

  it("4 KB input frames of unknown field indexes close the sender at the first; others keep their pace; logs stay small", BOUNDED, async () => {
    const rogue = await scene.joinRaw();
    await waitFor("the rogue in the observer's state", () => scene.observer.state.players.has(rogue.sessionId));
    // 1 + 3 x 1364 = 4093 bytes: under MAX_PAYLOAD_BYTES (4096, the ws payload limit), so it reaches the decoder.
    const frame = [ROOM_INPUT_RELIABLE, ...Array.from({ length: 1364 }, () => [0xff, 0x00, 0x3f]).flat()];
    const outputBefore = scene.server.output().length;
    let sentBeforeClose = 0;
    for (let i = 0; i < 100; i++) {
      if (rogue.closeCode === undefined) sentBeforeClose++;
      rogue.send(frame);
      await settle(10);
    }
    await scene.assertSound();
    const logged = scene.server.output().length - outputBefore;
    assert.ok(logged < 4096, `the server wrote ${logged} bytes of logs and warnings`);
    await waitFor("the rogue closed", () => rogue.closeCode, 1000);
    assert.equal(rogue.closeCode, CloseCode.PROTOCOL_VIOLATION);
    assert.ok(sentBeforeClose <= 10, `closed only after ${sentBeforeClose} frames`);
    await scene.assertGone(rogue.sessionId);
  });
});

describe("lobby floods", () => {
  const scene = useScene();

  it("a lobby client flooding filter messages while not reading is cut; memory stays bounded", BOUNDED, async () => {
    // Listed rooms make each answer big (a full room list), as on a busy server.
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${scene.endpoint}/matchmake/create/arena`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: `Room${i}`, protocol: PROTOCOL_VERSION }),
      });
      assert.equal(res.status, 200);
    }
    const clientsBefore = await scene.clients();
    const flooder = await RawClient.join(scene.endpoint, { room: "lobby", mode: "ignore-close" });
    await waitFor("the lobby client counted", async () => (await scene.clients()) === clientsBefore + 1);
    flooder.pause();
    const started = Date.now();
    for (let sent = 0; !flooder.ended && Date.now() - started < 4000; sent += 100) {
      for (let i = 0; i < 100; i++) flooder.send(FILTER_FRAME);
      await yieldNow();
      if (sent % 1000 === 0) await settle(5);
    }
    await scene.assertSound();
    assert.ok(flooder.ended, "the flooder's TCP connection was cut");
    assert.ok(flooder.endedAt! - started < 3000, `cut after ${flooder.endedAt! - started} ms`);
    await waitFor("the lobby client gone", async () => (await scene.clients()) === clientsBefore, 2000);

    // A flooder that reads sees why: FLOODING (a filter matching nothing, so the answers stay small).
    const reader = await RawClient.join(scene.endpoint, { room: "lobby" });
    for (let i = 0; i < 300 && reader.closeCode === undefined; i++) {
      reader.send(filterFrame("none"));
      if (i % 50 === 49) await yieldNow();
    }
    await waitFor("the reading flooder closed", () => reader.closeCode, 2000);
    assert.equal(reader.closeCode, CloseCode.FLOODING);
  });
});

describe("a flooder that ignores the close frame", () => {
  const scene = useScene();

  it("is cut within about a second, vanishes at once, and nothing it sends after the close is processed", BOUNDED, async () => {
    const flooder = await scene.joinRaw("ignore-close", "Deaf");
    await waitFor("the flooder in the observer's state", () => scene.observer.state.players.has(flooder.sessionId));
    for (let i = 0; i < 400 && flooder.closeCode === undefined; i++) {
      flooder.send(INPUT_FRAME);
      if (i % 50 === 49) await yieldNow();
    }
    await waitFor("the close frame", () => flooder.closeCode, 2000);
    const closedAt = Date.now();
    assert.equal(flooder.closeCode, CloseCode.FLOODING);
    const settled = (p: Promise<unknown>) =>
      p.then(
        () => true,
        () => false,
      );
    const cut = settled(waitFor("the TCP connection cut", () => flooder.ended, 2000));
    const gone = settled(scene.assertGone(flooder.sessionId, 2000));
    // Ignore it: 3,000 more frames, one chat in ten, over about a second.
    for (let i = 0; i < 3000 && !flooder.ended; i++) {
      flooder.send(i % 10 === 0 ? chatFrame(`after close ${i}`) : INPUT_FRAME);
      if (i % 100 === 99) await settle(30);
    }
    const observed = { cutWithin2s: await cut, goneWithin2s: await gone, chatsAfterClose: 0 };
    await settle(200);
    observed.chatsAfterClose = scene.observer.received("chat").filter((c) => c.text.startsWith("after close")).length;
    assert.deepEqual(
      observed,
      { cutWithin2s: true, goneWithin2s: true, chatsAfterClose: 0 },
      flooder.endedAt === undefined ? "the TCP connection was never cut" : `TCP cut ${flooder.endedAt - closedAt} ms after the close frame`,
    );
    await scene.assertSound();
  });
});

describe("names", () => {
  const scene = useScene();

  it("names that render blank or break layout are refused with bad_name; ordinary names of every script are accepted", BOUNDED, async () => {
    const bad = {
      "Hangul filler": "\u3164",
      "Hangul fillers": "\u3164\u3164\u3164\u3164",
      "Hangul filler and space": "\u3164 \u3164",
      "braille blanks": "\u2800\u2800\u2800",
      "choseong filler": "\u115F",
      "jungseong filler": "\u1160",
      "both fillers": "\u115F\u1160",
      "stacked marks": "Z\u0300\u0301\u0302\u0303\u0304\u0305",
      "a tall stack": "ok\u0336\u0336\u0336\u0336\u0336\u0336\u0336\u0336\u0336\u0336",
      "line separator": "Ann\u2028Bob",
      "paragraph separator": "Ann\u2029Bob",
    };
    const good = ["Ana", "José", "Jose\u0301", "Zoë", "李小龙", "Ünal-42", "🙂Bob", "👍🏽Kim", "Nguye\u0323\u0302n"];
    const answers = async (names: Record<string, string>) => {
      const out: Record<string, string> = {};
      for (const [what, name] of Object.entries(names)) {
        const { status, code } = await matchmake(scene.endpoint, "arena", { name, protocol: PROTOCOL_VERSION });
        out[what] = `${status} ${code ?? ""}`.trim();
      }
      return out;
    };
    const refused = await answers(bad);
    assert.deepEqual(refused, Object.fromEntries(Object.keys(bad).map((what) => [what, "400 bad_name"])));
    const accepted = await answers(Object.fromEntries(good.map((name) => [name, name])));
    assert.deepEqual(accepted, Object.fromEntries(good.map((name) => [name, "200"])));
    await scene.assertSound();
  });
});

describe("counting a flooder's removal", () => {
  const scene = useScene();

  it("a flooder closed with FLOODING is counted as left once and logged once", BOUNDED, async () => {
    const flooder = await TestPlayer.join(scene.endpoint, "Flooder");
    flooder.room.reconnection.enabled = false;
    await waitFor("the flooder in the observer's state", () => scene.observer.state.players.has(flooder.id));
    const leftBefore = await scene.connectionEvents("left");
    let code = 0;
    flooder.room.onLeave((c) => {
      code = c;
    });
    for (let i = 0; i < 2000 && code === 0; i++) {
      flooder.input.data.moveX = i % 2;
      flooder.input.send();
      if (i % 100 === 99) await yieldNow();
    }
    await waitFor("the flooder closed", () => code, 2000);
    assert.equal(code, CloseCode.FLOODING);
    await scene.assertGone(flooder.id);
    await waitFor("the removal counted", async () => (await scene.connectionEvents("left")) > leftBefore, 2000);
    await settle(300); // a second count would follow within a few milliseconds
    assert.equal((await scene.connectionEvents("left")) - leftBefore, 1, 'arena_connection_events_total{event="left"} grew by one');
    const lines = scene.server.logs.filter((l) => l.msg === "player left" && l.sessionId === flooder.id);
    assert.equal(lines.length, 1, 'one "player left" line for the flooder');
    await scene.assertSound();
  });
});

describe("input groups", () => {
  const scene = useScene();
  /** A reliable input frame moving right, with a TIMED stamp (Δ 33 ms), as the SDK writes one in a room that rewinds. */
  const STAMPED_MOVE = Uint8Array.from([ROOM_INPUT_RELIABLE | 0x80, 33, ...INPUT_FRAME.slice(1)]);
  const MOVE = Uint8Array.from(INPUT_FRAME);
  const group = (...frames: Uint8Array[]) => [...encodeInputGroup(frames)];
  const header = [ROOM_DATA_BYTES, INPUT_GROUP_TYPE];
  /** Every way a group can be malformed, each alone enough to refuse it. */
  const MALFORMED: [string, number[]][] = [
    ["no frames (count 0)", [...header, 0]],
    [
      "more frames than the maximum",
      [...header, INPUT_GROUP_MAX_FRAMES + 1, ...Array.from({ length: INPUT_GROUP_MAX_FRAMES + 1 }, () => [MOVE.length, ...MOVE]).flat()],
    ],
    ["no count", header],
    ["a frame of length 0", [...header, 1, 0]],
    ["a length past the end", [...header, 1, MOVE.length + 1, ...MOVE]],
    ["fewer frames than the count", [...header, 2, MOVE.length, ...MOVE]],
    ["a byte after the last frame", [...group(MOVE, MOVE), 0]],
    ["an unreliable input ring inside (slot length -1)", group(MOVE, Uint8Array.of(0x14, 0x00, 0xff))],
    ["a message inside", group(Uint8Array.from(chatFrame("in a group")))],
    ["a group inside", group(encodeInputGroup([MOVE]))],
    ["a valid frame, then one with an unknown field", group(MOVE, Uint8Array.of(ROOM_INPUT_RELIABLE, 0x80 | 9, 0, 0, 0, 0))],
    ["a valid frame, then a stamp that is not a number", group(STAMPED_MOVE, Uint8Array.of(ROOM_INPUT_RELIABLE | 0x80, 0xcb, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f))],
    ["another bytes message type", [ROOM_DATA_BYTES, INPUT_GROUP_TYPE + 1, ...group(MOVE).slice(2)]],
  ];
  /** `__test:place` with `{ x, y }`, as `room.send` writes it. */
  const placeFrame = (x: number, y: number) => [...message("__test:place", []), ...pack({ x, y })];

  it("a group is one frame to the flood guard and the frame count, and each of its inputs one step, played out one per tick", BOUNDED, async () => {
    scene.observer.pause();
    try {
      const raw = await scene.joinRaw("ws", "Grouped");
      raw.send(placeFrame(300, 150));
      await waitFor("placed", () => scene.observer.state.players.get(raw.sessionId)?.x === 300);
      await settle(100);
      const framesBefore = await scene.metric("arena_frames_received_total");
      const seen: number[] = [];
      const onPatch = () => {
        seen.push(scene.observer.state.players.get(raw.sessionId)?.x ?? NaN);
      };
      scene.observer.room.onStateChange(onPatch);
      // 5 groups of 4 frames, one group every 4 ticks: each input is simulated, none discarded.
      for (let i = 0; i < 5; i++) {
        raw.send(group(MOVE, MOVE, MOVE, MOVE));
        await settle(4 * STEP_SECONDS * 1000);
      }
      const expected = { x: 300, y: 150 };
      for (let i = 0; i < 20; i++) moveBody(expected, 1, 0, STEP_SECONDS);
      await waitFor("20 steps to the right", () => scene.observer.state.players.get(raw.sessionId)?.x === expected.x, 1000).catch(() =>
        assert.equal(scene.observer.state.players.get(raw.sessionId)?.x, expected.x),
      );
      scene.observer.room.onStateChange.remove(onPatch);
      // Played out one per tick (InputBudget), not 4 in one tick: a patch (1.5 ticks) sees 1 or 2 steps, 3 if ticks bunch.
      const jumps = seen.slice(1).map((x, i) => (x - seen[i]) / (PLAYER_SPEED_PX_PER_S * STEP_SECONDS));
      assert.ok(Math.max(...jumps) < 3.5, `steps between patches: ${jumps.map((j) => j.toFixed(1)).join(" ")}`);
      assert.equal((await scene.metric("arena_frames_received_total")) - framesBefore, 5, "5 frames received");
      // 100 groups at once: 400 inputs, far past MAX_MESSAGES_PER_SECOND (120) as frames, not as groups.
      for (let i = 0; i < 100; i++) raw.send(group(MOVE, MOVE, MOVE, MOVE));
      await settle(300);
      assert.equal(raw.closeCode, undefined, "not closed for flooding");
      assert.equal((await scene.metric("arena_frames_received_total")) - framesBefore, 105);
      raw.destroy();
    } finally {
      scene.observer.play();
    }
    await scene.assertSound();
  });

  for (const [why, frame] of MALFORMED) {
    it(`a group with ${why} closes the sender with PROTOCOL_VIOLATION; the seat is not held`, BOUNDED, async () => {
      const rogue = await scene.joinRaw();
      await waitFor("the rogue in the observer's state", () => scene.observer.state.players.has(rogue.sessionId));
      rogue.send(MOVE);
      rogue.send(frame);
      await waitFor("the rogue closed", () => rogue.closeCode, 1000);
      assert.equal(rogue.closeCode, CloseCode.PROTOCOL_VIOLATION);
      await scene.assertGone(rogue.sessionId);
      await scene.assertSound();
    });
  }

  it("nothing of a refused group reaches Colyseus, not even its valid frames", BOUNDED, async () => {
    scene.observer.pause();
    try {
      const rogue = await scene.joinRaw();
      await settle(200);
      const received = await scene.metric('arena_inputs_total{outcome="received"}');
      rogue.send(group(STAMPED_MOVE, STAMPED_MOVE, Uint8Array.of(ROOM_INPUT_RELIABLE, 0x83, 2)));
      await waitFor("the rogue closed", () => rogue.closeCode, 1000);
      assert.equal(rogue.closeCode, CloseCode.PROTOCOL_VIOLATION);
      assert.equal(await scene.metric('arena_inputs_total{outcome="received"}'), received, "no input decoded");
    } finally {
      scene.observer.play();
    }
    await scene.assertSound();
  });

  it("the lobby refuses an input group", BOUNDED, async () => {
    const rogue = await RawClient.join(scene.endpoint, { room: "lobby", body: {} });
    rogue.send(group(MOVE));
    await waitFor("the rogue closed", () => rogue.closeCode, 1000);
    assert.equal(rogue.closeCode, CloseCode.PROTOCOL_VIOLATION);
    await scene.assertSound();
  });
});
