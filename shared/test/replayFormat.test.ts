import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  Op,
  REPLAY_MAX_BYTES,
  REPLAY_PREFIX_BYTES,
  ReplayFormatError,
  ReplayRunner,
  ReplayWriter,
  STEP_SECONDS,
  createPlainWorld,
  decodeReplay,
  snapshotWorld,
  listReplayOps,
  livePositions,
  type InputFrame,
  type ListedOp,
  type PlayerState,
  type SeenPosition,
} from "../src/index.ts";
import { REPLAY_ID, recordMatch } from "@arena/testkit";

/** One step's plan for a player: its frames, and for each frame that fires, the seen records its shot gives. */
interface PlannedFrame {
  frame: InputFrame;
  /** Targets as indexes into the players present, each seen live or at x, y; null: the frame does not fire. */
  seen: { target: number; live: boolean; x: number; y: number }[] | null;
}
type Command =
  | { kind: "join"; name: string }
  | { kind: "leave"; pick: number }
  | { kind: "connected"; pick: number; value: boolean }
  | { kind: "place"; pick: number; x: number; y: number }
  | { kind: "step"; frames: PlannedFrame[][] };

const stick = fc.float({ min: -1, max: 1, noNaN: true });
const plannedFrame: fc.Arbitrary<PlannedFrame> = fc
  .record({
    frame: fc.record({ moveX: stick, moveY: stick, aim: fc.float({ min: 0, max: Math.fround(6.28), noNaN: true }), fire: fc.boolean() }),
    seen: fc.option(
      fc.array(
        fc.record({
          target: fc.nat(),
          live: fc.boolean(),
          x: fc.double({ noNaN: true, noDefaultInfinity: true }),
          y: fc.double({ noNaN: true, noDefaultInfinity: true }),
        }),
        { maxLength: 4 },
      ),
    ),
  })
  .map(({ frame, seen }) => ({ frame, seen: frame.fire ? seen : null }));
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant("join" as const), name: fc.string({ maxLength: 16 }) }),
  fc.record({ kind: fc.constant("leave" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("connected" as const), pick: fc.nat(), value: fc.boolean() }),
  fc.record({
    kind: fc.constant("place" as const),
    pick: fc.nat(),
    x: fc.double({ noNaN: true, noDefaultInfinity: true }),
    y: fc.double({ noNaN: true, noDefaultInfinity: true }),
  }),
  fc.record({ kind: fc.constant("step" as const), frames: fc.array(fc.array(plannedFrame, { maxLength: 4 }), { maxLength: 8 }) }),
);

/** Drives a writer with `commands` (the step through its tap, as stepTick would call it) and returns the bytes and the ops it should hold. */
function write(commands: Command[]): { bytes: Uint8Array; expected: ListedOp[] } {
  const world = createPlainWorld("ffa", 1);
  const writer = new ReplayWriter({ roomId: "r", mode: "ffa", tickRate: 30, dt: STEP_SECONDS, start: snapshotWorld(world) });
  const present: { id: string; handle: number; body: PlayerState }[] = [];
  const expected: ListedOp[] = [];
  let handles = 0;
  for (const c of commands) {
    const who = present.length === 0 ? undefined : present[("pick" in c ? c.pick : 0) % present.length];
    if (c.kind === "join") {
      const id = `id${handles}`;
      const body = { x: handles * 10.5, y: -handles } as PlayerState;
      present.push({ id, handle: handles++, body });
      writer.join(id, c.name);
      expected.push({ op: "join", id, name: c.name });
    } else if (c.kind === "leave" && who !== undefined) {
      present.splice(present.indexOf(who), 1);
      writer.leave(who.id);
      expected.push({ op: "leave", handle: who.handle });
    } else if (c.kind === "connected" && who !== undefined) {
      writer.connected(who.id, c.value);
      expected.push({ op: "connected", handle: who.handle, connected: c.value });
    } else if (c.kind === "place" && who !== undefined) {
      writer.place(who.id, c.x, c.y);
      expected.push({ op: "place", handle: who.handle, x: c.x, y: c.y });
    } else if (c.kind === "step") {
      expected.push(step(writer, present, c.frames));
    }
  }
  assert.equal(writer.failure, undefined);
  return { bytes: writer.finish({ id: REPLAY_ID, startedAt: 1_796_560_229_259, endedAt: 1_796_560_239_259 }), expected };
}

