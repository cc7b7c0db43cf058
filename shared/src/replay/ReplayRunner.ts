import type { GameMode } from "../modes.ts";
import { createPlainWorld, newPlainPlayer, type PlainWorld } from "../sim/plainWorld.ts";
import { restoreWorld, snapshotWorld, type WorldSnapshot } from "../sim/snapshot.ts";
import type { InputFrame, PlayerState, SeenBy, SeenPosition, SimEvent } from "../sim/types.ts";
import { joinPlayer, leavePlayer, stepTick } from "../sim/world.ts";
import { ReplayFormatError } from "./bytes.ts";
import type { Replay } from "./format.ts";
import { Op, OpReader, type SeenRecord } from "./OpReader.ts";

/** A player of the replay's world, for "follow a player". */
export interface ReplayPlayer {
  id: string;
  name: string;
}

/** Where the runner was: a world and the cursor into the ops, right before the step after `tick`. */
interface Keyframe {
  tick: number;
  op: number;
  offset: number;
  handles: number;
  prev: number[];
  world: WorldSnapshot;
}

const NO_FRAMES: readonly InputFrame[] = [];
const DONE: IteratorResult<InputFrame> = { done: true, value: undefined };

/**
 * Runs a decoded replay through the shared step, exactly as the server ran
 * it: joins, leaves, connection changes and placements through the same
 * functions, each tick through stepTick with the recorded frames, and each
 * shot's seen positions answered from the recording, after checking that the
 * step asks for the target the recording has (otherwise: "replay diverged").
 * Keeps a keyframe every `keyframeEveryTicks` ticks while running forward, so
 * `seek` backwards reruns at most that many ticks.
 */
export class ReplayRunner implements IterableIterator<InputFrame> {
  readonly replay: Replay;
  readonly #every: number;
  readonly #keyframes: Keyframe[] = [];
  #world!: PlainWorld;
  #reader!: OpReader;
  #tick = 0;
  #op = 0;
  /** A divergence: the world is half stepped, so nothing runs until a seek restores a keyframe. */
  #broken: ReplayFormatError | undefined;
  readonly #events: SimEvent[] = [];
  // The step being run.
  #nextPlayer = -1;
  #handle = -1;
  #id = "";
  #framesLeft = 0;
  #iterating = false;
  /** Seen records left for the current frame's shot; -1: the frame did not fire. */
  #seenLeft = -1;
  #asked = false;
  readonly #frame: InputFrame = { moveX: 0, moveY: 0, aim: 0, fire: false };
  readonly #result: IteratorResult<InputFrame> = { done: false, value: this.#frame };
  readonly #record: SeenRecord = { handle: 0, live: true, x: 0, y: 0 };
  readonly #at = { x: 0, y: 0 };

  constructor(replay: Replay, options: { keyframeEveryTicks?: number } = {}) {
    this.replay = replay;
    this.#every = Math.max(1, Math.floor(options.keyframeEveryTicks ?? 300));
    this.#restore({ tick: 0, op: 0, offset: replay.opsAt, handles: replay.start.players.length, prev: [], world: replay.start });
  }

  /** The current world (plain objects; read it, do not change it). */
  get world(): PlainWorld {
    return this.#world;
  }

  /** Steps run so far. */
  get tick(): number {
    return this.#tick;
  }

  get totalTicks(): number {
    return this.replay.meta.ticks;
  }

  /** Ops applied so far. */
  get ops(): number {
    return this.#op;
  }

  /** Player ids and names as of now, in the world's order. */
  players(): ReplayPlayer[] {
    const players: ReplayPlayer[] = [];
    this.#world.players.forEach((player, id) => players.push({ id, name: player.name }));
    return players;
  }

