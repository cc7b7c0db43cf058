import type { InputFrame, PlayerState, SeenBy, SeenPosition } from "../sim/types.ts";
import type { WorldSnapshot } from "../sim/snapshot.ts";
import { ByteWriter, utf8Length } from "./bytes.ts";
import { REPLAY_MAGIC, REPLAY_VERSION, type ReplayHeader, type ReplayInfo } from "./format.ts";
import { FrameFlag, Op, REPLAY_MAX_FRAMES_PER_STEP, REPLAY_MAX_PLAYERS, REPLAY_MAX_STRING_BYTES } from "./OpReader.ts";

/** What a replay starts from: the match, the step's rate, and the world as it is before the first op. */
export interface ReplayStart {
  roomId: string;
  mode: string;
  tickRate: number;
  dt: number;
  start: WorldSnapshot;
}

/** stepTick's two callbacks, recording as the step asks them. */
export interface StepTap {
  framesOf: (id: string) => Iterable<InputFrame>;
  seenBy: SeenBy;
}

const float32 = (value: number): boolean => Object.is(Math.fround(value), value);
const DONE: IteratorResult<InputFrame> = { done: true, value: undefined };

/**
 * Records a match as replay ops (format.ts) into a growable buffer, as they
 * happen: joins, leaves, connection changes, placements, and each step's
 * frames and seen positions through `beginStep`'s tap around stepTick's
 * callbacks. A tick allocates nothing (one iterator, one callback pair,
 * reused). Something it cannot record exactly (a player it never saw join, a
 * frame value that is not a float32, a count past the format's bounds)
 * stops it: `failure` says why, and `finish` keeps the ops before it.
 */
export class ReplayWriter implements StepTap, IterableIterator<InputFrame> {
  readonly #out = new ByteWriter();
  readonly #start: ReplayStart;
  readonly #handles = new Map<string, number>();
  readonly #names: string[] = [];
  /** moveX, moveY, aim of each handle's previous frame. */
  readonly #prev: number[] = [];
  #ops = 0;
  #ticks = 0;
  /** Bytes of complete ops: what `finish` keeps. */
  #complete = 0;
  #failure: string | undefined;
  /** The step being recorded, and within it. */
  #inStep = false;
  #framesOf: StepTap["framesOf"] = () => [];
  #seenBy: SeenBy = () => (_id, target) => target;
  #frames: Iterator<InputFrame> | undefined;
  #player = "";
  #handle = -1;
  #playerAt = 0;
  #countAt = 0;
  #count = 0;
  #frameFlagsAt = -1;
  #fired = false;
  #view: SeenPosition = (_id, target) => target;
  #seenCountAt = 0;
  #seenCount = 0;

  constructor(start: ReplayStart) {
    this.#start = start;
    for (const [id, player] of start.start.players) this.#add(id, player.name);
  }

  /** Ops recorded (END not counted). */
  get ops(): number {
    return this.#ops;
  }

  /** Steps recorded. */
  get ticks(): number {
    return this.#ticks;
  }

  /** Bytes of ops so far. */
  get byteLength(): number {
    return this.#complete;
  }

  /** Everyone who has been in the match, in order of appearance. */
  get players(): readonly string[] {
    return this.#names;
  }

  /** Why recording stopped, if it did. */
  get failure(): string | undefined {
    return this.#failure;
  }

