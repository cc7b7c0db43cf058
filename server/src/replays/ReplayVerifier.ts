import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { REPLAY_MAX_BYTES, ReplayFormatError, decodeReplay } from "@arena/shared";

const gunzipAsync = promisify(gunzip);
/** Ids remembered as sound; past this many the memory starts again (a replay's file never changes, so this only saves work). */
const REMEMBERED_MAX = 1000;

/** A stored replay that does not gunzip or decode: the route answers `corrupt_replay`. */
export class CorruptReplay extends Error {}

/**
 * Checks a stored replay before it is served: it must gunzip to at most
 * REPLAY_MAX_BYTES (what a browser accepts), decode (decodeReplay: all of
 * it, bounded and linear) and be the replay of that id. A replay's file
 * never changes, so each id is checked once (concurrent requests for one id
 * share the check), and its bytes are then served as stored.
 */
export class ReplayVerifier {
  readonly #sound = new Set<string>();
  readonly #checking = new Map<string, Promise<void>>();

  async verify(id: string, gzipped: Uint8Array): Promise<void> {
    if (this.#sound.has(id)) return;
    let check = this.#checking.get(id);
    if (check === undefined) {
      check = checkReplay(id, gzipped).finally(() => this.#checking.delete(id));
      this.#checking.set(id, check);
    }
    await check;
    if (this.#sound.size >= REMEMBERED_MAX) this.#sound.clear();
    this.#sound.add(id);
  }
}

async function checkReplay(id: string, gzipped: Uint8Array): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = await gunzipAsync(gzipped, { maxOutputLength: REPLAY_MAX_BYTES });
  } catch (error) {
    throw new CorruptReplay(`does not gunzip to at most ${REPLAY_MAX_BYTES} bytes: ${(error as Error).message}`, { cause: error });
  }
  let replayId: string;
  try {
    replayId = decodeReplay(bytes).meta.id;
  } catch (error) {
    if (!(error instanceof ReplayFormatError)) throw error;
    throw new CorruptReplay(`does not decode: ${error.message}`, { cause: error });
  }
  if (replayId !== id) throw new CorruptReplay(`holds replay ${replayId}, not ${id}`);
}
