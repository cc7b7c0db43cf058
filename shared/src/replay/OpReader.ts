import type { InputFrame } from "../sim/types.ts";
import { ByteReader } from "./bytes.ts";

/** Op codes: one byte each. */
export const Op = {
  END: 0,
  /** A player joins: id, name (its handle is the next one). */
  JOIN: 1,
  /** A player leaves: handle. */
  LEAVE: 2,
  /** A player's connection drops or comes back: handle, 0 | 1. */
  CONNECTED: 3,
  /** A player is moved outside the step (the `__test:place` hook): handle, f64 x, f64 y. */
  PLACE: 4,
  /** One tick: each player with frames (handle + 1, frame count, frames), then 0. */
  STEP: 5,
} as const;
export type OpCode = (typeof Op)[keyof typeof Op];

/** A frame's flags byte. */
export const FrameFlag = {
  FIRE: 1,
  /** moveX and moveY are this player's previous frame's: no float32s for them. */
  SAME_STICKS: 2,
  /** aim is this player's previous frame's. */
  SAME_AIM: 4,
  /** The frame fired (the step asked `seenBy`): a u8 count of seen records follows the frame. */
  FIRED: 8,
} as const;
const KNOWN_FLAGS = 15;

// Bounds that keep a read of any input small (each loop consumes bytes too).
/** Ids and names, UTF-8 bytes (names are 16 characters: NAME_MAX_CHARS). */
export const REPLAY_MAX_STRING_BYTES = 256;
/** Players with frames in one step (ROOM_CAPACITY's largest). */
export const REPLAY_MAX_PLAYERS = 256;
/** Frames of one player in one step (the input budget runs at most STEPS_PER_TICK_MAX, 4). */
export const REPLAY_MAX_FRAMES_PER_STEP = 64;
/** A stick or an aim outside this is not a sanitised frame. */
const MAX_FRAME_VALUE = 8;

/** One recorded seen position: the target, and where the shooter saw it (`live`: where it is). */
export interface SeenRecord {
  handle: number;
  live: boolean;
  x: number;
  y: number;
}

/**
 * Reads the op section of a replay, op by op, with the per-player state the
 * frames are coded against (each player's previous frame). Every read is
 * checked (ReplayFormatError). Used by decodeReplay's checking pass and by
 * ReplayRunner, so both read the same format.
 */
export class OpReader {
  readonly reader: ByteReader;
  /** moveX, moveY, aim of each handle's previous frame (float32 values). */
  prev: number[];
  /** Handles known so far. */
  handles: number;
  /** The current step's last player handle (players come in increasing handle order: the world's order). */
  #lastPlayer = -1;

  /** `bytes`: a whole replay, its ops from `offset`; `prev`: the previous frames at `offset` (none: all zero). */
  constructor(bytes: Uint8Array, offset: number, startPlayers: number, prev?: number[]) {
    this.reader = new ByteReader(bytes, offset);
    this.handles = startPlayers;
    this.prev = prev ?? new Array<number>(startPlayers * 3).fill(0);
  }

  get offset(): number {
    return this.reader.offset;
  }

  op(): OpCode {
    const at = this.reader.offset;
    const op = this.reader.u8("op code");
    if (op > Op.STEP) this.reader.fail(`unknown op code ${op}`, at);
    if (op === Op.STEP) this.#lastPlayer = -1;
    return op as OpCode;
  }

  /** A JOIN's body: its id and name; the joiner gets the next handle. */
  join(): { id: string; name: string } {
    const id = this.reader.string("player id", REPLAY_MAX_STRING_BYTES);
    const name = this.reader.string("player name", REPLAY_MAX_STRING_BYTES);
    this.handles++;
    this.prev.push(0, 0, 0);
    return { id, name };
  }

  handle(what: string): number {
    return this.reader.varint(what, this.handles - 1);
  }

  connected(): boolean {
    const at = this.reader.offset;
    const value = this.reader.u8("connected flag");
    if (value > 1) this.reader.fail(`connected flag ${value} is not 0 or 1`, at);
    return value === 1;
  }

  /** A finite position (PLACE, seen records). */
  position(what: string): number {
    const at = this.reader.offset;
    const value = this.reader.f64(what);
    if (!Number.isFinite(value)) this.reader.fail(`${what} ${value} is not finite`, at);
    return value;
  }

  /** The next player of a STEP with frames, or -1 at the step's end. */
  stepPlayer(): number {
    const at = this.reader.offset;
    const code = this.reader.varint("step player", this.handles);
    if (code === 0) return -1;
    const handle = code - 1;
    if (handle <= this.#lastPlayer) this.reader.fail(`step player ${handle} after ${this.#lastPlayer}: players come in world order`, at);
    this.#lastPlayer = handle;
    return handle;
  }

  frameCount(): number {
    const at = this.reader.offset;
    const count = this.reader.u8("frame count");
    if (count < 1 || count > REPLAY_MAX_FRAMES_PER_STEP) this.reader.fail(`frame count ${count} is not 1 to ${REPLAY_MAX_FRAMES_PER_STEP}`, at);
    return count;
  }

  /** One frame of `handle` into `out`; returns the number of seen records that follow it, or -1 if it did not fire. */
  frame(handle: number, out: InputFrame): number {
    const at = this.reader.offset;
    const flags = this.reader.u8("frame flags");
    if ((flags & ~KNOWN_FLAGS) !== 0) this.reader.fail(`unknown frame flags ${flags}`, at);
    const base = handle * 3;
    const prev = this.prev;
    if ((flags & FrameFlag.SAME_STICKS) === 0) {
      prev[base] = this.#frameValue("moveX", 1);
      prev[base + 1] = this.#frameValue("moveY", 1);
    }
    if ((flags & FrameFlag.SAME_AIM) === 0) prev[base + 2] = this.#frameValue("aim", MAX_FRAME_VALUE);
    out.moveX = prev[base];
    out.moveY = prev[base + 1];
    out.aim = prev[base + 2];
    out.fire = (flags & FrameFlag.FIRE) !== 0;
    if ((flags & FrameFlag.FIRED) === 0) return -1;
    if (!out.fire) this.reader.fail("a frame fired without its fire flag", at);
    const countAt = this.reader.offset;
    const count = this.reader.u8("seen count");
    // A shot sees each other player at most once.
    if (count >= this.handles) this.reader.fail(`seen count ${count} is more than the ${this.handles - 1} other players`, countAt);
    return count;
  }

  #frameValue(what: string, bound: number): number {
    const at = this.reader.offset;
    const value = this.reader.f32(what);
    if (!(value >= -bound && value <= bound)) this.reader.fail(`${what} ${value} is not a sanitised value`, at);
    return value;
  }

  /** One seen record into `out`. */
  seen(out: SeenRecord): SeenRecord {
    const code = this.reader.varint("seen target", this.handles * 2 - 1);
    out.handle = code >>> 1;
    out.live = (code & 1) === 1;
    if (!out.live) {
      out.x = this.position("seen x");
      out.y = this.position("seen y");
    }
    return out;
  }
}