  #add(id: string, name: string): void {
    this.#handles.set(id, this.#names.length);
    this.#names.push(name);
    this.#prev.push(0, 0, 0);
  }

  /** Stops recording: the ops before this one stand. */
  #fail(why: string): void {
    this.#failure ??= why;
    this.#inStep = false;
    this.#out.truncate(this.#complete);
  }

  #handleOf(id: string): number {
    const handle = this.#handles.get(id);
    if (handle === undefined) this.#fail(`player ${id} was never seen joining`);
    return handle ?? -1;
  }

  /** Before an op outside a step: a step left open (the step threw) ends recording there. */
  #ready(): boolean {
    if (this.#inStep) this.#fail("a step did not finish");
    return this.#failure === undefined;
  }

  #done(): void {
    this.#ops++;
    this.#complete = this.#out.length;
  }

  /** A player joined (after joinPlayer). */
  join(id: string, name: string): void {
    if (!this.#ready()) return;
    if (this.#handles.has(id)) return this.#fail(`player ${id} joined twice`);
    if (utf8Length(id) > REPLAY_MAX_STRING_BYTES || utf8Length(name) > REPLAY_MAX_STRING_BYTES) return this.#fail(`player ${id}'s id or name is too long`);
    this.#out.u8(Op.JOIN);
    this.#out.string(id);
    this.#out.string(name);
    this.#add(id, name);
    this.#done();
  }

  /** A player left (after leavePlayer). */
  leave(id: string): void {
    if (!this.#ready()) return;
    const handle = this.#handleOf(id);
    if (handle < 0) return;
    this.#out.u8(Op.LEAVE);
    this.#out.varint(handle);
    // A later player with this id is someone else (a new handle).
    this.#handles.delete(id);
    this.#done();
  }

  /** A player's `connected` changed. */
  connected(id: string, connected: boolean): void {
    if (!this.#ready()) return;
    const handle = this.#handleOf(id);
    if (handle < 0) return;
    this.#out.u8(Op.CONNECTED);
    this.#out.varint(handle);
    this.#out.u8(connected ? 1 : 0);
    this.#done();
  }

  /** A player was moved outside the step (to x, y exactly). */
  place(id: string, x: number, y: number): void {
    if (!this.#ready()) return;
    const handle = this.#handleOf(id);
    if (handle < 0) return;
    this.#out.u8(Op.PLACE);
    this.#out.varint(handle);
    this.#out.f64(x);
    this.#out.f64(y);
    this.#done();
  }

  /**
   * A step starts: returns the callbacks to hand stepTick instead of
   * `framesOf` and `seenBy` (this writer; they call those and record what
   * they answer). Call `endStep` after stepTick.
   */
  beginStep(framesOf: StepTap["framesOf"], seenBy: SeenBy): StepTap {
    if (!this.#ready()) return { framesOf, seenBy };
    this.#framesOf = framesOf;
    this.#seenBy = seenBy;
    this.#inStep = true;
    this.#handle = -1;
    this.#out.u8(Op.STEP);
    return this;
  }

  endStep(): void {
    if (!this.#inStep) return;
    this.#endPlayer();
    if (!this.#inStep) return;
    this.#inStep = false;
    this.#out.varint(0);
    this.#ticks++;
    this.#done();
  }

  readonly framesOf = (id: string): Iterable<InputFrame> => {
    const frames = this.#framesOf(id);
    if (!this.#inStep) return frames;
    this.#endPlayer();
    const handle = this.#handleOf(id);
    if (handle < 0) return frames;
    // The format's order (OpReader): a world's players step in join order, which is handle order.
    if (handle <= this.#handle) {
      this.#fail(`player ${id} stepped after a later joiner`);
      return frames;
    }
    this.#frames = frames[Symbol.iterator]();
    this.#player = id;
    this.#handle = handle;
    this.#playerAt = this.#out.length;
    this.#out.varint(handle + 1);
    this.#countAt = this.#out.length;
    this.#out.u8(0);
    this.#count = 0;
    this.#frameFlagsAt = -1;
    return this;
  };

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<InputFrame> {
    if (this.#frames === undefined) return DONE;
    const result = this.#frames.next();
    if (!this.#inStep) return result;
    if (result.done === true) {
      this.#endPlayer();
      return result;
    }
    this.#frame(result.value);
    return result;
  }

  #frame(frame: InputFrame): void {
    const { moveX, moveY, aim, fire } = frame;
    if (!(float32(moveX) && float32(moveY) && float32(aim))) return this.#fail(`player ${this.#player} stepped a frame that is not float32 (unsanitised)`);
    if (++this.#count > REPLAY_MAX_FRAMES_PER_STEP) return this.#fail(`player ${this.#player} ran more than ${REPLAY_MAX_FRAMES_PER_STEP} frames in a step`);
    const base = this.#handle * 3;
    const prev = this.#prev;
    const sameSticks = Object.is(prev[base], moveX) && Object.is(prev[base + 1], moveY);
    const sameAim = Object.is(prev[base + 2], aim);
    this.#frameFlagsAt = this.#out.length;
    this.#fired = false;
    this.#out.u8((fire ? FrameFlag.FIRE : 0) | (sameSticks ? FrameFlag.SAME_STICKS : 0) | (sameAim ? FrameFlag.SAME_AIM : 0));
    if (!sameSticks) {
      this.#out.f32(moveX);
      this.#out.f32(moveY);
      prev[base] = moveX;
      prev[base + 1] = moveY;
    }
    if (!sameAim) {
      this.#out.f32(aim);
      prev[base + 2] = aim;
    }
  }

  /** The current player's frames are over: write their count, or nothing if none. */
  #endPlayer(): void {
    if (this.#frames === undefined) return;
    this.#frames = undefined;
    if (!this.#inStep) return;
    if (this.#count === 0) this.#out.truncate(this.#playerAt);
    else this.#out.patchU8(this.#countAt, this.#count);
  }

  readonly seenBy: SeenBy = (shooterId) => {
    const view = (this.#view = this.#seenBy(shooterId));
    if (!this.#inStep) return view;
    if (shooterId !== this.#player || this.#frameFlagsAt < 0 || this.#fired) {
      this.#fail(`player ${shooterId} fired outside its own frame`);
      return view;
    }
    this.#fired = true;
    this.#out.orU8(this.#frameFlagsAt, FrameFlag.FIRED);
    this.#seenCountAt = this.#out.length;
    this.#out.u8(0);
    this.#seenCount = 0;
    return this.#seen;
  };

  readonly #seen: SeenPosition = (targetId: string, target: PlayerState) => {
    const at = this.#view(targetId, target);
    if (!this.#inStep) return at;
    const handle = this.#handleOf(targetId);
    if (handle < 0) return at;
    // The format's bound (OpReader): a shot sees each other player at most once.
    if (++this.#seenCount >= this.#names.length || this.#seenCount >= REPLAY_MAX_PLAYERS) {
      this.#fail(`a shot saw more players than there are`);
      return at;
    }
    this.#out.patchU8(this.#seenCountAt, this.#seenCount);
    const live = Object.is(at.x, target.x) && Object.is(at.y, target.y);
    this.#out.varint(handle * 2 + (live ? 1 : 0));
    if (!live) {
      this.#out.f64(at.x);
      this.#out.f64(at.y);
    }
    return at;
  };

  /**
   * The whole replay, raw (gzip it to store it): the header with `info`'s
   * id and times, then the ops recorded (up to a failure), then END.
   */
  finish(info: Pick<ReplayInfo, "id" | "startedAt" | "endedAt">): Uint8Array {
    this.#ready();
    const { roomId, mode, tickRate, dt, start } = this.#start;
    const header: ReplayHeader = { ...info, roomId, mode, ticks: this.#ticks, players: [...this.#names], tickRate, dt, ops: this.#ops, start };
    const json = new TextEncoder().encode(JSON.stringify(header));
    const ops = this.#out.view(0);
    const bytes = new Uint8Array(REPLAY_MAGIC.length + 5 + json.length + this.#complete + 1);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < REPLAY_MAGIC.length; i++) bytes[i] = REPLAY_MAGIC.charCodeAt(i);
    bytes[4] = REPLAY_VERSION;
    view.setUint32(5, json.length, true);
    bytes.set(json, 9);
    bytes.set(ops.subarray(0, this.#complete), 9 + json.length);
    bytes[bytes.length - 1] = Op.END;
    return bytes;
  }
}
