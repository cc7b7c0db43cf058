/**
 * The replay format, version 1: everything needed to run a match again
 * through the shared step, exactly (README, "Replays").
 *
 * ```
 * "ARPL"  u8 version  u32le header length  header (UTF-8 JSON, ReplayHeader)
 * ops...  END
 * ```
 * Player handles are indexes in order of appearance: the start world's
 * players, then each JOIN. Varints are unsigned LEB128. Ops (OpReader.ts):
 * - JOIN id, name (strings: varint byte length, UTF-8); LEAVE handle;
 *   CONNECTED handle, u8 0|1; PLACE handle, f64 x, f64 y;
 * - STEP: for each player the step ran frames of, in world order: varint
 *   handle + 1, u8 frame count, frames; then varint 0. A frame: a flags byte
 *   (FrameFlag: fire, sticks and aim the same as this player's previous
 *   frame, fired), float32 moveX, moveY unless the same, float32 aim unless
 *   the same; if it fired, u8 count of seen records, each varint
 *   (target handle * 2 + live) and, unless live, f64 x, f64 y: where the
 *   shooter saw the target (lag compensation), in the order the step asked;
 * - END, the last byte.
 */
import { z } from "zod";
import { isGameMode } from "../modes.ts";
import type { InputFrame } from "../sim/types.ts";
import type { WorldSnapshot } from "../sim/snapshot.ts";
import { worldSnapshotSchema } from "../worldSnapshotSchema.ts";
import { ByteReader, ReplayFormatError } from "./bytes.ts";
import { isReplayId, type ReplayMeta } from "./meta.ts";
import { Op, OpReader, REPLAY_MAX_STRING_BYTES, type SeenRecord } from "./OpReader.ts";

export { ReplayFormatError } from "./bytes.ts";
export { Op, FrameFlag, REPLAY_MAX_FRAMES_PER_STEP, REPLAY_MAX_PLAYERS } from "./OpReader.ts";

export const REPLAY_MAGIC = "ARPL";
export const REPLAY_VERSION = 1;
/** The largest raw (un-gzipped) replay anyone should accept: 4x the recorder's own cut (ReplayRecorder, 4 MB). */
export const REPLAY_MAX_BYTES = 16 * 1024 * 1024;
/** The header's JSON (a world of REPLAY_MAX_PLAYERS players is about 70 KB). */
export const REPLAY_MAX_HEADER_BYTES = 1024 * 1024;
/** Magic, version, header length. */
export const REPLAY_PREFIX_BYTES = 9;

/** The replay's own part of its meta (the stored size is the store's). */
export type ReplayInfo = Omit<ReplayMeta, "bytes">;

/** The JSON header: the meta, the step's rate, and the world the ops start from. */
export interface ReplayHeader extends ReplayInfo {
  tickRate: number;
  /** The step's dt, s (the server's fixed 1/TICK_RATE_HZ). */
  dt: number;
  /** Ops after the header, END not counted. */
  ops: number;
  start: WorldSnapshot;
}

/** A decoded replay: checked whole, its ops kept as bytes that ReplayRunner reads as it runs. */
export interface Replay {
  meta: ReplayInfo;
  tickRate: number;
  dt: number;
  start: WorldSnapshot;
  /** Every player that appears, by handle: the start world's, then each JOIN's. */
  handles: readonly { id: string; name: string }[];
  /** Ops, END not counted. */
  opCount: number;
  /** The raw replay; its ops start at `opsAt` (ReplayRunner reads them as it runs, with file offsets in its errors). */
  bytes: Uint8Array;
  opsAt: number;
}

const count = z.number().int().min(0).max(0xffffffff);
/** ms since the epoch. */
const epochMs = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const mode = z.string().refine(isGameMode, "not a game mode");
const header = z.strictObject({
  id: z.string().refine(isReplayId, "not a replay id"),
  roomId: z.string().max(REPLAY_MAX_STRING_BYTES),
  mode,
  startedAt: epochMs,
  endedAt: epochMs,
  ticks: count,
  players: z.array(z.string().max(REPLAY_MAX_STRING_BYTES)),
  tickRate: z.number().int().min(1).max(1000),
  dt: z.number().positive().max(1),
  ops: count,
  start: worldSnapshotSchema,
}) satisfies z.ZodType<ReplayHeader>;

/**
 * Reads a raw (un-gzipped) replay and checks all of it: the header against
 * its schema, every op, handle, count and value, and the counts the header
 * gives. Total: any input either decodes or throws ReplayFormatError naming
 * what is wrong and at which byte; one pass, each loop consuming bytes, so
 * time is linear in the input and memory is the input's plus its players.
 */