function step(writer: ReplayWriter, present: { id: string; handle: number; body: PlayerState }[], plan: PlannedFrame[][]): ListedOp {
  const players: Extract<ListedOp, { op: "step" }>["players"] = [];
  let records: { target: (typeof present)[number]; live: boolean; x: number; y: number }[] = [];
  let next = 0;
  const seenAt = { x: 0, y: 0 };
  const tap = writer.beginStep(
    (id) => plan[present.findIndex((p) => p.id === id)]?.map((f) => f.frame) ?? [],
    () => (_id, target) => {
      const r = records[next++];
      if (r.live) return target;
      seenAt.x = r.x;
      seenAt.y = r.y;
      return seenAt;
    },
  );
  present.forEach(({ id, handle }, index) => {
    const frames = plan[index] ?? [];
    const listed: Extract<ListedOp, { op: "step" }>["players"][number]["frames"] = [];
    // A shot sees each other player at most once, as the step asks.
    const others = present.filter((p) => p.id !== id);
    let n = 0;
    for (const frame of tap.framesOf(id)) {
      const planned = frames[n++];
      assert.equal(frame, planned.frame);
      let seen: NonNullable<Extract<ListedOp, { op: "step" }>["players"][number]["frames"][number]["seen"]> | null = null;
      if (planned.seen !== null) {
        const used = new Set<number>();
        records = planned.seen.flatMap((r) => {
          const i = others.length === 0 ? -1 : r.target % others.length;
          if (i < 0 || used.has(i)) return [];
          used.add(i);
          return [{ ...r, target: others[i] }];
        });
        next = 0;
        const look: SeenPosition = tap.seenBy(id);
        seen = records.map((r) => {
          const at = look(r.target.id, r.target.body);
          // Live when the answer is where the target is (what the writer records as live).
          const live = Object.is(at.x, r.target.body.x) && Object.is(at.y, r.target.body.y);
          return live ? { handle: r.target.handle, live } : { handle: r.target.handle, live, x: r.x, y: r.y };
        });
      }
      listed.push({ frame: { ...planned.frame }, seen });
    }
    if (listed.length > 0) players.push({ handle, frames: listed });
  });
  writer.endStep();
  return { op: "step", players };
}

/** Asserts `fn` throws a ReplayFormatError whose message matches `pattern` and names a byte offset. */
function refuses(fn: () => unknown, pattern: RegExp = /./): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ReplayFormatError, `not a ReplayFormatError: ${String(error)}`);
    assert.match(error.message, pattern);
    assert.match(error.message, /at byte \d+/);
    return true;
  });
}

/** A replay's bytes with the header replaced by `edit(header)`. */
function withHeader(bytes: Uint8Array, edit: (header: any) => unknown): Uint8Array {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(5, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(REPLAY_PREFIX_BYTES, REPLAY_PREFIX_BYTES + length)));
  const json = new TextEncoder().encode(JSON.stringify(edit(header) ?? header));
  const out = new Uint8Array(REPLAY_PREFIX_BYTES + json.length + bytes.length - REPLAY_PREFIX_BYTES - length);
  out.set(bytes.subarray(0, REPLAY_PREFIX_BYTES));
  new DataView(out.buffer).setUint32(5, json.length, true);
  out.set(json, REPLAY_PREFIX_BYTES);
  out.set(bytes.subarray(REPLAY_PREFIX_BYTES + length), REPLAY_PREFIX_BYTES + json.length);
  return out;
}

/** A replay's header with `edit` applied, then `ops` and END. */
function withOps(bytes: Uint8Array, ops: number[], edit: (header: any) => void): Uint8Array {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(5, true);
  const edited = withHeader(bytes.subarray(0, REPLAY_PREFIX_BYTES + length), (h) => void edit(h));
  return Uint8Array.from([...edited, ...ops, Op.END]);
}

