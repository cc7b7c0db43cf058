import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { encode } from "@colyseus/schema";
import { InputDecoder, InputEncoder } from "@colyseus/schema/input";
import { Protocol as SdkProtocol } from "@colyseus/sdk";
import { Protocol, ProtocolModifier } from "@colyseus/shared-types";
import { pack } from "msgpackr";
import { INPUT_FRAME_MAX_BYTES, INPUT_GROUP_MAX_FRAMES, INPUT_GROUP_TYPE, InputFrameSchema, encodeInputGroup } from "@arena/shared";
import { arenaFrames, isMessage, lobbyFrames, type FramePolicy } from "../src/rooms/framePolicy.ts";
import { compileInputGrammar } from "../src/rooms/inputGrammar.ts";
import { forEachGroupedFrame } from "../src/rooms/inputGroups.ts";

/**
 * The frame policies on their own (no sockets): what each room type lets
 * through to Colyseus, pinned against the SDK's protocol constants and the
 * schema's own input encoder.
 */
const body = compileInputGrammar(InputFrameSchema);
const arena = arenaFrames(body, () => false);
const TIMED = ProtocolModifier.TIMED;

/** A frame as the SDK's input handle sends it: leading byte, optional stamp, InputEncoder bytes. */
function inputFrame(values: { moveX: number; moveY: number; aim: number; fire: boolean }, stamp?: number): Uint8Array {
  const encoder = new InputEncoder(new InputFrameSchema());
  Object.assign(encoder.instance, values);
  const bytes = encoder.encode();
  const head: number[] = [stamp === undefined ? Protocol.ROOM_INPUT_RELIABLE : Protocol.ROOM_INPUT_RELIABLE | TIMED];
  if (stamp !== undefined) {
    const it = { offset: 0 };
    const buf = new Uint8Array(9);
    encode.number(buf, stamp, it);
    head.push(...buf.subarray(0, it.offset));
  }
  return Uint8Array.from([...head, ...bytes]);
}

/** A ROOM_DATA frame as `room.send(type, payload)` builds it. */
function messageFrame(type: string, payload?: unknown): Uint8Array {
  const it = { offset: 0 };
  const buf = new Uint8Array(256);
  encode.string(buf, type, it);
  const rest = payload === undefined ? new Uint8Array() : pack(payload);
  return Uint8Array.from([Protocol.ROOM_DATA, ...buf.subarray(0, it.offset), ...rest]);
}

/** Leading bytes a policy lets through with a sample body for each opcode. */
function allowedLeadingBytes(policy: FramePolicy): number[] {
  const sample = (byte: number): Uint8Array[] => [
    Uint8Array.of(byte),
    Uint8Array.from([byte, ...inputFrame({ moveX: 1, moveY: 0, aim: 0, fire: false }).subarray(1)]),
    Uint8Array.from([byte, ...inputFrame({ moveX: 1, moveY: 0, aim: 0, fire: false }, 5).subarray(1)]),
    Uint8Array.from([byte, ...messageFrame("chat", { text: "hi" }).subarray(1)]),
    Uint8Array.from([byte, ...encodeInputGroup([inputFrame({ moveX: 1, moveY: 0, aim: 0, fire: false }, 5)]).subarray(1)]),
  ];
  return Array.from({ length: 256 }, (_, byte) => byte).filter((byte) => sample(byte).some(policy));
}

