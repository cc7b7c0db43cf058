/**
 * Input groups: several reliable input frames in one WebSocket message.
 *
 * Each frame a player sends costs the server about 15 µs in Node's net and ws
 * layers whatever it carries, so the client sends its input frames
 * INPUT_GROUP_FRAMES at a time. A group changes nothing in the frames
 * themselves: each is still exactly the opcode-19 frame the SDK's input
 * handle writes (one simulation step, its own sequence number, its own
 * render-time stamp), and the server hands each to Colyseus as if it had
 * come alone. Documented in the README, "Wire protocol".
 *
 *     [17][INPUT_GROUP_TYPE][count][length₁][frame₁]…[lengthₙ][frameₙ]
 *
 * 17 is Colyseus's ROOM_DATA_BYTES (`room.sendBytes`), INPUT_GROUP_TYPE its
 * message type (one byte, as schema's `encode.number` writes a small
 * integer), count 1 to INPUT_GROUP_MAX_FRAMES, and each length one byte,
 * 1 to INPUT_FRAME_MAX_BYTES.
 */

/** Frames the client puts in one group: one WebSocket message every 2 ticks (15 a second at 30 Hz). See the README for the measurement behind 2. */
export const INPUT_GROUP_FRAMES = 2;
/** The most frames the server accepts in one group (a client that stalled may send what piled up, up to this). */
export const INPUT_GROUP_MAX_FRAMES = 4;
/** Longest frame a group carries, bytes (one length byte); an input frame of InputFrameSchema is at most 29 (server/test/framePolicy.test.ts). */
export const INPUT_FRAME_MAX_BYTES = 255;
/** Colyseus's ROOM_DATA_BYTES opcode (`@colyseus/shared-types` Protocol; a server test pins it). */
export const ROOM_DATA_BYTES = 17;
/** The ROOM_DATA_BYTES message type that marks an input group (no other bytes message is accepted). */
export const INPUT_GROUP_TYPE = 1;
/** Bytes before the first frame's length: opcode, type, count. */
export const INPUT_GROUP_HEADER_BYTES = 3;

/** One group carrying `frames` (each a whole opcode-19 frame, as the input handle wrote it). */
export function encodeInputGroup(frames: readonly Uint8Array[]): Uint8Array {
  if (frames.length < 1 || frames.length > INPUT_GROUP_MAX_FRAMES) {
    throw new RangeError(`an input group carries 1 to ${INPUT_GROUP_MAX_FRAMES} frames, not ${frames.length}`);
  }
  let size = INPUT_GROUP_HEADER_BYTES;
  for (const frame of frames) {
    if (frame.length < 1 || frame.length > INPUT_FRAME_MAX_BYTES) throw new RangeError(`an input frame of ${frame.length} bytes does not fit a group`);
    size += 1 + frame.length;
  }
  const group = new Uint8Array(size);
  group[0] = ROOM_DATA_BYTES;
  group[1] = INPUT_GROUP_TYPE;
  group[2] = frames.length;
  let at = INPUT_GROUP_HEADER_BYTES;
  for (const frame of frames) {
    group[at++] = frame.length;
    group.set(frame, at);
    at += frame.length;
  }
  return group;
}