describe("replay format", () => {
  it("round trip: random op sequences decode to what was written", () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), (commands) => {
        const { bytes, expected } = write(commands);
        const replay = decodeReplay(bytes);
        assert.deepStrictEqual(listReplayOps(replay).ops, expected);
        assert.equal(replay.opCount, expected.length);
        assert.equal(replay.meta.ticks, expected.filter((op) => op.op === "step").length);
        assert.deepEqual(
          replay.handles.map((h) => h.id),
          expected.flatMap((op) => (op.op === "join" ? [op.id] : [])),
        );
      }),
      { numRuns: 300 },
    );
  });

  it("the writer stops, keeping the ops before, rather than write what it cannot write exactly or the format refuses", () => {
    const frame = { moveX: 0, moveY: 1, aim: 0, fire: false };
    const cases: [string, (w: ReplayWriter) => void][] = [
      ["was never seen joining", (w) => w.leave("nobody")],
      ["joined twice", (w) => w.join("a", "A")],
      [
        "stepped after a later joiner",
        (w) => {
          const tap = w.beginStep(
            () => [frame],
            () => livePositions,
          );
          for (const id of ["b", "a"]) for (const _f of tap.framesOf(id));
          w.endStep();
        },
      ],
      [
        "not float32",
        (w) =>
          void [
            ...w
              .beginStep(
                () => [{ ...frame, aim: 0.1 }],
                () => livePositions,
              )
              .framesOf("a"),
          ],
      ],
      [
        "a step did not finish",
        (w) =>
          void (
            w.beginStep(
              () => [],
              () => livePositions,
            ),
            w.leave("a")
          ),
      ],
    ];
    for (const [why, act] of cases) {
      const writer = new ReplayWriter({ roomId: "r", mode: "ffa", tickRate: 30, dt: STEP_SECONDS, start: snapshotWorld(createPlainWorld("ffa", 1)) });
      writer.join("a", "A");
      writer.join("b", "B");
      act(writer);
      assert.match(writer.failure ?? "", new RegExp(why), why);
      writer.join("c", "C"); // ignored once stopped
      const replay = decodeReplay(writer.finish({ id: REPLAY_ID, startedAt: 0, endedAt: 0 }));
      assert.equal(replay.opCount, 2, why);
    }
  });

  it("the header carries the meta, the rate and the start world", () => {
    const match = recordMatch(5, 60);
    const replay = decodeReplay(match.bytes);
    assert.deepEqual(replay.meta, {
      id: REPLAY_ID,
      roomId: "room1",
      mode: "ffa",
      startedAt: 1000,
      endedAt: 2000,
      ticks: 60,
      players: replay.handles.map((h) => h.name),
    });
    assert.equal(replay.tickRate, 30);
    assert.equal(replay.dt, STEP_SECONDS);
    assert.deepStrictEqual(replay.start, match.worlds[0]);
  });

  it("refuses a wrong magic, a wrong version, a header too long, not JSON or not the schema", () => {
    const { bytes } = recordMatch(7, 10);
    refuses(() => decodeReplay(new Uint8Array()), /truncated: magic/);
    refuses(() => decodeReplay(Uint8Array.from([...new TextEncoder().encode("GIF8"), ...bytes.subarray(4)])), /not a replay/);
    refuses(() => decodeReplay(Uint8Array.from([...bytes.subarray(0, 4), 2, ...bytes.subarray(5)])), /version 2/);
    const long = bytes.slice();
    new DataView(long.buffer).setUint32(5, 0xffffffff, true);
    refuses(() => decodeReplay(long), /header length 4294967295 is more than/);
    const short = bytes.slice();
    new DataView(short.buffer).setUint32(5, bytes.length, true);
    refuses(() => decodeReplay(short), /truncated: header/);
    const garbage = bytes.slice();
    garbage[REPLAY_PREFIX_BYTES] = "x".charCodeAt(0);
    refuses(() => decodeReplay(garbage), /header is not JSON/);
    refuses(() => decodeReplay(withHeader(bytes, (h) => ({ ...h, extra: 1 }))), /header does not match/);
    refuses(() => decodeReplay(withHeader(bytes, (h) => ({ ...h, id: "../../etc/passwd" }))), /id: not a replay id/);
    refuses(() => decodeReplay(withHeader(bytes, (h) => void (h.start.mode = "nope"))), /start.mode/);
    refuses(() => decodeReplay(withHeader(bytes, (h) => void h.start.pickups.pop())), /start.pickups/);
    refuses(() => decodeReplay(withHeader(bytes, (h) => void (h.ticks += 1))), /steps, the header says/);
    refuses(() => decodeReplay(withHeader(bytes, (h) => void (h.ops -= 1))), /ops, the header says/);
    refuses(() => decodeReplay(withHeader(bytes, (h) => void h.players.push("Ghost"))), /players are not the replay's/);
    refuses(() => decodeReplay(new Uint8Array(REPLAY_MAX_BYTES + 1)), /more than/);
  });

  it("refuses unknown ops, bad handles, huge counts, bad values and bytes after END", () => {
    const { bytes } = write([{ kind: "join", name: "A" }]);
    const join = [Op.JOIN, 2, 105, 100, 1, 65];
    const join2 = [Op.JOIN, 2, 105, 101, 1, 65];
    const frame = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const cases: [number[], RegExp, (h: any) => void][] = [
      [[9], /unknown op code 9 at byte/, () => {}],
      [[Op.LEAVE, 3], /leaving player 3 is more than 0/, (h) => (h.ops = 1)],
      [[Op.LEAVE, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], /longer than 5 bytes/, (h) => (h.ops = 1)],
      [[Op.LEAVE, 0, Op.LEAVE, 0], /leaving player 0 is not in the world/, (h) => (h.ops = 2)],
      [[Op.CONNECTED, 0, 2], /connected flag 2/, (h) => (h.ops = 1)],
      [[Op.PLACE, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0], /x Infinity is not finite/, (h) => (h.ops = 1)],
      [[Op.STEP, 1, 255, ...frame, 0], /frame count 255 is not 1 to 64/, (h) => (h.ticks = h.ops = 1)],
      [[Op.STEP, 1, 0], /frame count 0/, (h) => (h.ticks = h.ops = 1)],
      [[Op.STEP, 2], /step player 2 is more than 1/, (h) => (h.ticks = h.ops = 1)],
      [[Op.STEP, 1, 1, 0, 0, 0, 0x80, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0, 0], /moveX Infinity is not a sanitised value/, (h) => (h.ticks = h.ops = 1)],
      [[Op.STEP, 1, 1, 0x10, 0], /unknown frame flags 16/, (h) => (h.ticks = h.ops = 1)],
      [[Op.STEP, 1, 1, 0x08 | 0x06, 0], /fired without its fire flag/, (h) => (h.ticks = h.ops = 1)],
      [[Op.STEP, 1, 1, 0x0f, 255], /seen count 255 is more than the 0 other players/, (h) => (h.ticks = h.ops = 1)],
      [[...join2, Op.STEP, 1, 1, 0x0f, 1, 2, 0, 0], /truncated: seen x/, (h) => ((h.ticks = 1), (h.ops = 2), (h.players = ["A", "A"]))],
      [[Op.STEP, 1, 1, 0x06, 1, 1, 0x06, 0], /step player 0 after 0/, (h) => (h.ticks = h.ops = 1)],
      [[Op.STEP, 0, Op.END, 0], /bytes after END/, (h) => (h.ticks = h.ops = 1)],
      [[...join], /player "id" joins while in the world/, (h) => ((h.ops = 1), (h.players = ["A", "A"]))],
    ];
    for (const [ops, pattern, header] of cases) {
      const edited = withOps(bytes, ops, (h) => {
        h.start.players = [["id", PLAYER]];
        h.players = ["A"];
        h.ops = 0;
        header(h);
      });
      refuses(() => decodeReplay(edited), pattern);
    }
  });

  it("refuses every truncation of a real replay", () => {
    const { bytes } = recordMatch(11, 45);
    decodeReplay(bytes);
    for (let length = 0; length < bytes.length; length++) refuses(() => decodeReplay(bytes.subarray(0, length)));
  });

  it("random byte flips: a clear error or a replay that runs (or diverges with a clear error), never anything else", () => {
    const { bytes } = recordMatch(13, 90);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (flips) => {
        const copy = bytes.slice();
        for (const [at, xor] of flips) copy[at] ^= xor;
        try {
          const replay = decodeReplay(copy);
          new ReplayRunner(replay).runOps(replay.opCount);
        } catch (error) {
          if (!(error instanceof ReplayFormatError)) throw error;
          assert.match(error.message, /at byte \d+/);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

/** A player as the start snapshot holds one (a valid player for the edited headers). */
const PLAYER = {
  name: "A",
  x: 100,
  y: 100,
  aim: 0,
  hp: 100,
  score: 0,
  alive: true,
  connected: true,
  shielded: false,
  fireCooldownS: 0,
  respawnS: 0,
  shieldS: 0,
};
