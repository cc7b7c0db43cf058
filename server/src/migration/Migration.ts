import { matchMaker } from "@colyseus/core";
import type { Redis } from "ioredis";
import { ROOM_NAME } from "@arena/shared";
import type { Settings } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../Metrics.ts";
import { MatchRecorder, type RecordedMatch } from "./MatchRecorder.ts";
import { graceLeftMs, parseSnapshot, type MatchSnapshot, type SeatSnapshot } from "./MatchSnapshot.ts";
import { NO_OWNER, RedisMatchStore, redisError, type MatchStore } from "./MatchStore.ts";

/** How often a process checks which processes are alive (one Redis command); one gone means its matches need a new home. */
const LIVENESS_INTERVAL_MS = 1000;
/**
 * How often a process reads every stored match's owner even when no process
 * was seen to go (matches of processes that died before this one started,
 * or while Redis was unreachable). Between these, reading the owners waits
 * for a process to vanish: otherwise every process would read every match's
 * owner every second.
 */
const FULL_SCAN_INTERVAL_MS = 5000;
/** Where a process that drained a match asks the others to take it at once (rather than at their next scan). */
const HANDOVER_CHANNEL = "arena:handover";
/** A snapshot outlives its last write by the seats' grace and this, so nobody can restore a match whose seats are all gone. */
const TTL_MARGIN_MS = 5000;
/**
 * An owner's lease, in snapshot intervals: a match is taken from a process
 * that stopped answering only once its last write is this many intervals
 * old (and at least LEASE_MIN_MS). A process cut off from Redis for less
 * keeps its matches; one cut off for longer, while its players still reach
 * it, loses them (its next write is refused, and it sends its players to the
 * new owner: they lose the play since the cut). Its cost: a crash takes at
 * least this long to repair.
 */
const LEASE_INTERVALS = 3;
const LEASE_MIN_MS = 3000;
/** Past a lease's end, before trying to take it (the store's clock and this one's may differ by a little). */
const LEASE_SLACK_MS = 50;

/** A match this process is restoring: what its room starts from. */
export interface Restoring {
  snapshot: MatchSnapshot;
  /** The seats whose grace has not run out, each with what is left of it. */
  seats: { seat: SeatSnapshot; graceLeftMs: number }[];
}

/**
 * Match migration, one per process (only with Redis): every match writes
 * its snapshot (MatchRecorder), and a match whose process died or drained
 * is restored here, under its own room id, by whichever live process takes
 * it first (MatchStore's compare-and-set of the owner). Its players come
 * back with their reconnection tokens (HeldSeats).
 */
export class Migration {
  readonly store: MatchStore;
  readonly #restoring = new Map<string, Restoring>();
  /** Matches this process is taking over right now (one attempt at a time each). */
  readonly #adopting = new Set<string>();
  /** The recorders of this process's matches (those that stopped are dropped at each check). */
  readonly #recorders = new Set<MatchRecorder>();
  #timer: NodeJS.Timeout | undefined;
  #scanning = false;
  /** The live processes seen at the last check, and when the owners were last read. */
  #lastLive = new Set<string>();
  #lastFullScanAt = 0;
  readonly #leaseMs: number;
  /**
   * Processes the health check found dead, so that a retry (an owner's lease
   * not run out yet) does not wait for the check again. One that comes back
   * is subscribed again, and no longer a suspect.
   */
  readonly #dead = new Set<string>();

  constructor(
    redis: Redis,
    private readonly settings: Settings,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    /** A match that cannot be restored: its join code goes, and the lobbies drop it. */
    private readonly forget: (roomId: string) => Promise<void>,
    private readonly draining: () => boolean,
  ) {
    this.store = new RedisMatchStore(redis);
    this.#leaseMs = Math.max(LEASE_MIN_MS, LEASE_INTERVALS * settings.matchSnapshotMs);
  }

  get processId(): string {
    return matchMaker.processId;
  }

