import type { GameMode, WorldSnapshot } from "@arena/shared";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../Metrics.ts";
import { SNAPSHOT_FORMAT, type MatchSnapshot, type SeatSnapshot } from "./MatchSnapshot.ts";
import { redisError, type MatchStore } from "./MatchStore.ts";

/**
 * After a reconnection, how long the token it came with still claims the
 * seat in a snapshot, ms: long enough for the client to have been sent its
 * new token (the join handshake, at most a round trip), short enough that a
 * token which travelled in a socket URL (proxy logs) is soon worth nothing.
 */
export const PREVIOUS_TOKEN_KEPT_MS = 5000;

/**
 * Least time from one write's start to the next, ms: seat changes meanwhile
 * (a room filling, a player who joins and leaves at once) go out together in
 * the next write. A change is written this long after the previous write
 * began, or when that write ends if later, and stored a round trip after:
 * what a crash can lose (README, "What is lost").
 */
export const WRITE_GAP_MS = 50;

/** What a recorder reads of its room at each write. */
export interface RecordedMatch {
  readonly roomId: string;
  readonly mode: GameMode;
  readonly privateCode: string | null;
  readonly graceSeconds: number;
  world(): WorldSnapshot;
  bankedSteps(sessionId: string): number;
}

interface Seat {
  /** Newest first, at most two (SeatSnapshot). */
  tokens: string[];
  droppedAt: number | null;
}

/**
 * Writes one match's snapshot to the match store, as its owner: on a timer
 * and when a seat changes (a join, a drop, a reconnection, a leave: tokens
 * rotate with each), at once unless a write began less than `gapMs` ago;
 * then once that gap has passed, for every change made meanwhile. Writes
 * never overlap. A match that ends meanwhile writes no more. When the store
 * refuses a write, another process has taken the match over, and `onLost`
 * is told once.
 */
export class MatchRecorder {
  readonly #seats = new Map<string, Seat>();
  #version = 0;
  #writing = false;
  /** When the last write began (performance.now()), and the timer of the write held back until WRITE_GAP_MS after it. */
  #lastWriteAt = -Infinity;
  #gapTimer: NodeJS.Timeout | undefined;
  /** The write in flight, if any. */
  #current: Promise<void> = Promise.resolve();
  #again = false;
  #stopped = false;
  #lost = false;
  /** Writes are failing (Redis unreachable): said once, not every second. */
  #failing = false;

  constructor(
    private readonly match: RecordedMatch,
    private readonly store: MatchStore,
    private readonly owner: string,
    private readonly ttlMs: number,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly onLost: () => void,
    private readonly gapMs = WRITE_GAP_MS,
  ) {}

  /** A restored match goes on from its snapshot's version and seats. */
  resume(snapshot: MatchSnapshot, seats: readonly SeatSnapshot[]): void {
    this.#version = snapshot.version;
    for (const seat of seats) this.#seats.set(seat.sessionId, { tokens: [...seat.tokens], droppedAt: seat.droppedAt });
  }

  joined(sessionId: string, token: string): void {
    this.#seats.set(sessionId, { tokens: [token], droppedAt: null });
    this.save();
  }

  dropped(sessionId: string): void {
    const seat = this.#seats.get(sessionId);
    if (seat !== undefined) seat.droppedAt = Date.now();
    this.save();
  }

  /** Back with a new token; `usedToken` is the one it came back with (defaults to the newest known). */
  reconnected(sessionId: string, token: string, usedToken?: string): void {
    const seat = this.#seats.get(sessionId);
    const previous = usedToken ?? seat?.tokens[0];
    this.#seats.set(sessionId, { tokens: previous === undefined ? [token] : [token, previous], droppedAt: null });
    this.save();
  }

  /** PREVIOUS_TOKEN_KEPT_MS after a reconnection with `token`: only that token claims the seat now. */
  settled(sessionId: string, token: string): void {
    const seat = this.#seats.get(sessionId);
    if (seat === undefined || seat.tokens[0] !== token || seat.tokens.length === 1) return;
    seat.tokens = [token];
    this.save();
  }

