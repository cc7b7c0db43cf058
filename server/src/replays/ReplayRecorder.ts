import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { ReplayWriter, TICK_RATE_HZ, snapshotWorld, type InputFrame, type ReplayMeta, type SeenBy, type StepTap, type WorldState } from "@arena/shared";
import type { Logger } from "../logger.ts";
import type { ReplayStore } from "./ReplayStore.ts";

const gzipAsync = promisify(gzip);

/** Raw bytes of ops past which a replay is finished and the next one starts from the world as it is (memory per match). */
export const REPLAY_CUT_BYTES = 4 * 1024 * 1024;
/** Steps past which the same happens: 30 minutes at TICK_RATE_HZ. */
export const REPLAY_CUT_TICKS = 30 * 60 * TICK_RATE_HZ;

/** How long `finish` waits for its saves (a dispose, a shutdown): a hung store must not hold the room. */
export const REPLAY_SAVE_WAIT_MS = 5000;

/** A new replay id: 16 characters of [A-Za-z0-9_-] (isReplayId), 96 random bits. */
export function newReplayId(): string {
  return randomBytes(12).toString("base64url");
}

export interface ReplayRecorderOptions {
  store: ReplayStore;
  log: Logger;
  roomId: string;
  mode: string;
  /** The room's world (its state): each replay starts from a snapshot of it. */
  world: WorldState;
  /** The step's dt, s (core's fixed 1/TICK_RATE_HZ). */
  dt: number;
  /** Bounds of one replay (defaults: REPLAY_CUT_BYTES, REPLAY_CUT_TICKS). */
  cutBytes?: number;
  cutTicks?: number;
  /** Wall clock, ms since the epoch (meta's startedAt, endedAt). */
  now?: () => number;
}

/**
 * One match's replays (the format: shared/src/replay/format.ts). The room
 * calls it beside each change it makes to the world outside the step
 * (joined, left, connected, placed) and around each step (beginStep, whose
 * callbacks record what the step asks, and endStep). A replay ends when the
 * match does (finish: dispose, hand-over, take-over) or past REPLAY_CUT_BYTES
 * or REPLAY_CUT_TICKS, when the next starts from the world as it is; each is
 * gzipped off the event loop and saved. Nothing it does throws into the room:
 * a failed save, or something the writer cannot record, is logged.
 */
export class ReplayRecorder {
  readonly #options: ReplayRecorderOptions;
  readonly #now: () => number;
  #writer!: ReplayWriter;
  #id = "";
  #startedAt: number | undefined;
  #endedAt = 0;
  #closed = false;
  /** Saves in flight (tests and shutdown may wait on them: `saved`). */
  readonly #saving = new Set<Promise<void>>();

  constructor(options: ReplayRecorderOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#begin();
  }

  #begin(): void {
    const { roomId, mode, world, dt } = this.#options;
    this.#writer = new ReplayWriter({ roomId, mode, tickRate: TICK_RATE_HZ, dt, start: snapshotWorld(world) });
    this.#id = newReplayId();
    this.#startedAt = undefined;
  }

  /** The replay being recorded: its id and the ops so far (the test hooks' state route). */
  get progress(): { id: string; ops: number } | undefined {
    return this.#closed ? undefined : { id: this.#id, ops: this.#writer.ops };
  }

  joined(id: string, name: string): void {
    if (!this.#closed) this.#writer.join(id, name);
    this.#check();
  }

  left(id: string): void {
    if (!this.#closed) this.#writer.leave(id);
    this.#check();
  }

  connected(id: string, connected: boolean): void {
    if (!this.#closed) this.#writer.connected(id, connected);
    this.#check();
  }

  placed(id: string, x: number, y: number): void {
    if (!this.#closed) this.#writer.place(id, x, y);
    this.#check();
  }

  /** stepTick's callbacks for this step: the room's, recorded. `dt`: the step's. */
  beginStep(framesOf: (id: string) => Iterable<InputFrame>, seenBy: SeenBy, dt: number): StepTap | undefined {
    if (this.#closed) return undefined;
    if (dt !== this.#options.dt) {
      this.#stop(`a step of ${dt} s, the replay's are ${this.#options.dt} s`);
      return undefined;
    }
    return this.#writer.beginStep(framesOf, seenBy);
  }

  endStep(): void {
    if (this.#closed) return;
    this.#writer.endStep();
    const now = this.#now();
    this.#startedAt ??= now;
    this.#endedAt = now;
    if (
      this.#check() &&
      (this.#writer.byteLength >= (this.#options.cutBytes ?? REPLAY_CUT_BYTES) || this.#writer.ticks >= (this.#options.cutTicks ?? REPLAY_CUT_TICKS))
    ) {
      this.#save();
      this.#begin();
    }
  }

  /** The writer stopped (something it cannot record): what it has is saved, and the next replay starts from the world as it is. */
  #check(): boolean {
    const failure = this.#closed ? undefined : this.#writer.failure;
    if (failure === undefined) return true;
    this.#options.log.warn({ roomId: this.#options.roomId, replayId: this.#id, why: failure }, "replay cut short; the next starts from here");
    this.#save();
    this.#begin();
    return false;
  }

  #stop(why: string): void {
    this.#options.log.warn({ roomId: this.#options.roomId, replayId: this.#id, why }, "replay recording stopped");
    void this.finish();
  }

  /**
   * The match is over here (dispose, hand-over, take-over): the replay is
   * saved and nothing more is recorded. Idempotent. Resolves when the saves
   * have ended, or after REPLAY_SAVE_WAIT_MS (a process about to exit waits
   * for them); never rejects.
   */
  async finish(): Promise<void> {
    if (!this.#closed) {
      this.#save();
      this.#closed = true;
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, REPLAY_SAVE_WAIT_MS)));
    await Promise.race([this.saved(), late]);
    clearTimeout(timer);
  }

  /** Resolves once every save started so far has ended (saved or logged). */
  async saved(): Promise<void> {
    while (this.#saving.size > 0) await Promise.all(this.#saving);
  }

  #save(): void {
    const writer = this.#writer;
    // Nothing to watch: no step, or nobody ever in it.
    if (writer.ticks === 0 || writer.players.length === 0 || this.#startedAt === undefined) return;
    const { roomId, mode, store, log } = this.#options;
    const id = this.#id;
    const startedAt = this.#startedAt;
    const endedAt = this.#endedAt;
    const raw = writer.finish({ id, startedAt, endedAt });
    const meta: Omit<ReplayMeta, "bytes"> = { id, roomId, mode, startedAt, endedAt, ticks: writer.ticks, players: [...writer.players] };
    const saving = (async () => {
      const gzipped = await gzipAsync(raw);
      await store.save({ ...meta, bytes: gzipped.length }, gzipped);
      log.info({ roomId, replayId: id, ticks: meta.ticks, rawBytes: raw.length, bytes: gzipped.length }, "replay saved");
    })()
      .catch((err: unknown) => log.warn({ roomId, replayId: id, err }, "could not save a replay"))
      .finally(() => this.#saving.delete(saving));
    this.#saving.add(saving);
  }
}