  async start(): Promise<void> {
    await matchMaker.presence.subscribe(HANDOVER_CHANNEL, (roomId: unknown) => {
      if (typeof roomId === "string") void this.adopt(roomId, NO_OWNER);
    });
    this.#timer = setInterval(() => void this.scan(), LIVENESS_INTERVAL_MS);
    this.#timer.unref();
    void this.scan();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** For a room's onCreate: the match it restores, if it is one. */
  restoring(roomId: string): Restoring | undefined {
    return this.#restoring.get(roomId);
  }

  /** A recorder for a match of this process. `onLost`: another process took it over. */
  recorder(match: RecordedMatch, onLost: () => void): MatchRecorder {
    const ttlMs = this.settings.reconnectGraceSeconds * 1000 + TTL_MARGIN_MS;
    const recorder = new MatchRecorder(match, this.store, this.processId, ttlMs, this.metrics, this.log, onLost);
    this.#recorders.add(recorder);
    return recorder;
  }

  /**
   * Redis is back after this process lost it: every match here writes at
   * once, so one that another process took over meanwhile (this one's lease
   * ran out) finds out now, its write refused, rather than at its next
   * interval, while its stale listing could still overwrite the new one's.
   * A match nobody has joined has no snapshot to check and writes none
   * (`refresh`).
   */
  recheck(): void {
    for (const recorder of this.#recorders) {
      if (recorder.stopped) this.#recorders.delete(recorder);
      else recorder.refresh();
    }
  }

  /**
   * Whether another live process could take this one's matches: subscribed,
   * and in Colyseus's process stats (a draining process leaves them first).
   */
  async peerAlive(): Promise<boolean> {
    const [live, stats] = await Promise.all([this.liveProcesses(), matchMaker.stats.fetchAll()]);
    return stats.some((stat) => stat.processId !== this.processId && live.has(stat.processId));
  }

  /**
   * A handed-over match's room is gone: it is let go (owner NO_OWNER) and
   * the live processes are told, so one takes it at once. Only now: while
   * its old room lived, a new one could have been listed before the old
   * one's listing was removed, and lost its row to that removal.
   */
  async release(roomId: string): Promise<void> {
    // Core's own removal of the listing went out on the driver's connection just
    // before; this one returns after it, so no new owner's row can come first.
    await matchMaker.driver.remove(roomId);
    if ((await this.store.takeOver(roomId, this.processId, NO_OWNER)) === null) return;
    await matchMaker.presence.publish(HANDOVER_CHANNEL, roomId);
  }

  /**
   * Whether the match of `roomId` is between processes (its owner is dead
   * or has let it go, and nobody hosts it yet): a reconnection should try
   * again in a moment.
   */
  async migrating(roomId: string): Promise<boolean> {
    if (matchMaker.getLocalRoomById(roomId) !== undefined) return false;
    const owner = await this.store.ownerOf(roomId);
    if (owner === null) return false;
    if (owner === NO_OWNER || owner === this.processId) return true;
    return (await matchMaker.presence.channels(`p:${owner}`)).length === 0;
  }

  /** Whether a snapshot of the match exists (it may yet be restored). */
  async has(roomId: string): Promise<boolean> {
    return (await this.store.ownerOf(roomId)) !== null;
  }

  /**
   * Finds matches whose owner is dead or has let them go, and tries to take
   * each: when a process was seen to go since the last check, and every
   * FULL_SCAN_INTERVAL_MS anyway. (A handed-over match is announced, so it
   * is taken at once, not at a scan.)
   */
  async scan(): Promise<void> {
    if (this.#scanning || this.draining() || matchMaker.state !== matchMaker.MatchMakerState.READY) return;
    this.#scanning = true;
    for (const recorder of this.#recorders) if (recorder.stopped) this.#recorders.delete(recorder);
    try {
      const live = await this.liveProcesses();
      const someoneWent = [...this.#lastLive].some((processId) => !live.has(processId));
      this.#lastLive = live;
      if (!someoneWent && Date.now() - this.#lastFullScanAt < FULL_SCAN_INTERVAL_MS) return;
      this.#lastFullScanAt = Date.now();
      const owners = await this.store.owners();
      const readAt = Date.now();
      const owning = new Set([...owners.values()].map(({ owner }) => owner));
      for (const processId of this.#dead) if (!owning.has(processId)) this.#dead.delete(processId);
      const orphans = [...owners].filter(([roomId, { owner, idleMs }]) => this.orphaned(roomId, owner, idleMs, live));
      // A process without its subscription may only be reconnecting to Redis (after a
      // blip, every process resubscribes), and one whose lease ran out while subscribed
      // may be hung (a blocked event loop, a frozen machine whose connection Redis still
      // keeps): Colyseus's health check asks it directly (2 s at most) and, if it does
      // not answer, removes its listings before any of its matches is recreated here.
      const suspects = new Set(
        orphans.map(([, { owner }]) => owner).filter((owner) => owner !== NO_OWNER && owner !== this.processId && !this.#dead.has(owner)),
      );
      await Promise.all(
        [...suspects].map(async (owner) => {
          if (!(await matchMaker.healthCheckProcessId(owner))) this.#dead.add(owner);
        }),
      );
      const adoptable = orphans.filter(([, { owner }]) => owner === NO_OWNER || owner === this.processId || this.#dead.has(owner));
      await Promise.all(
        adoptable.map(async ([roomId, { owner, idleMs }]) => {
          // A dead owner's lease may not have run out yet (it wrote just before it died):
          // the takeover is tried the moment it does, not at a later check.
          const leaseLeftMs = this.#dead.has(owner) ? this.#leaseMs - idleMs - (Date.now() - readAt) : 0;
          if (leaseLeftMs <= 0) await this.adopt(roomId, owner);
          else setTimeout(() => void this.adopt(roomId, owner), leaseLeftMs + LEASE_SLACK_MS).unref();
        }),
      );
    } catch (err) {
      this.log.debug({ err: redisError(err) }, "migration scan failed");
    } finally {
      this.#scanning = false;
    }
  }

  /**
   * Whether a stored match may need a new home: let go (NO_OWNER); owned by
   * a process that is not subscribed, or whose lease ran out (it may be
   * hung); or owned by this process with no room here (a restore that
   * failed and could not let the match go).
   */
  private orphaned(roomId: string, owner: string, idleMs: number, live: Set<string>): boolean {
    if (owner === NO_OWNER) return true;
    if (owner === this.processId) return matchMaker.getLocalRoomById(roomId) === undefined && !this.#adopting.has(roomId);
    return !live.has(owner) || idleMs > this.#leaseMs;
  }

  /** Takes the match over from `from` (a dead process, NO_OWNER, or this process after a failed restore) and restores it here, if nobody was first. */
  async adopt(roomId: string, from: string): Promise<void> {
    if (this.draining() || matchMaker.getLocalRoomById(roomId) !== undefined || this.#adopting.has(roomId)) return;
    this.#adopting.add(roomId);
    try {
      await this.restore(roomId, from);
    } catch (err) {
      // Redis failing between the steps (a refused match's removal, its code's release): the next check retries.
      this.log.warn({ err: redisError(err), roomId }, "could not take a match over");
      this.#lastFullScanAt = 0;
    } finally {
      this.#adopting.delete(roomId);
    }
  }

  private async restore(roomId: string, from: string): Promise<void> {
    const reason = from === NO_OWNER ? "handover" : "crash";
    let json: string | null;
    try {
      json = await this.store.takeOver(roomId, from, this.processId, from === NO_OWNER || from === this.processId ? 0 : this.#leaseMs);
    } catch (err) {
      this.log.warn({ err: redisError(err), roomId }, "could not take a match over");
      this.#lastFullScanAt = 0; // look again at the next check
      return;
    }
    if (json === null) {
      // Another process was first, or the owner's lease has not run out yet: look again at the next check.
      if (from !== NO_OWNER) this.#lastFullScanAt = 0;
      return;
    }
    const snapshot = parseSnapshot(json, roomId);
    if (snapshot === null) {
      this.log.warn({ roomId }, "refused a malformed match snapshot");
      await this.store.remove(roomId, this.processId);
      await this.forget(roomId);
      return;
    }
    const now = Date.now();
    const seats = snapshot.seats.map((seat) => ({ seat, graceLeftMs: graceLeftMs(snapshot, seat, now) })).filter((s) => s.graceLeftMs > 0);
    if (seats.length === 0) {
      this.log.info({ roomId }, "a match nobody can rejoin any more was not restored");
      await this.store.remove(roomId, this.processId);
      await this.forget(roomId);
      return;
    }
    try {
      // A dead owner's listing row for this id would win over the new room (core's recordRoom).
      const stale = await matchMaker.driver.findOne({ roomId });
      if (stale !== undefined && stale !== null && stale.processId !== this.processId) await matchMaker.driver.remove(roomId);
      this.#restoring.set(roomId, { snapshot, seats });
      const listing = await matchMaker.handleCreateRoom(ROOM_NAME, { mode: snapshot.mode }, undefined, roomId);
      // Core hands back another process's listing when that one already listed this id (its recordRoom).
      if (listing.processId !== this.processId || matchMaker.getLocalRoomById(roomId) === undefined) {
        throw new Error(`process ${listing.processId} already lists room ${roomId}`);
      }
      this.metrics.migrations.inc({ reason });
      this.log.info({ roomId, reason, players: seats.length, version: snapshot.version, ageMs: now - snapshot.savedAt }, "match restored");
    } catch (err) {
      this.log.error({ err: redisError(err), roomId }, "could not restore a match; another process may try");
      await this.store.takeOver(roomId, this.processId, NO_OWNER).catch(() => {});
      this.#lastFullScanAt = 0;
    } finally {
      this.#restoring.delete(roomId);
    }
  }

  /** Processes subscribed to their Colyseus channel (`p:<processId>`): alive, as far as Redis can tell. */
  private async liveProcesses(): Promise<Set<string>> {
    return new Set((await matchMaker.presence.channels("p:*")).map((channel) => channel.slice(2)));
  }
}
