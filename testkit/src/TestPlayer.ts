import { Client, type Room } from "@colyseus/sdk";
import {
  ArenaState,
  InputFrameSchema,
  InputGroup,
  PROTOCOL_VERSION,
  ROOM_NAME,
  STEP_SECONDS,
  forEachPatchEvent,
  type ArenaRoomType,
  type PatchEvent,
  type ServerMessages,
} from "@arena/shared";

/**
 * An arena room on the SDK, its state typed and its messages not: a test
 * player sends what its test asks, off the wire contract too (unknown types,
 * bad payloads, fuzz), which `Room<ArenaRoomType>` would refuse to compile.
 * (The SDK reads a room type without `~state` as untyped messages.)
 */
export type ArenaRoomClient = Room<unknown, ArenaState>;

export interface TestPlayerOptions {
  /** The interpolation delay the SDK stamps on inputs (`room.input({ renderDelay })`). */
  renderDelayMs?: number;
  /** Input frames per message through the browser client's InputGroup; 1 (default): each frame alone, as the SDK's handle sends it. */
  groupFrames?: number;
}

/**
 * A scripted player on the real SDK: joins, sends input frames at the tick
 * rate from its `controls`, and records what it receives.
 */
export class TestPlayer {
  readonly input;
  readonly frames: InputGroup;
  readonly controls = { moveX: 0, moveY: 0, aim: 0, fire: false };
  readonly messages: { type: string; payload: unknown }[] = [];
  /** Shots, kills and pickups, as the patches carried them. */
  readonly events: PatchEvent[] = [];
  patches = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly room: ArenaRoomClient,
    options: TestPlayerOptions = {},
  ) {
    this.input = room.input({ type: InputFrameSchema, renderDelay: options.renderDelayMs });
    this.frames = new InputGroup(room, this.input, options.groupFrames ?? 1);
    room.onStateChange((state) => {
      // The first, full state's events come again in the next patch.
      if (this.patches++ > 0) forEachPatchEvent(state, (event) => this.events.push(event));
    });
    room.onMessage("*", (type, payload) => {
      this.messages.push({ type: String(type), payload });
    });
  }

  static async join(endpoint: string, name: string, extra: Record<string, unknown> = {}, options: TestPlayerOptions = {}): Promise<TestPlayer> {
    const room = await new Client(endpoint).joinOrCreate<ArenaRoomType>(ROOM_NAME, { name, protocol: PROTOCOL_VERSION, ...extra }, ArenaState);
    return new TestPlayer(room, options);
  }

  get id(): string {
    return this.room.sessionId;
  }

  get state(): ArenaState {
    return this.room.state;
  }

  /** Starts sending one frame per tick, as a client does. */
  play(): this {
    this.#timer ??= setInterval(() => this.sendFrame(), STEP_SECONDS * 1000);
    return this;
  }

  /** Stops sending frames (the seat stays). */
  pause(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One frame from `controls` (held for its group when grouping); its sequence number. */
  sendFrame(): number {
    Object.assign(this.input.data, this.controls);
    return this.frames.send();
  }

  received<K extends keyof ServerMessages>(type: K): ServerMessages[K][] {
    return this.messages.filter((m) => m.type === type).map((m) => m.payload as ServerMessages[K]);
  }

  /** The events of one type received so far. */
  eventsOf<K extends PatchEvent["type"]>(type: K): Extract<PatchEvent, { type: K }>[] {
    return this.events.filter((e): e is Extract<PatchEvent, { type: K }> => e.type === type);
  }

  async leave(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    // A server that stopped answering (a hung process in a test) never confirms: give up after 2 s.
    if (this.room.connection.isOpen) {
      await Promise.race([this.room.leave().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    }
  }
}
