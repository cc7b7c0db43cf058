import { Client, type InputHandle, type Room } from "@colyseus/sdk";
import { ArenaState, InputFrameSchema, PROTOCOL_VERSION, ROOM_NAME, STEP_SECONDS } from "@arena/shared";

/**
 * A cheap bot for load at scale: it joins with the SDK, then stops decoding
 * patches (the bytes still arrive, so the server's cost is the same) and
 * plays blind: wanders, turns, sweeps its aim and fires in bursts. A sample
 * of full `Bot`s beside these checks that the state is right.
 */
export class LightBot {
  room: Room<any, ArenaState> | undefined;
  #input: InputHandle<InputFrameSchema> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #heading: number;
  readonly errors: string[] = [];

  constructor(private readonly endpoint: string, private readonly name: string, private readonly random: () => number = Math.random) {
    this.#heading = random() * Math.PI * 2;
  }

  async join(): Promise<void> {
    const room = await new Client(this.endpoint).joinOrCreate(ROOM_NAME, { name: this.name, protocol: PROTOCOL_VERSION }, ArenaState) as Room<any, ArenaState>;
    this.room = room;
    room.reconnection.enabled = false;
    this.#input = room.input<InputFrameSchema>({ type: InputFrameSchema });
    // Keep the TIMED prefix (acks, clock) but skip decoding the state itself.
    const serializer = (room as unknown as { serializer: { patch: (bytes: Uint8Array, it?: unknown) => unknown } }).serializer;
    serializer.patch = () => [];
    room.onMessage("*", () => {});
    room.onLeave((code) => { if (code !== 4000) this.errors.push(`left with code ${code}`); });
  }

  start(): this {
    this.#timer ??= setInterval(() => {
      const input = this.#input;
      if (input === undefined) return;
      if (this.random() < 0.03) this.#heading += (this.random() - 0.5) * Math.PI;
      input.data.moveX = Math.fround(Math.cos(this.#heading));
      input.data.moveY = Math.fround(Math.sin(this.#heading));
      input.data.aim = Math.fround(this.#heading + Math.sin(Date.now() / 500));
      input.data.fire = this.random() < 0.3;
      input.send();
    }, STEP_SECONDS * 1000);
    return this;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.room?.leave(true).catch(() => {});
  }
}
