import { io, type Socket } from "socket.io-client";
import { STEP_SECONDS } from "@arena/shared";
import { BotBrain } from "../brain.ts";

interface PublicState {
  players: { id: string; x: number; y: number; hp: number; alive: boolean; connected: boolean }[];
  pickups: { x: number; y: number; active: boolean }[];
}

/** The same bot as `Bot`, playing on the Socket.IO baseline: inputs as events, state as JSON. */
export class BaselineBot {
  #socket: Socket | undefined;
  #state: PublicState | undefined;
  #id = "";
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #brain: BotBrain;
  readonly errors: string[] = [];

  constructor(
    private readonly endpoint: string,
    private readonly name: string,
    random: () => number = Math.random,
  ) {
    this.#brain = new BotBrain(random);
  }

  async join(): Promise<void> {
    const socket = io(this.endpoint, { transports: ["websocket"], reconnection: false });
    this.#socket = socket;
    socket.on("state", (state: PublicState) => {
      this.#state = state;
    });
    socket.on("connect_error", (error) => this.errors.push(String(error)));
    await new Promise<void>((resolve, reject) => {
      socket.once("joined", ({ id }: { id: string }) => {
        this.#id = id;
        resolve();
      });
      socket.once("connect_error", reject);
      socket.emit("join", { name: this.name });
    });
  }

  start(): this {
    this.#timer ??= setInterval(() => {
      const me = this.#state?.players.find((p) => p.id === this.#id);
      if (me === undefined || this.#state === undefined) return;
      this.#socket?.emit("input", this.#brain.decide(me, this.#id, this.#state.players, this.#state.pickups));
    }, STEP_SECONDS * 1000);
    return this;
  }

  /** Async like `Bot`'s and `RawBot`'s, so a benchmark stops any bot the same way. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#socket?.disconnect();
  }
}
