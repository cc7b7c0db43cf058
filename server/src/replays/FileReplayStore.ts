import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { access, lstat, mkdir, open, readdir, rename, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { REPLAY_MAX_BYTES, isReplayId, realClock, type Clock, type ReplayMeta } from "@arena/shared";
import type { ReplaySettings } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { ReplayStore } from "./ReplayStore.ts";

/**
 * Largest stored (gzipped) replay `get` reads; a bigger file is refused
 * (`ReplayTooLarge`), never read whole. The raw bound: gzip makes nothing
 * much larger, so a replay within REPLAY_MAX_BYTES is stored within it.
 */
export const STORED_REPLAY_MAX_BYTES = REPLAY_MAX_BYTES;
/** Largest meta file read; a real one is a few hundred bytes. */
const META_MAX_BYTES = 64 * 1024;
/** Meta files a `list` reads at most (the ones not read before); the rest wait for the next call. */
export const LIST_READS_MAX = 1000;
/**
 * A replay file without its meta (a save cut short between its two renames)
 * and a temp file left by a crash are removed once this old: younger, they
 * may be a save in progress, of this process or another.
 */
const LEFTOVER_MS = 10 * 60_000;

const REPLAY_SUFFIX = ".replay.gz";
const META_SUFFIX = ".json";
const TEMP = /^\.[A-Za-z0-9_-]{16}\.[0-9a-f]+\.tmp$/;

/** A stored meta, checked whole: a file that is not exactly this is ignored (and logged). */
const metaSchema = z.strictObject({
  id: z.string().refine(isReplayId),
  roomId: z.string().max(64),
  mode: z.string().max(32),
  startedAt: z.number().int().nonnegative(),
  endedAt: z.number().int().nonnegative(),
  ticks: z.number().int().nonnegative(),
  players: z.array(z.string().max(64)).max(1024),
  bytes: z.number().int().nonnegative(),
});

/** A stored replay larger than STORED_REPLAY_MAX_BYTES: not read. */
export class ReplayTooLarge extends Error {}

export interface FileReplayStoreOptions extends ReplaySettings {
  log: Logger;
  /** For file ages (retention); a test may step its own. */
  clock?: Clock;
}

/**
 * Replays as files in one directory: `<id>.replay.gz` (the bytes) and
 * `<id>.json` (the meta, written second: a replay is listed once both are
 * there). Each file is written under a temporary name and renamed, so a
 * reader (any process sharing the directory) sees it whole or not at all.
 * After each save the directory is pruned to REPLAY_KEEP replays and
 * REPLAY_MAX_AGE_HOURS, by the meta file's age; several processes may prune
 * at once (a file already gone is no error). Paths are built from
 * `isReplayId` ids only.
 */
export class FileReplayStore implements ReplayStore {
  readonly #dir: string;
  readonly #keep: number;
  readonly #maxAgeMs: number;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #own: boolean;
  /** Metas read, by id (null: malformed, logged once). A meta never changes; an entry goes when its file does. */
  readonly #metas = new Map<string, ReplayMeta | null>();

  constructor(options: FileReplayStoreOptions) {
    this.#dir = options.dir;
    this.#keep = options.keep;
    this.#maxAgeMs = options.maxAgeHours * 3_600_000;
    this.#log = options.log;
    this.#clock = options.clock ?? realClock;
    this.#own = options.own ?? false;
  }

  get dir(): string {
    return this.#dir;
  }

  /**
   * Makes the directory, readable and writable by this user only (at start: a
   * directory that cannot be made or written to stops the server, and so does
   * one that must be this user's own and is not: `own`).
   */
  async open(): Promise<void> {
    try {
      await mkdir(this.#dir, { recursive: true, mode: 0o700 });
      await access(this.#dir, constants.W_OK);
    } catch (error) {
      throw new Error(`REPLAY_DIR ${this.#dir} cannot be made or written to: ${(error as Error).message}`, { cause: error });
    }
    if (this.#own) await this.#checkOwn();
  }

  /**
   * The default directory sits in the machine's shared temp directory, where
   * any user may have made it first: one that is a link, another user's, or
   * writable by others could have replays planted in it, served as this
   * server's, or have this server's removed. Refused with what to do instead.
   */
  async #checkOwn(): Promise<void> {
    const found = await lstat(this.#dir);
    const uid = process.getuid?.();
    const why = found.isSymbolicLink()
      ? "is a symbolic link"
      : !found.isDirectory()
        ? "is not a directory"
        : uid !== undefined && found.uid !== uid
          ? `belongs to another user (uid ${found.uid})`
          : (found.mode & 0o022) !== 0
            ? `is writable by other users (mode ${(found.mode & 0o777).toString(8)})`
            : null;
    if (why !== null) {
      throw new Error(`REPLAY_DIR ${this.#dir} ${why}: another user could plant or remove replays there. Set REPLAY_DIR to a directory of your own, or off.`);
    }
  }

  /**
   * Before a read: the directory, if there, must still be its own (a temp
   * directory's cleaner may have removed it, and another user made it again
   * with replays in it, which must not be listed or served as this server's).
   */
  async #checkOwnIfThere(): Promise<void> {
    if (!this.#own) return;
    try {
      await this.#checkOwn();
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  }

  async save(meta: ReplayMeta, gzipped: Uint8Array): Promise<void> {
    if (!isReplayId(meta.id)) throw new Error(`not a replay id: ${JSON.stringify(meta.id)}`);
    const stored: ReplayMeta = { ...meta, bytes: gzipped.byteLength };
    // Again at each save: a temp directory's cleaner may have removed it since the start (and someone made it since).
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    if (this.#own) await this.#checkOwn();
    await this.#writeWhole(meta.id, REPLAY_SUFFIX, gzipped);
    await this.#writeWhole(meta.id, META_SUFFIX, JSON.stringify(stored));
    this.#metas.set(meta.id, stored);
    await this.prune().catch((err: unknown) => this.#log.error({ err, dir: this.#dir }, "replay retention failed"));
  }

  async list(): Promise<ReplayMeta[]> {
    await this.#checkOwnIfThere();
    const ids = new Set(idsOf(await namesIn(this.#dir), META_SUFFIX));
    for (const id of this.#metas.keys()) if (!ids.has(id)) this.#metas.delete(id);
    const unread = [...ids].filter((id) => !this.#metas.has(id));
    if (unread.length > LIST_READS_MAX) this.#log.warn({ unread: unread.length, dir: this.#dir }, "replay listing: reading the first metas only");
    await Promise.all(unread.slice(0, LIST_READS_MAX).map((id) => this.#meta(id)));
    const metas: ReplayMeta[] = [];
    for (const id of ids) {
      const meta = this.#metas.get(id);
      if (meta) metas.push(meta);
    }
    return metas.sort((a, b) => b.endedAt - a.endedAt || (a.id < b.id ? -1 : 1));
  }

  async get(id: string): Promise<{ meta: ReplayMeta; gzipped: Uint8Array } | null> {
    if (!isReplayId(id)) return null;
    await this.#checkOwnIfThere();
    const meta = await this.#meta(id);
    if (meta === null) return null;
    const gzipped = await readBounded(this.#path(id, REPLAY_SUFFIX), STORED_REPLAY_MAX_BYTES);
    if (gzipped === null) return null;
    if (gzipped === "too large") throw new ReplayTooLarge(`replay ${id} is larger than ${STORED_REPLAY_MAX_BYTES} bytes`);
    return { meta, gzipped };
  }

  /**
   * Applies retention: the newest REPLAY_KEEP replays younger than
   * REPLAY_MAX_AGE_HOURS stay; leftovers of saves cut short go after
   * LEFTOVER_MS. Every file may vanish under it (another process pruning).
   */
  async prune(): Promise<void> {
    const names = await namesIn(this.#dir);
    const now = this.#clock.now();
    const ages = await Promise.all(idsOf(names, META_SUFFIX).map(async (id) => ({ id, mtime: await mtimeOf(this.#path(id, META_SUFFIX)) })));
    const listed = ages.filter((entry): entry is { id: string; mtime: number } => entry.mtime !== null).sort((a, b) => b.mtime - a.mtime);
    const doomed = listed.filter((entry, rank) => rank >= this.#keep || now - entry.mtime > this.#maxAgeMs).map((entry) => entry.id);
    // The meta first: a replay stops being listed before its bytes go.
    for (const id of doomed) {
      await unlinkIfThere(this.#path(id, META_SUFFIX));
      await unlinkIfThere(this.#path(id, REPLAY_SUFFIX));
      this.#metas.delete(id);
    }
    const metaIds = new Set(listed.map((entry) => entry.id));
    const leftovers = [
      ...idsOf(names, REPLAY_SUFFIX)
        .filter((id) => !metaIds.has(id))
        .map((id) => `${id}${REPLAY_SUFFIX}`),
      ...names.filter((n) => TEMP.test(n)),
    ];
    for (const name of leftovers) {
      const mtime = await mtimeOf(join(this.#dir, name));
      if (mtime !== null && now - mtime > LEFTOVER_MS) await unlinkIfThere(join(this.#dir, name));
    }
    if (doomed.length > 0) this.#log.debug({ removed: doomed.length, dir: this.#dir }, "replays removed by retention");
  }

  /** A meta, read once; null if there is none or it is malformed (logged the first time). */
  async #meta(id: string): Promise<ReplayMeta | null> {
    const known = this.#metas.get(id);
    if (known !== undefined) return known;
    const bytes = await readBounded(this.#path(id, META_SUFFIX), META_MAX_BYTES);
    if (bytes === null) return null;
    const meta = bytes === "too large" ? null : parseMeta(bytes, id);
    if (meta === null) this.#log.warn({ file: `${id}${META_SUFFIX}`, dir: this.#dir }, "malformed replay meta ignored");
    this.#metas.set(id, meta);
    return meta;
  }

  async #writeWhole(id: string, suffix: string, data: Uint8Array | string): Promise<void> {
    const temp = join(this.#dir, `.${id}.${randomBytes(6).toString("hex")}.tmp`);
    try {
      await writeFile(temp, data, { flag: "wx" });
      await rename(temp, this.#path(id, suffix));
    } catch (error) {
      await unlinkIfThere(temp);
      throw error;
    }
  }

  #path(id: string, suffix: string): string {
    return join(this.#dir, `${id}${suffix}`);
  }
}

/** The replay ids of the names ending in `suffix`; any other name is not ours and is left alone. */
function idsOf(names: readonly string[], suffix: string): string[] {
  return names
    .filter((name) => name.endsWith(suffix))
    .map((name) => name.slice(0, -suffix.length))
    .filter(isReplayId);
}

function parseMeta(bytes: Uint8Array, id: string): ReplayMeta | null {
  try {
    const parsed = metaSchema.safeParse(JSON.parse(Buffer.from(bytes).toString("utf8")));
    return parsed.success && parsed.data.id === id ? parsed.data : null;
  } catch {
    return null;
  }
}

/** A whole file of at most `max` bytes; null if it is not there, "too large" past `max` (not read). */
async function readBounded(path: string, max: number): Promise<Uint8Array | null | "too large"> {
  let file;
  try {
    file = await open(path, "r");
  } catch (error) {
    if (isGone(error)) return null;
    throw error;
  }
  try {
    const { size } = await file.stat();
    if (size > max) return "too large";
    const buffer = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const { bytesRead } = await file.read(buffer, read, size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return buffer.subarray(0, read);
  } finally {
    await file.close();
  }
}

/** The names in the directory; none if it is gone (a temp directory's cleaner: the next save makes it again). */
async function namesIn(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (isGone(error)) return [];
    throw error;
  }
}

async function mtimeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).mtimeMs;
  } catch (error) {
    if (isGone(error)) return null;
    throw error;
  }
}

async function unlinkIfThere(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (!isGone(error)) throw error;
  }
}

function isGone(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "ENOENT";
}
