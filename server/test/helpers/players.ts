import { Client, type Room } from "@colyseus/sdk";
import { ArenaState, InputFrameSchema, PROTOCOL_VERSION, STEP_SECONDS, type ServerMessages } from "@arena/shared";

export type ArenaRoomClient = Room<any, ArenaState>;

/**
 * A scripted player on the real SDK: joins, sends input frames at the tick
 * rate from its `controls`, and records what it receives.
 */
export class TestPlayer {
  readonly input;
  readonly controls = { moveX: 0, moveY: 0, aim: 0, fire: false };
  readonly messages: { type: string; payload: unknown }[] = [];
  patches = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(readonly room: ArenaRoomClient, renderDelayMs?: number) {
    this.input = room.input({ type: InputFrameSchema, renderDelay: renderDelayMs });
    room.onStateChange(() => { this.patches++; });
    room.onMessage("*", (type, payload) => { this.messages.push({ type: String(type), payload }); });
  }

  static async join(endpoint: string, name: string, extra: Record<string, unknown> = {}, renderDelayMs?: number): Promise<TestPlayer> {
    const room = await new Client(endpoint).joinOrCreate("arena", { name, protocol: PROTOCOL_VERSION, ...extra }, ArenaState);
    return new TestPlayer(room as ArenaRoomClient, renderDelayMs);
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

  /** Stops sending frames (the player stays in the room). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  sendFrame(): number {
    Object.assign(this.input.data, this.controls);
    return this.input.send();
  }

  received<K extends keyof ServerMessages>(type: K): ServerMessages[K][] {
    return this.messages.filter((m) => m.type === type).map((m) => m.payload as ServerMessages[K]);
  }

  async leave(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.room.connection.isOpen) await this.room.leave().catch(() => {});
  }
}
