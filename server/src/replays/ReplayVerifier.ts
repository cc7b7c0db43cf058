import { promisify } from "node:util";
import { gunzip } from "node:zlib";

const gunzipAsync = promisify(gunzip);

/** Largest replay, unzipped, that is checked (and that a client is asked to accept). */
export const REPLAY_CHECK_MAX_BYTES = 64 * 1024 * 1024;
/** Ids remembered as sound; past this many the memory starts again (a replay's file never changes, so this only saves work). */
const REMEMBERED_MAX = 1000;

/** A stored replay that does not gunzip or decode: the route answers `corrupt_replay`. */
export class CorruptReplay extends Error {}

/**
 * Checks a stored replay before it is served: it must gunzip within the
 * bound and decode. A replay's file never changes, so each id is checked
 * once (concurrent requests for one id share the check), and its bytes are
 * then served as stored.
 */
export class ReplayVerifier {
  readonly #sound = new Set<string>();
  readonly #checking = new Map<string, Promise<void>>();

  async verify(id: string, gzipped: Uint8Array): Promise<void> {
    if (this.#sound.has(id)) return;
    let check = this.#checking.get(id);
    if (check === undefined) {
      check = checkReplay(gzipped).finally(() => this.#checking.delete(id));
      this.#checking.set(id, check);
    }
    await check;
    if (this.#sound.size >= REMEMBERED_MAX) this.#sound.clear();
    this.#sound.add(id);
  }
}

async function checkReplay(gzipped: Uint8Array): Promise<void> {
  try {
    await gunzipAsync(gzipped, { maxOutputLength: REPLAY_CHECK_MAX_BYTES });
  } catch (error) {
    throw new CorruptReplay(`does not gunzip: ${(error as Error).message}`, { cause: error });
  }
}