  /**
   * Runs ops forward until `tick` steps have run (clamped to totalTicks), and
   * the ops after that step up to the next one (at totalTicks: to the end).
   * Each step's events go to `onEvent` with the step's number. A tick behind
   * the current one does nothing (see `seek`).
   */
  runTo(tick: number, onEvent?: (event: SimEvent, tick: number) => void): void {
    const target = Math.min(Math.max(0, Math.floor(tick)), this.totalTicks);
    while (this.#op < this.replay.opCount) {
      if (this.#peek() === Op.STEP && this.#tick >= target) return;
      this.#apply(onEvent);
    }
  }

  /** Runs ops forward until `count` ops in all have been applied (clamped to the replay's); events as runTo's. */
  runOps(count: number, onEvent?: (event: SimEvent, tick: number) => void): void {
    const target = Math.min(count, this.replay.opCount);
    while (this.#op < target) this.#apply(onEvent);
  }

  /** Any tick, backwards too: from the nearest keyframe at or before it (taken while running forward), else from the start. */
  seek(tick: number): void {
    const target = Math.min(Math.max(0, Math.floor(tick)), this.totalTicks);
    if (target < this.#tick || this.#broken !== undefined) {
      let keyframe: Keyframe | undefined;
      for (const k of this.#keyframes) if (k.tick <= target) keyframe = k;
      const { replay } = this;
      this.#restore(keyframe ?? { tick: 0, op: 0, offset: replay.opsAt, handles: replay.start.players.length, prev: [], world: replay.start });
    }
    this.runTo(target);
  }

  #restore(keyframe: Keyframe): void {
    const world = createPlainWorld(keyframe.world.mode as GameMode, 0);
    restoreWorld(world, keyframe.world, newPlainPlayer);
    this.#world = world;
    const prev = keyframe.prev.length > 0 ? keyframe.prev.slice() : new Array<number>(keyframe.handles * 3).fill(0);
    this.#reader = new OpReader(this.replay.bytes, keyframe.offset, keyframe.handles, prev);
    this.#tick = keyframe.tick;
    this.#op = keyframe.op;
    this.#broken = undefined;
  }

  #peek(): number {
    return this.replay.bytes[this.#reader.offset];
  }

  #apply(onEvent?: (event: SimEvent, tick: number) => void): void {
    if (this.#broken !== undefined) throw this.#broken;
    const reader = this.#reader;
    const world = this.#world;
    const { handles } = this.replay;
    if (this.#peek() === Op.STEP && this.#tick % this.#every === 0 && this.#tick > 0) this.#keep();
    const op = reader.op();
    if (op === Op.JOIN) {
      const { id, name } = reader.join();
      joinPlayer(world, id, newPlainPlayer(), name);
    } else if (op === Op.LEAVE) {
      leavePlayer(world, handles[reader.handle("leaving player")].id);
    } else if (op === Op.CONNECTED) {
      const player = this.#player(reader.handle("player"));
      player.connected = reader.connected();
    } else if (op === Op.PLACE) {
      const player = this.#player(reader.handle("placed player"));
      player.x = reader.position("x");
      player.y = reader.position("y");
    } else if (op === Op.STEP) {
      this.#step(onEvent);
    } else {
      reader.reader.fail("END before the header's op count");
    }
    this.#op++;
  }

  #player(handle: number): PlayerState {
    const player = this.#world.players.get(this.replay.handles[handle].id);
    if (player === undefined) this.#diverge(`player ${handle} is not in the world`);
    return player;
  }

  /** A keyframe at this tick, once (ticks run forward after a seek come back here). */
  #keep(): void {
    const last = this.#keyframes.at(-1);
    if (last !== undefined && last.tick >= this.#tick) return;
    const reader = this.#reader;
    this.#keyframes.push({
      tick: this.#tick,
      op: this.#op,
      offset: reader.offset,
      handles: reader.handles,
      prev: reader.prev.slice(),
      world: snapshotWorld(this.#world),
    });
  }

  #step(onEvent?: (event: SimEvent, tick: number) => void): void {
    const events = this.#events;
    events.length = 0;
    this.#nextPlayer = this.#reader.stepPlayer();
    try {
      stepTick(this.#world, this.#framesOf, this.replay.dt, this.#seenBy, events);
      if (this.#nextPlayer !== -1) this.#diverge(`frames recorded for ${this.#name(this.#nextPlayer)}, whom the step never asked for`);
    } catch (error) {
      if (error instanceof ReplayFormatError) this.#broken = error;
      throw error;
    } finally {
      this.#iterating = false;
    }
    this.#tick++;
    if (onEvent !== undefined) for (const event of events) onEvent(event, this.#tick);
  }

  #name(handle: number): string {
    return JSON.stringify(this.replay.handles[handle].id);
  }

  #diverge(what: string): never {
    throw new ReplayFormatError(`replay diverged at tick ${this.#tick + 1}: ${what} (op ${this.#op + 1}, at byte ${this.#reader.offset})`);
  }

  readonly #framesOf = (id: string): Iterable<InputFrame> => {
    const handle = this.#nextPlayer;
    if (handle === -1 || this.replay.handles[handle].id !== id) return NO_FRAMES;
    this.#handle = handle;
    this.#id = id;
    this.#framesLeft = this.#reader.frameCount();
    this.#seenLeft = -1;
    this.#iterating = true;
    return this;
  };

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<InputFrame> {
    if (!this.#iterating) return DONE;
    this.#checkShot();
    if (this.#framesLeft === 0) {
      this.#iterating = false;
      this.#nextPlayer = this.#reader.stepPlayer();
      return DONE;
    }
    this.#framesLeft--;
    this.#seenLeft = this.#reader.frame(this.#handle, this.#frame);
    this.#asked = false;
    return this.#result;
  }

  /** The frame just run: its recorded shot was fired, and every seen record used. */
  #checkShot(): void {
    if (this.#seenLeft === -1) return;
    if (!this.#asked) this.#diverge(`${JSON.stringify(this.#id)}'s recorded shot was not fired`);
    if (this.#seenLeft > 0) this.#diverge(`${JSON.stringify(this.#id)}'s shot left ${this.#seenLeft} seen records unasked`);
  }

  readonly #seenBy: SeenBy = (shooterId) => {
    if (!this.#iterating || shooterId !== this.#id || this.#seenLeft === -1 || this.#asked) {
      this.#diverge(`${JSON.stringify(shooterId)} fired where the recording has no shot`);
    }
    this.#asked = true;
    return this.#seen;
  };

  readonly #seen: SeenPosition = (targetId, target) => {
    if (this.#seenLeft <= 0) this.#diverge(`${JSON.stringify(this.#id)}'s shot asked for ${JSON.stringify(targetId)} past its recorded targets`);
    this.#seenLeft--;
    const record = this.#reader.seen(this.#record);
    if (this.replay.handles[record.handle].id !== targetId) {
      this.#diverge(`${JSON.stringify(this.#id)}'s shot asked for ${JSON.stringify(targetId)}, the recording has ${this.#name(record.handle)}`);
    }
    if (record.live) return target;
    this.#at.x = record.x;
    this.#at.y = record.y;
    return this.#at;
  };
}
