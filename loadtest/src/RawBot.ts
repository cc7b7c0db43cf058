import { WebSocket } from "ws";
import { InputEncoder } from "@colyseus/schema/input";
import { INPUT_GROUP_FRAMES, InputFrameSchema, PROTOCOL_VERSION, ROOM_NAME, STEP_SECONDS, encodeInputGroup } from "@arena/shared";

/** Colyseus opcodes (`@colyseus/shared-types` Protocol) this bot speaks. */
const JOIN_ROOM = 10;
const ROOM_INPUT_RELIABLE = 19;
const ROOM_STATE_PATCH = 15;
const OPCODE_MASK = 0x1f;

/** Headings a bot walks in, each with its aim along it. */
const HEADINGS = 16;

/** One input frame per heading, firing or not, each a whole input (`[19][schema InputEncoder bytes]`). */
const FRAMES: Uint8Array[][] = Array.from({ length: HEADINGS }, (_, h) =>
  [false, true].map((fire) => {
    const angle = (h / HEADINGS) * Math.PI * 2;
    const encoder = new InputEncoder(new InputFrameSchema());
    Object.assign(encoder.instance, { moveX: Math.fround(Math.cos(angle)), moveY: Math.fround(Math.sin(angle)), aim: Math.fround(angle), fire });
    return Uint8Array.from([ROOM_INPUT_RELIABLE, ...encoder.encode()]);
  }),
);
/**
 * Input groups encoded once, at start, as the browser client sends its
 * frames (INPUT_GROUP_FRAMES to a message): one per heading and per
 * combination of frames that fire (bit i: frame i fires), so a bot's send is
 * one `send` of a buffer it already has.
 */
const GROUPS: Buffer[][] = FRAMES.map((frames) =>
  Array.from({ length: 1 << INPUT_GROUP_FRAMES }, (_, fires) =>
    Buffer.from(encodeInputGroup(Array.from({ length: INPUT_GROUP_FRAMES }, (_, i) => frames[(fires >> i) & 1]))),
  ),
);

/** Every started bot; one timer sends all their frames each tick (a timer per bot costs more than the sends). */
const playing = new Set<RawBot>();
let ticker: ReturnType<typeof setInterval> | undefined;

/**
 * The cheapest bot that still costs the server what a player costs: it takes
 * a seat over HTTP and speaks the Colyseus protocol on a plain `ws` socket,
 * makes one input frame per tick and sends them in groups, as the browser
 * client does (walking blind: changing heading now and then, firing in
 * bursts), and counts the patches it receives without decoding them. Bots
 * send their groups on alternate ticks, as players' clients would. A sample
 * of full SDK `Bot`s beside these checks that the state is right.
 */
export class RawBot {
  readonly errors: string[] = [];
  patches = 0;
  #ws: WebSocket | undefined;
  #heading: number;
  /** Frames made for the group being filled; bit i of `#fires`: frame i fires. */
  #made = 0;
  #fires = 0;
  #leaving = false;

  /** `watch`: a room id to watch as a spectator (joinById with `spectate`; it sends no input) instead of playing through quick play. */
  constructor(
    private readonly endpoint: string,
    private readonly name: string,
    private readonly random: () => number = Math.random,
    private readonly watch?: string,
  ) {
    this.#heading = Math.floor(random() * HEADINGS);
  }

  /** Takes a seat and joins (resolves on the server's JOIN_ROOM, once acknowledged). */
  async join(): Promise<void> {
    const path = this.watch === undefined ? `joinOrCreate/${ROOM_NAME}` : `joinById/${encodeURIComponent(this.watch)}`;
    const res = await fetch(`${this.endpoint}/matchmake/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: this.name, protocol: PROTOCOL_VERSION, ...(this.watch === undefined ? {} : { spectate: true }) }),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`matchmaking answered ${res.status}: ${text}`);
    const seat = JSON.parse(text) as { roomId: string; processId: string; sessionId: string; publicAddress?: string };
    const base = seat.publicAddress !== undefined ? `ws://${seat.publicAddress}` : this.endpoint.replace(/^http/, "ws");
    const ws = (this.#ws = new WebSocket(`${base}/${seat.processId}/${seat.roomId}?sessionId=${encodeURIComponent(seat.sessionId)}`));
    await new Promise<void>((resolve, reject) => {
      ws.once("error", reject);
      ws.on("message", (data: Buffer) => {
        const opcode = data[0] & OPCODE_MASK;
        if (opcode === ROOM_STATE_PATCH) this.patches++;
        else if (opcode === JOIN_ROOM) {
          ws.send(Uint8Array.of(JOIN_ROOM));
          resolve();
        }
      });
      ws.on("close", (code) => {
        if (!this.#leaving) this.errors.push(`left with code ${code}`);
        reject(new Error(`closed with ${code} before joining`));
      });
    });
    ws.on("error", () => {});
  }

  start(): this {
    if (this.watch !== undefined) return this;
    // Spread the bots' groups over the ticks: this one's first group is short by its phase (frames not made).
    this.#made = playing.size % INPUT_GROUP_FRAMES;
    playing.add(this);
    ticker ??= setInterval(() => {
      for (const bot of playing) bot.#step();
    }, STEP_SECONDS * 1000);
    return this;
  }

  async stop(): Promise<void> {
    playing.delete(this);
    if (playing.size === 0 && ticker !== undefined) {
      clearInterval(ticker);
      ticker = undefined;
    }
    this.#leaving = true;
    this.#ws?.close(4000);
  }

  #step(): void {
    const ws = this.#ws;
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) return;
    if (this.random() < 0.3) this.#fires |= 1 << this.#made;
    if (++this.#made < INPUT_GROUP_FRAMES) return;
    ws.send(GROUPS[this.#heading][this.#fires]);
    this.#made = this.#fires = 0;
    // A new heading between groups, 3% of the time per tick as before.
    if (this.random() < 1 - 0.97 ** INPUT_GROUP_FRAMES) this.#heading = (this.#heading + 1 + Math.floor(this.random() * (HEADINGS - 1))) % HEADINGS;
  }
}
