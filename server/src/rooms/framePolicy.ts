import { decode, type Iterator } from "@colyseus/schema";
import { Protocol, ProtocolModifier } from "@colyseus/shared-types";
import type { BodyCheck } from "./inputGrammar.ts";
import { inputGroupPolicy } from "./inputGroups.ts";
import { isPlainMsgpack } from "./msgpackGrammar.ts";

/**
 * Decides from a frame's bytes alone whether a room hands it to Colyseus.
 * Runs before any of Colyseus's decoders, so it must itself be total: no
 * throw, no loop over a count taken from the frame, no allocation beyond the
 * frame's size.
 */
export type FramePolicy = (frame: Uint8Array) => boolean;

/** Longest message type accepted (the project's are short words). */
const MESSAGE_TYPE_MAX_CHARS = 64;

/** Join acknowledgement, leave and ping carry nothing after their opcode. */
const bare: FramePolicy = (frame) => frame.length === 1;

/**
 * ROOM_DATA (`room.send(type, payload)`): `[13][type][payload?]`, the type a
 * msgpack string or number and the payload one whole plain msgpack value
 * (msgpackGrammar.ts: no extensions but msgpackr's records and `undefined`,
 * whose decoding could cost exponential time). Checked by scanning, never by
 * decoding. Colyseus answers an undecodable payload by closing with its
 * generic 4002, holding the seat and printing a stack trace; refused here
 * instead.
 */
export const isMessage: FramePolicy = (frame) => {
  const it: Iterator = { offset: 1 };
  if (frame.length < 2) return false;
  if (decode.stringCheck(frame, it)) {
    // decode.string clamps a declared length to the frame: check it first.
    const length = stringLength(frame);
    if (length > MESSAGE_TYPE_MAX_CHARS * 4 || 2 + length > frame.length) return false;
    const type = decode.string(frame, it);
    if (type.length > MESSAGE_TYPE_MAX_CHARS) return false;
  } else {
    const type = decode.number(frame, it);
    if (!Number.isSafeInteger(type)) return false;
  }
  if (it.offset > frame.length) return false;
  return it.offset === frame.length || isPlainMsgpack(frame, it.offset);
};

/**
 * Bytes after the prefix of the string at offset 1: its length header (str8,
 * str16, str32; little-endian, as schema's `decode.string` reads it) and
 * the length it declares.
 */
function stringLength(frame: Uint8Array): number {
  const prefix = frame[1];
  if (prefix < 0xc0) return prefix & 0x1f;
  const header = ({ 0xd9: 1, 0xda: 2, 0xdb: 4 } as Record<number, number>)[prefix] ?? Infinity;
  if (2 + header > frame.length) return Infinity;
  let length = 0;
  for (let i = header - 1; i >= 0; i--) length = length * 256 + frame[2 + i];
  return header + length;
}

/**
 * A reliable input frame (`room.input().send()`): `[19 | TIMED?]`, with TIMED
 * a stamp `[varint Δstamp]` (plus `[uint16 renderDelta]` when the room's
 * rewind timeline stamps both reckon and render time, core
 * `RoomInput.decodeReliable`), then one input body. A stamp that is not a
 * finite integer would turn the sender's running stamp baseline into NaN for
 * the rest of its session.
 */
export function reliableInput(body: BodyCheck, stampsBoth: () => boolean): FramePolicy {
  // Core resolves the stamp mode once, at the first handshake or input, and keeps it.
  let both: boolean | undefined;
  return (frame) => {
    if ((frame[0] & ProtocolModifier.TIMED) === 0) return body(frame, 1);
    const it: Iterator = { offset: 1 };
    const delta = decode.number(frame, it);
    if (!Number.isSafeInteger(delta) || it.offset > frame.length) return false;
    both ??= stampsBoth();
    if (both) it.offset += 2;
    return it.offset <= frame.length && body(frame, it.offset);
  };
}

/**
 * The frames one room type accepts, by leading byte (opcode with its modifier
 * bits, `@colyseus/shared-types` Protocol). Whatever is not listed, Colyseus
 * never sees: the unreliable input ring (opcode 20), requests, raw bytes
 * (but an arena's input groups) and any future opcode included.
 */
export function framePolicy(byLeadingByte: ReadonlyMap<number, FramePolicy>): FramePolicy {
  const table: (FramePolicy | undefined)[] = Array.from({ length: 256 }, (_, byte) => byLeadingByte.get(byte));
  return (frame) => frame.length > 0 && table[frame[0]]?.(frame) === true;
}

/** What the SDK sends to any room: the join acknowledgement, leave, and messages. */
export const CONTROL_AND_MESSAGES: ReadonlyMap<number, FramePolicy> = new Map([
  [Protocol.JOIN_ROOM, bare],
  [Protocol.LEAVE_ROOM, bare],
  [Protocol.ROOM_DATA, isMessage],
]);

/**
 * A match: control and messages, pings (the HUD's latency), reliable input
 * frames with or without their stamp, alone or in an input group (a
 * ROOM_DATA_BYTES frame of the project's own type, inputGroups.ts; no other
 * bytes message).
 */
export function arenaFrames(input: BodyCheck, stampsBoth: () => boolean): FramePolicy {
  const inputFrame = reliableInput(input, stampsBoth);
  const inputFrames = new Map([
    [Protocol.ROOM_INPUT_RELIABLE, inputFrame],
    [Protocol.ROOM_INPUT_RELIABLE | ProtocolModifier.TIMED, inputFrame],
  ]);
  return framePolicy(
    new Map([...CONTROL_AND_MESSAGES, [Protocol.PING, bare], ...inputFrames, [Protocol.ROOM_DATA_BYTES, inputGroupPolicy(framePolicy(inputFrames))]]),
  );
}

/** A match's spectator: control, messages (telemetry; chat is refused by the room) and pings; no input frame, alone or grouped. */
export const spectatorFrames: FramePolicy = framePolicy(new Map([...CONTROL_AND_MESSAGES, [Protocol.PING, bare]]));

/** The lobby: control and messages (`filter`) only. */
export const lobbyFrames: FramePolicy = framePolicy(CONTROL_AND_MESSAGES);