export function decodeReplay(bytes: Uint8Array): Replay {
  if (bytes.length > REPLAY_MAX_BYTES) throw new ReplayFormatError(`replay of ${bytes.length} bytes is more than ${REPLAY_MAX_BYTES} at byte 0`);
  const reader = new ByteReader(bytes);
  const magic = String.fromCharCode(...reader.bytes(4, "magic"));
  if (magic !== REPLAY_MAGIC) reader.fail(`not a replay (magic ${JSON.stringify(magic)}, expected "${REPLAY_MAGIC}")`, 0);
  const version = reader.u8("version");
  if (version !== REPLAY_VERSION) reader.fail(`replay version ${version}, this build reads ${REPLAY_VERSION}`, 4);
  const headerLength = reader.u32("header length");
  if (headerLength > REPLAY_MAX_HEADER_BYTES) reader.fail(`header length ${headerLength} is more than ${REPLAY_MAX_HEADER_BYTES}`, 5);
  const head = readHeader(reader, headerLength);
  const opsAt = reader.offset;
  const handles = checkOps(bytes, opsAt, head);
  const { tickRate, dt, start, ops: opCount, ...meta } = head;
  return { meta, tickRate, dt, start, handles, opCount, bytes, opsAt };
}

function readHeader(reader: ByteReader, length: number): ReplayHeader {
  const at = reader.offset;
  const body = reader.bytes(length, "header");
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch (error) {
    return reader.fail(`header is not JSON (${(error as Error).message})`, at);
  }
  const parsed = header.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return reader.fail(`header does not match the format: ${issue.path.join(".") || "(root)"}: ${issue.message}`, at);
  }
  return parsed.data;
}

/**
 * The checking pass over the ops: every op read as the runner will read it,
 * plus what only the whole log can tell (a JOIN of a player already in, an op
 * on a player gone, the counts the header gives). Returns the handles.
 */
function checkOps(bytes: Uint8Array, opsAt: number, head: ReplayHeader): { id: string; name: string }[] {
  const reader = new OpReader(bytes, opsAt, head.start.players.length);
  const handles = head.start.players.map(([id, player]) => ({ id, name: player.name }));
  const inWorld = new Set<string>(handles.map((h) => h.id));
  const present = handles.map(() => true);
  const frame: InputFrame = { moveX: 0, moveY: 0, aim: 0, fire: false };
  const seen: SeenRecord = { handle: 0, live: true, x: 0, y: 0 };
  const fail = (what: string, at = reader.offset): never => reader.reader.fail(what, at);
  const presentHandle = (what: string): number => {
    const at = reader.offset;
    const handle = reader.handle(what);
    if (!present[handle]) fail(`${what} ${handle} is not in the world`, at);
    return handle;
  };
  let opCount = 0;
  let ticks = 0;
  for (;;) {
    const at = reader.offset;
    const op = reader.op();
    if (op === Op.END) break;
    opCount++;
    if (op === Op.JOIN) {
      const joined = reader.join();
      if (inWorld.has(joined.id)) fail(`player ${JSON.stringify(joined.id)} joins while in the world`, at);
      inWorld.add(joined.id);
      handles.push(joined);
      present.push(true);
    } else if (op === Op.LEAVE) {
      const handle = presentHandle("leaving player");
      present[handle] = false;
      inWorld.delete(handles[handle].id);
    } else if (op === Op.CONNECTED) {
      presentHandle("player");
      reader.connected();
    } else if (op === Op.PLACE) {
      presentHandle("placed player");
      reader.position("x");
      reader.position("y");
    } else {
      ticks++;
      for (let handle = reader.stepPlayer(); handle !== -1; handle = reader.stepPlayer()) {
        if (!present[handle]) fail(`step player ${handle} is not in the world`, at);
        for (let n = reader.frameCount(); n > 0; n--) {
          for (let records = reader.frame(handle, frame); records > 0; records--) reader.seen(seen);
        }
      }
    }
  }
  if (reader.offset !== bytes.length) fail(`${bytes.length - reader.offset} bytes after END`);
  if (opCount !== head.ops) fail(`${opCount} ops, the header says ${head.ops}`);
  if (ticks !== head.ticks) fail(`${ticks} steps, the header says ${head.ticks}`);
  const names = handles.map((h) => h.name);
  if (names.length !== head.players.length || names.some((name, i) => name !== head.players[i])) fail("the header's players are not the replay's");
  return handles;
}