  left(sessionId: string): void {
    if (this.#seats.delete(sessionId)) this.save();
  }

  /**
   * The timer's write: as `save`, except while nobody has ever been seated
   * (a new room whose seats are only reserved): such a match has nothing to
   * bring back, so it has no snapshot, and no lease, until its first player.
   */
  refresh(): void {
    if (this.#neverWritten && this.#seats.size === 0) return;
    this.save();
  }

  /** No snapshot was ever written (or is being written) by this recorder, nor resumed from one. */
  get #neverWritten(): boolean {
    return this.#version === 0;
  }

  /** Writes the snapshot: now, or after the write in flight and the gap since the last began. */
  save(): void {
    if (this.#stopped) return;
    if (this.#writing || this.#gapTimer !== undefined) {
      this.#again = true;
      return;
    }
    const wait = this.#lastWriteAt + this.gapMs - performance.now();
    if (wait > 0) {
      this.#again = true;
      this.#holdUntilGap(wait);
      return;
    }
    this.#lastWriteAt = performance.now();
    this.#writing = true;
    this.#current = this.#write().finally(() => {
      this.#writing = false;
      if (this.#again) this.#holdUntilGap(this.#lastWriteAt + this.gapMs - performance.now());
    });
  }

  /** Writes what changed meanwhile once `wait` ms have passed. */
  #holdUntilGap(wait: number): void {
    if (this.#stopped) return;
    this.#gapTimer = setTimeout(
      () => {
        this.#gapTimer = undefined;
        if (!this.#again) return;
        this.#again = false;
        this.save();
      },
      Math.max(0, Math.ceil(wait)),
    );
  }

  #stop(): void {
    this.#stopped = true;
    clearTimeout(this.#gapTimer);
    this.#gapTimer = undefined;
  }

  /**
   * The last write, for a handover: true if it was written. The recorder
   * writes no more; the match stays this process's until its room is gone
   * (Migration.release), so no other process restores it while its old
   * room still holds the listing.
   */
  async seal(): Promise<boolean> {
    this.#stop();
    await this.#current;
    try {
      return await this.#store(this.#snapshot());
    } catch (err) {
      this.log.warn({ err: redisError(err), roomId: this.match.roomId }, "match handover failed");
      return false;
    }
  }

  /** The match ended here: its snapshot goes (if still this process's). */
  async discard(): Promise<void> {
    this.#stop();
    await this.#current;
    if (this.#neverWritten) return;
    await this.store.remove(this.match.roomId, this.owner).catch((err: unknown) => {
      this.log.warn({ err: redisError(err), roomId: this.match.roomId }, "could not delete a match snapshot; it expires");
    });
  }

  /** Whether it writes no more (the match ended here, was handed over, or taken over). */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Stops writing, leaving the snapshot as it is. */
  stop(): void {
    this.#stop();
  }

  #snapshot(): string {
    const started = performance.now();
    const { roomId, mode, privateCode, graceSeconds } = this.match;
    const seats: SeatSnapshot[] = [];
    for (const [sessionId, seat] of this.#seats) {
      seats.push({ sessionId, tokens: seat.tokens, droppedAt: seat.droppedAt, bankedSteps: this.match.bankedSteps(sessionId) });
    }
    const snapshot: MatchSnapshot = {
      format: SNAPSHOT_FORMAT,
      roomId,
      version: ++this.#version,
      savedAt: Date.now(),
      mode,
      privateCode,
      graceSeconds,
      world: this.match.world(),
      seats,
    };
    const json = JSON.stringify(snapshot);
    this.metrics.snapshotSeconds.inc((performance.now() - started) / 1000);
    return json;
  }

  async #write(): Promise<void> {
    try {
      const saved = await this.#store(this.#snapshot());
      if (this.#failing && saved) this.log.info({ roomId: this.match.roomId }, "match snapshots written again");
      this.#failing = false;
    } catch (err) {
      this.metrics.snapshots.inc({ outcome: "failed" });
      if (!this.#failing) this.log.warn({ err: redisError(err), roomId: this.match.roomId }, "could not write a match snapshot; retrying every interval");
      this.#failing = true;
    }
  }

  async #store(json: string): Promise<boolean> {
    const saved = await this.store.save(this.match.roomId, this.owner, json, this.ttlMs);
    this.metrics.snapshots.inc({ outcome: saved ? "written" : "refused" });
    if (saved) {
      this.metrics.snapshotBytes.inc(Buffer.byteLength(json));
      return true;
    }
    if (!this.#lost) {
      this.#lost = true;
      this.#stop();
      this.log.warn({ roomId: this.match.roomId }, "another process has taken this match over");
      this.onLost();
    }
    return false;
  }
}