describe("frame policies", () => {
  it("the project's opcodes are the SDK's", () => {
    for (const name of ["JOIN_ROOM", "LEAVE_ROOM", "ROOM_DATA", "ROOM_DATA_BYTES", "PING", "ROOM_INPUT_RELIABLE", "ROOM_INPUT_UNRELIABLE"] as const) {
      assert.equal(SdkProtocol[name], Protocol[name], name);
    }
  });

  it("a match accepts join ack, leave, messages, ping, reliable inputs with or without a stamp, and input groups; nothing else", () => {
    assert.deepEqual(
      allowedLeadingBytes(arena),
      [
        Protocol.JOIN_ROOM,
        Protocol.LEAVE_ROOM,
        Protocol.ROOM_DATA,
        Protocol.ROOM_DATA_BYTES,
        Protocol.PING,
        Protocol.ROOM_INPUT_RELIABLE,
        Protocol.ROOM_INPUT_RELIABLE | TIMED,
      ].sort((a, b) => a - b),
    );
  });

  it("the lobby accepts join ack, leave and messages only (no input groups)", () => {
    assert.deepEqual(allowedLeadingBytes(lobbyFrames), [Protocol.JOIN_ROOM, Protocol.LEAVE_ROOM, Protocol.ROOM_DATA]);
  });

  it("every group of 1 to INPUT_GROUP_MAX_FRAMES input frames is accepted, and splits back into those frames", () => {
    const f32 = fc.float({ noNaN: false });
    const frame = fc
      .tuple(f32, f32, f32, fc.boolean(), fc.option(fc.integer({ min: -1e6, max: 1e6 }), { nil: undefined }))
      .map(([moveX, moveY, aim, fire, stamp]) => inputFrame({ moveX, moveY, aim, fire }, stamp));
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: INPUT_GROUP_MAX_FRAMES }), (frames) => {
        const group = encodeInputGroup(frames);
        assert.ok(arena(group), `refused ${Buffer.from(group).toString("hex")}`);
        const split: number[][] = [];
        forEachGroupedFrame(Buffer.from(group), (f) => split.push([...f]));
        assert.deepEqual(
          split,
          frames.map((f) => [...f]),
        );
      }),
      { numRuns: 300 },
    );
  });

  it("the longest input frame (29 bytes) fits a group's length byte", () => {
    // Every field set, the widest stamp (a float64), and the render delta of a room that stamps both times.
    const worst = inputFrame({ moveX: 0.1, moveY: 0.2, aim: 0.3, fire: true }, -(2 ** 40 + 1)).length + 2;
    assert.equal(worst, 29);
    assert.ok(worst <= INPUT_FRAME_MAX_BYTES);
  });

  it("refuses malformed input groups whole", () => {
    const move = inputFrame({ moveX: 1, moveY: 0, aim: 0, fire: false }, 33);
    const group = (...frames: Uint8Array[]) => [...encodeInputGroup(frames)];
    const head = [Protocol.ROOM_DATA_BYTES, INPUT_GROUP_TYPE];
    for (const [why, frame] of [
      ["no frames (count 0)", [...head, 0]],
      ["more frames than the maximum", [...head, INPUT_GROUP_MAX_FRAMES + 1, ...Array.from({ length: INPUT_GROUP_MAX_FRAMES + 1 }, () => [1, 19]).flat()]],
      ["no count", head],
      ["a count with no frames after it", [...head, 2]],
      ["a frame of length 0", [...head, 1, 0]],
      ["a length past the end", [...head, 1, move.length + 1, ...move]],
      ["fewer frames than the count", [...group(move).slice(0, 2), 2, ...group(move).slice(3)]],
      ["a byte after the last frame", [...group(move, move), 19]],
      ["a frame that is a message", group(messageFrame("chat", { text: "hi" }))],
      ["a frame that is an unreliable input", group(Uint8Array.of(Protocol.ROOM_INPUT_UNRELIABLE, 0, 1, 19))],
      ["a group inside a group", group(encodeInputGroup([move]))],
      ["a valid frame then a bad body", group(move, Uint8Array.of(Protocol.ROOM_INPUT_RELIABLE, 0x80 | 9, 0, 0, 0, 0))],
      ["a valid frame then a stamp that is not a number", group(move, Uint8Array.of(Protocol.ROOM_INPUT_RELIABLE | TIMED, 0xcb, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f))],
      ["another bytes message type", [Protocol.ROOM_DATA_BYTES, INPUT_GROUP_TYPE + 1, ...group(move).slice(2)]],
      ["a string message type", [Protocol.ROOM_DATA_BYTES, 0xa1, 0x69, ...group(move).slice(2)]],
      ["modifier bits on the opcode", [Protocol.ROOM_DATA_BYTES | TIMED, ...group(move).slice(1)]],
    ] as const) {
      assert.equal(arena(Uint8Array.from(frame)), false, why);
    }
    assert.ok(arena(Uint8Array.from(group(move, Uint8Array.of(Protocol.ROOM_INPUT_RELIABLE)))), "a body-less frame in a group");
  });

  it("every input frame the schema's encoder writes is accepted, and decodes to what was sent", () => {
    const f32 = fc.float({ noNaN: false });
    fc.assert(
      fc.property(f32, f32, f32, fc.boolean(), fc.option(fc.integer({ min: -1e6, max: 1e6 }), { nil: undefined }), (moveX, moveY, aim, fire, stamp) => {
        const frame = inputFrame({ moveX, moveY, aim, fire }, stamp);
        assert.ok(arena(frame), `refused ${Buffer.from(frame).toString("hex")}`);
        const decoded = new InputDecoder(new InputFrameSchema()).decode(frame.subarray(1 + (stamp === undefined ? 0 : stampLength(stamp))));
        const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));
        assert.ok(same(decoded.moveX, Math.fround(moveX)) && same(decoded.aim, Math.fround(aim)) && decoded.fire === fire);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses input bodies Colyseus's decoder would mis-read or log about", () => {
    const good = inputFrame({ moveX: 1, moveY: -1, aim: 2, fire: true });
    for (const [why, frame] of [
      ["unknown field index", [Protocol.ROOM_INPUT_RELIABLE, 0x80 | 9, 0, 0, 0, 0]],
      ["structure switch", [Protocol.ROOM_INPUT_RELIABLE, 0xff, 0x00, 0x3f]],
      ["delete operation", [Protocol.ROOM_INPUT_RELIABLE, 0x40 | 1]],
      ["a field twice", [Protocol.ROOM_INPUT_RELIABLE, 0x80, 0, 0, 0, 0, 0x80, 0, 0, 0, 0]],
      ["truncated value", [...good.subarray(0, good.length - 1)]],
      ["trailing byte", [...good, 0]],
      ["boolean that is not 0 or 1", [Protocol.ROOM_INPUT_RELIABLE, 0x83, 2]],
      ["stamp that is not a number", [Protocol.ROOM_INPUT_RELIABLE | TIMED, 0xcb, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f]],
      ["stamp past the end", [Protocol.ROOM_INPUT_RELIABLE | TIMED, 0xce, 0xff]],
    ] as const) {
      assert.equal(arena(Uint8Array.from(frame)), false, why);
    }
    assert.ok(arena(Uint8Array.of(Protocol.ROOM_INPUT_RELIABLE)), "an input that changed nothing has no body");
  });

  it("when the rewind timeline stamps reckon and render time, the stamp's second half is required", () => {
    const both = arenaFrames(body, () => true);
    const frame = inputFrame({ moveX: 0.5, moveY: 0, aim: 0, fire: false }, 3);
    const withDelta = Uint8Array.from([...frame.subarray(0, 2), 0x10, 0x00, ...frame.subarray(2)]);
    assert.ok(both(withDelta));
    assert.equal(both(Uint8Array.of(Protocol.ROOM_INPUT_RELIABLE | TIMED, 3, 0x10)), false);
  });

  it("messages: a type and one whole msgpack value", () => {
    assert.ok(isMessage(messageFrame("chat", { text: "hello" })));
    assert.ok(isMessage(messageFrame("filter")));
    assert.equal(isMessage(Uint8Array.of(Protocol.ROOM_DATA)), false, "no type");
    assert.equal(isMessage(Uint8Array.from([...messageFrame("chat"), 0xdd, 0xff, 0xff, 0xff, 0xff])), false, "array of 2^32-1 past the end");
    assert.equal(isMessage(messageFrame("x".repeat(65))), false, "type too long");
    assert.equal(isMessage(Uint8Array.of(Protocol.ROOM_DATA, 0xdb, 0xff, 0xff, 0xff, 0xff)), false, "type length past the end");
  });

  it("is total: any bytes give a boolean, quickly, whatever they claim", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(...[10, 12, 13, 17, 18, 19, 20, 21, 147, 148, 0xff]), (rest, lead) => {
        const frame = Uint8Array.from([lead, ...rest]);
        for (const policy of [arena, lobbyFrames, arenaFrames(body, () => true)]) assert.equal(typeof policy(frame), "boolean");
      }),
      { numRuns: 2000 },
    );
  });
});

function stampLength(stamp: number): number {
  const it = { offset: 0 };
  encode.number(new Uint8Array(9), stamp, it);
  return it.offset;
}
