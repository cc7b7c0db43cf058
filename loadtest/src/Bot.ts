import { Client, type InputHandle, type Room } from "@colyseus/sdk";
import { ArenaState, InputFrameSchema, InputGroup, PROTOCOL_VERSION, REJOIN_CLOSE_CODES, ROOM_NAME, STEP_SECONDS, type ArenaRoomType } from "@arena/shared";
import { BotBrain } from "./brain.ts";

/** Tries of a rejoin, 150 ms apart on average: about the server's default 20 s grace. */
const REJOIN_ATTEMPTS = 130;

export interface BotOptions {
  endpoint: string;
  name: string;
  mode?: string;
  /** Chance per second of leaving and joining again. */
  leaveRate?: number;
  /** Chance per second of dropping the connection and reconnecting with the token. */
  dropRate?: number;
  /** Random source (seeded in benchmarks). */
  random?: () => number;
}

export interface BotCounters {
  joins: number;
  leaves: number;
  drops: number;
  reconnects: number;
  errors: string[];
  framesSent: number;
  shots: number;
}

/**
 * A bot that plays like a person, on the real SDK: quick play, runs about,
 * turns toward the nearest enemy it can see and shoots when in range, goes
 * for a health pickup when hurt, now and then leaves and comes back, and now
 * and then drops its connection and rejoins with its reconnection token.
 */
export class Bot {
  room: Room<ArenaRoomType, ArenaState> | undefined;
  readonly counters: BotCounters = { joins: 0, leaves: 0, drops: 0, reconnects: 0, errors: [], framesSent: 0, shots: 0 };
  #client: Client;
  #input: InputHandle<InputFrameSchema> | undefined;
  /** The room's input frames, sent in groups through the browser client's own path. */
  #frames: InputGroup | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #brain: BotBrain;
  #busy = false;
  #stopped = false;
  readonly #random: () => number;

  constructor(readonly options: BotOptions) {
    this.#client = new Client(options.endpoint);
    this.#random = options.random ?? Math.random;
    this.#brain = new BotBrain(this.#random);
  }

  /** Joins (quick play); resolves once in the room. */
  async join(): Promise<void> {
    const options = { name: this.options.name, protocol: PROTOCOL_VERSION, ...(this.options.mode ? { mode: this.options.mode } : {}) };
    this.attach(await this.#client.joinOrCreate<ArenaRoomType>(ROOM_NAME, options, ArenaState));
    this.counters.joins++;
  }

  /** Starts playing: one input frame per tick, sent INPUT_GROUP_FRAMES to a message. */
  start(): this {
    this.#timer ??= setInterval(() => this.tick(), STEP_SECONDS * 1000);
    return this;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.room?.leave(true).catch(() => {});
  }

  /** Pauses input without leaving (benchmarks freeze the world to compare states). */
  pause(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  private attach(room: Room<ArenaRoomType, ArenaState>): void {
    this.room = room;
    room.reconnection.enabled = false;
    this.#input = room.input<InputFrameSchema>({ type: InputFrameSchema });
    this.#frames = new InputGroup(room, this.#input);
    room.onMessage("*", () => {});
    let first = true;
    room.onStateChange((state) => {
      // The first, full state's events come again in the next patch.
      if (first) return void (first = false);
      state.shots.forEach((shot) => {
        if (shot.shooter === room.sessionId) this.counters.shots++;
      });
    });
    room.onLeave((code) => {
      if (this.#stopped || this.#busy || room !== this.room) return;
      // A dropped connection, or a match handed over to another process (4010): back in with the token.
      if (REJOIN_CLOSE_CODES.has(code)) return void this.rejoin(room.reconnectionToken, `after close ${code}`);
      if (code !== 4000) this.counters.errors.push(`left with code ${code}`);
    });
  }

  private tick(): void {
    const room = this.room;
    const input = this.#input;
    const frames = this.#frames;
    if (room === undefined || input === undefined || frames === undefined || this.#busy || !room.connection.isOpen) return;
    const perTick = STEP_SECONDS;
    if (this.#random() < (this.options.dropRate ?? 0) * perTick) return void this.dropAndReconnect();
    if (this.#random() < (this.options.leaveRate ?? 0) * perTick) return void this.leaveAndReturn();
    const state = room.state;
    const me = state.players?.get(room.sessionId);
    if (me === undefined) return;
    const players: { id: string; x: number; y: number; alive: boolean; connected: boolean }[] = [];
    state.players.forEach((p, id) => players.push({ id, x: p.x, y: p.y, alive: p.alive, connected: p.connected }));
    Object.assign(input.data, this.#brain.decide(me, room.sessionId, players, state.pickups));
    if (frames.send() > 0) this.counters.framesSent++;
  }

  private async leaveAndReturn(): Promise<void> {
    this.#busy = true;
    try {
      await this.room?.leave(true);
      this.counters.leaves++;
      await this.join();
    } catch (error) {
      this.counters.errors.push(`rejoin after leaving: ${(error as Error).message}`);
    } finally {
      this.#busy = false;
    }
  }

  /** Drops the connection from the server side (test hook) or locally, then rejoins with the token. */
  async dropAndReconnect(): Promise<void> {
    const room = this.room;
    if (room === undefined) return;
    this.counters.drops++;
    room.removeAllListeners();
    room.connection.close();
    await this.rejoin(room.reconnectionToken, "reconnect");
  }

  /**
   * `client.reconnect(token)` until it works, as a client that follows its
   * match to another process does (README, "Reconnection"): every 50-250 ms,
   * for up to REJOIN_ATTEMPTS tries (about the server's 20 s grace).
   */
  private async rejoin(token: string, what: string): Promise<void> {
    this.#busy = true;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          this.attach(await this.#client.reconnect<ArenaRoomType>(token, ArenaState));
          this.counters.reconnects++;
          return;
        } catch (error) {
          if (attempt >= REJOIN_ATTEMPTS || this.#stopped) throw error;
          await new Promise((r) => setTimeout(r, 50 + this.#random() * 200));
        }
      }
    } catch (error) {
      if (!this.#stopped) this.counters.errors.push(`${what}: ${(error as Error).message}`);
    } finally {
      this.#busy = false;
    }
  }
}
