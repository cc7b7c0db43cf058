import type { InputFrame } from "../sim/types.ts";
import type { Replay } from "./format.ts";
import { Op, OpReader, type SeenRecord } from "./OpReader.ts";

/** One op of a replay as plain data (listReplayOps). */
export type ListedOp =
  | { op: "join"; id: string; name: string }
  | { op: "leave"; handle: number }
  | { op: "connected"; handle: number; connected: boolean }
  | { op: "place"; handle: number; x: number; y: number }
  | { op: "step"; players: ListedStepPlayer[] };

/** A player's frames in one step; each frame's seen records if it fired (null if not). */
export interface ListedStepPlayer {
  handle: number;
  frames: { frame: InputFrame; seen: ListedSeen[] | null }[];
}

/** Where a shot saw a target: `live` (where it was), or at x, y. */
export type ListedSeen = { handle: number; live: true } | { handle: number; live: false; x: number; y: number };

/**
 * A decoded replay's ops as plain objects, with the byte offset of each seen
 * record: for tools and tests that inspect a replay (an object per frame:
 * not for running one; ReplayRunner reads the bytes).
 */
export function listReplayOps(replay: Replay): { ops: ListedOp[]; seenAt: number[] } {
  const reader = new OpReader(replay.bytes, replay.opsAt, replay.start.players.length);
  const ops: ListedOp[] = [];
  const seenAt: number[] = [];
  const record: SeenRecord = { handle: 0, live: true, x: 0, y: 0 };
  for (let op = reader.op(); op !== Op.END; op = reader.op()) {
    if (op === Op.JOIN) ops.push({ op: "join", ...reader.join() });
    else if (op === Op.LEAVE) ops.push({ op: "leave", handle: reader.handle("leaving player") });
    else if (op === Op.CONNECTED) ops.push({ op: "connected", handle: reader.handle("player"), connected: reader.connected() });
    else if (op === Op.PLACE) ops.push({ op: "place", handle: reader.handle("placed player"), x: reader.position("x"), y: reader.position("y") });
    else {
      const players: ListedStepPlayer[] = [];
      for (let handle = reader.stepPlayer(); handle !== -1; handle = reader.stepPlayer()) {
        const frames: ListedStepPlayer["frames"] = [];
        for (let n = reader.frameCount(); n > 0; n--) {
          const frame: InputFrame = { moveX: 0, moveY: 0, aim: 0, fire: false };
          const records = reader.frame(handle, frame);
          const seen: ListedSeen[] | null = records === -1 ? null : [];
          for (let i = 0; i < records; i++) {
            seenAt.push(reader.offset);
            const { handle: target, live, x, y } = reader.seen(record);
            seen!.push(live ? { handle: target, live } : { handle: target, live, x, y });
          }
          frames.push({ frame, seen });
        }
        players.push({ handle, frames });
      }
      ops.push({ op: "step", players });
    }
  }
  return { ops, seenAt };
}
