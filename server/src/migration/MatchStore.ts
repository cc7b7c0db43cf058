import type { Redis } from "ioredis";

/**
 * A store error as it may be logged. ioredis attaches the failed command
 * and its arguments to a reply error (`err.command.args`): for a snapshot,
 * the whole snapshot with its players' reconnection tokens.
 */
export function redisError(err: unknown): { name: string; message: string } {
  return err instanceof Error ? { name: err.name, message: err.message } : { name: "Error", message: String(err) };
}

/** The owner a snapshot has when nobody hosts its match: any live process may take it. */
export const NO_OWNER = "";

/**
 * Where matches keep their snapshots, fenced by owner: only the process that
 * hosts a match writes its snapshot, and taking a match over is one atomic
 * compare-and-set of its owner, so two processes never both restore it. A
 * write is also the owner's lease: a match may be taken from an owner only
 * once its last write is older than the lease (timed by the store's own
 * clock), so an owner that only lost the store for a moment keeps it.
 */
export interface MatchStore {
  /**
   * Writes a match's snapshot as `owner`; false (nothing written) when
   * another process owns the match now, or it was handed over. Kept for
   * `ttlMs` after the last write.
   */
  save(roomId: string, owner: string, json: string, ttlMs: number): Promise<boolean>;
  /**
   * Who owns each stored match, and how long ago its owner last wrote it, ms
   * (by the store's clock); expired ones are dropped from the index.
   */
  owners(): Promise<Map<string, { owner: string; idleMs: number }>>;
  /** The owner of one match, or null if none is stored. */
  ownerOf(roomId: string): Promise<string | null>;
  /**
   * Atomically moves a match from owner `from` to `to`; returns its snapshot
   * if this call did it, null if the owner was not `from` (someone else took
   * it, or it is gone) or, when `leaseMs` is given, if `from` wrote less
   * than `leaseMs` ago.
   */
  takeOver(roomId: string, from: string, to: string, leaseMs?: number): Promise<string | null>;
  /** Deletes a match's snapshot if `owner` owns it. */
  remove(roomId: string, owner: string): Promise<void>;
}

const INDEX = "arena:matches";
const key = (roomId: string) => `arena:match:${roomId}`;

/** The store's clock, ms (Redis's TIME: one clock for every process). */
const NOW_MS = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)";

// KEYS[1] match key, KEYS[2] index; ARGV: owner, json, ttl ms, roomId.
const SAVE = `
${NOW_MS}
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner and owner ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'snapshot', ARGV[2], 'at', now)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
return 1`;

// KEYS[1] match key; ARGV: from, to, lease ms (0: none).
const TAKE_OVER = `
${NOW_MS}
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner ~= ARGV[1] then return false end
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or '0')
if now - at < tonumber(ARGV[3]) then return false end
redis.call('HSET', KEYS[1], 'owner', ARGV[2])
return redis.call('HGET', KEYS[1], 'snapshot')`;

// KEYS[1] match key, KEYS[2] index; ARGV: owner, roomId.
const REMOVE = `
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner and owner ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
return 1`;

/** The connection with the store's scripts defined on it (ioredis types them only at run time). */
type StoreRedis = Redis & {
  arenaMatchSave(match: string, index: string, owner: string, json: string, ttlMs: number, roomId: string): Promise<number>;
  arenaMatchTakeOver(match: string, from: string, to: string, leaseMs: number): Promise<string | null>;
  arenaMatchRemove(match: string, index: string, owner: string, roomId: string): Promise<number>;
};

/** MatchStore on Redis: a hash per match (owner, snapshot) with a TTL, and a set indexing them. */
export class RedisMatchStore implements MatchStore {
  readonly #scripts: StoreRedis;

  constructor(private readonly redis: Redis) {
    // EVALSHA, not the script's text at every write (EVAL on a connection's first use, or if Redis lost it).
    redis.defineCommand("arenaMatchSave", { numberOfKeys: 2, lua: SAVE });
    redis.defineCommand("arenaMatchTakeOver", { numberOfKeys: 1, lua: TAKE_OVER });
    redis.defineCommand("arenaMatchRemove", { numberOfKeys: 2, lua: REMOVE });
    this.#scripts = redis as StoreRedis;
  }

  async save(roomId: string, owner: string, json: string, ttlMs: number): Promise<boolean> {
    return (await this.#scripts.arenaMatchSave(key(roomId), INDEX, owner, json, ttlMs, roomId)) === 1;
  }

  async owners(): Promise<Map<string, { owner: string; idleMs: number }>> {
    const roomIds = await this.redis.smembers(INDEX);
    const owners = new Map<string, { owner: string; idleMs: number }>();
    if (roomIds.length === 0) return owners;
    const pipeline = this.redis.pipeline();
    pipeline.time();
    for (const roomId of roomIds) pipeline.hmget(key(roomId), "owner", "at");
    const [[, time], ...results] = (await pipeline.exec()) ?? [];
    const [seconds, micros] = time as [string, string];
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const expired: string[] = [];
    roomIds.forEach((roomId, i) => {
      const [error, fields] = results[i] ?? [];
      if (error) return;
      const [owner, at] = fields as [string | null, string | null];
      if (typeof owner === "string") owners.set(roomId, { owner, idleMs: now - Number(at ?? 0) });
      else expired.push(roomId);
    });
    if (expired.length > 0) await this.redis.srem(INDEX, ...expired);
    return owners;
  }

  ownerOf(roomId: string): Promise<string | null> {
    return this.redis.hget(key(roomId), "owner");
  }

  async takeOver(roomId: string, from: string, to: string, leaseMs = 0): Promise<string | null> {
    const json = await this.#scripts.arenaMatchTakeOver(key(roomId), from, to, leaseMs);
    return typeof json === "string" ? json : null;
  }

  async remove(roomId: string, owner: string): Promise<void> {
    await this.#scripts.arenaMatchRemove(key(roomId), INDEX, owner, roomId);
  }
}
