import { Client, type Room } from "@colyseus/sdk";
import { PROTOCOL_VERSION } from "@arena/shared";
import { quantile, spawnServer, type ServerProcess } from "@arena/testkit";
import { Bot } from "../Bot.ts";
import { parseMetrics, rssBytes } from "./processStats.ts";
import { pin } from "./smoke.ts";

/**
 * The hostile soak (`npm run bench -- --scenario hostile`): legit bots play
 * while hostile clients send what the protocol fuzzer sends
 * (server/test/protocolFuzz.test.ts): leading bytes outside the allow-lists,
 * malformed input frames (negative ring slot lengths, huge stamp counts,
 * schema operations that make the decoder print), malformed messages,
 * oversized frames, floods, lobby joins with non-object options and
 * `filter` spam, slow readers and sockets that never read. A calm phase
 * (bots only) first is the baseline of the same run; what is measured is
 * what the legit bots live through, and the server's memory.
 */

export interface HostileOptions {
  bots: number;
  /** Hostile clients at a time, each running one action after another. */
  hostile: number;
  seconds: number;
  progress: (line: string) => void;
}

/** What the legit bots lived through in one phase. */
export interface PhaseFigures {
  clients: number;
  seconds: number;
  /** Gaps between consecutive patches, by the server's clock stamp on each (TIMED prefix), over all bots. */
  patchGapP50Ms: number;
  patchGapP99Ms: number;
  patchGapMaxMs: number;
  /** The same gaps by arrival in this process (which also runs the hostile clients). */
  arrivalGapP99Ms: number;
  botErrors: number;
  healthFailures: number;
  rssEndMegabytes: number;
}

export interface HostileResult {
  calm: PhaseFigures;
  hostile: PhaseFigures;
  rssStartMegabytes: number;
  rssMaxMegabytes: number;
  /** After everything stopped and a settle. */
  rssEndMegabytes: number;
  /** [seconds since start, MB], every few seconds. */
  rssOverTime: [number, number][];
  serverExit: string | null;
  actions: Record<string, number>;
  closeCodes: Record<string, number>;
  /** The server's own counts of what it cut (arena_connection_events_total), when its metrics answer. */
  serverEvents: Record<string, number>;
  errorSamples: string[];
}

const SEED = 0x5eed_0009;
/** Between two actions of one hostile client, ms (so the mix is dozens of actions a second, not a join storm). */
const ACTION_PAUSE_MS = [50, 250] as const;
const SETTLE_MS = 5000;

/** mulberry32: a small seeded generator, so two runs send the same mix. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type AnyRoom = Room<any, any>;
interface RawSocket {
  _socket?: { pause(): void; resume(): void; destroy(): void };
}

/** Per legit bot: patch gaps by the server's stamps and by arrival. */
class GapRecorder {
  stampGaps: number[] = [];
  arrivalGaps: number[] = [];
  #lastStamp = 0;
  #lastAt = 0;

  attach(room: AnyRoom): void {
    this.#lastStamp = 0;
    this.#lastAt = performance.now();
    room.onStateChange(() => {
      const now = performance.now();
      const stamp = room.clock.lastServerTime();
      if (stamp > 0 && this.#lastStamp > 0) this.stampGaps.push(stamp - this.#lastStamp);
      this.arrivalGaps.push(now - this.#lastAt);
      this.#lastStamp = stamp;
      this.#lastAt = now;
    });
  }

  /** Ends a phase: the gap still open counts (a server that stopped sending has one long gap). */
  take(): { stamp: number[]; arrival: number[] } {
    const open = performance.now() - this.#lastAt;
    const out = { stamp: [...this.stampGaps, ...(open > 100 ? [open] : [])], arrival: [...this.arrivalGaps, open] };
    this.stampGaps = [];
    this.arrivalGaps = [];
    return out;
  }
}

// ------------------------------------------------------------ the hostile mix --

const b = (...bytes: number[]) => Uint8Array.from(bytes);
const str = (s: string) => [0xa0 | s.length, ...Buffer.from(s)];
/** Repeats a pattern up to about the transport's 4 KB frame limit. */
const fill = (lead: number[], pattern: number[], size = 4090) => {
  const out = [...lead];
  while (out.length + pattern.length <= size) out.push(...pattern);
  return Uint8Array.from(out);
};

/** Frames that each reach one decoder with a body its grammar allows and its author did not expect. */
function malformedFrames(random: () => number): Uint8Array[] {
  const n = () => Math.floor(random() * 256);
  const junk = (len: number) => Array.from({ length: len }, n);
  const choices: (() => Uint8Array[])[] = [
    () => [b(0x14, 0x00, 0xff)], // ring slot of length -1
    () => [b(0x94, 0xce, 0xff, 0xff, 0xff, 0xff, 0x00)], // stamp block of k = 2^32 - 1
    () => [b(0x94, 0xd2, 0xff, 0xff, 0xff, 0x7f, ...junk(8))], // k = 2^31 - 1
    () => Array<Uint8Array>(8).fill(fill([0x13], [0xff, 0x00, 0x3f])), // two decoder warnings per 3 bytes
    () => Array<Uint8Array>(8).fill(fill([0x93, 0x00], [0xff, 0x00, 0x80 | (4 + Math.floor(random() * 59))])),
    () => [b(0x13, ...junk(1 + Math.floor(random() * 64)))],
    () => [b(0x14, ...junk(1 + Math.floor(random() * 64)))],
    () => [b(0x0d, ...str("chat"), 0xdd, 0xff, 0xff, 0xff, 0xff)], // array of 2^32 - 1 items, none there
    () => [fill([0x0d, ...str("chat")], [0x91])], // nesting as deep as a frame allows
    () => [b(0x0d, 0xdb, 0xff, 0xff, 0xff, 0x7f, ...junk(8))], // message type longer than the frame
    () => [b(0x15, 0xcf, ...junk(8), ...str("chat"), 0xc1)], // request
    () => [b(0x11, ...str("x"), ...junk(32))], // raw bytes message
    () => [new Uint8Array(5000)], // over the frame limit
  ];
  return choices[Math.floor(random() * choices.length)]();
}

/** Leading bytes no room accepts, and accepted ones with modifier bits they do not take. */
function badOpcodeFrame(random: () => number): Uint8Array {
  const allowed = new Set([10, 12, 13, 18, 19, 0x93]);
  let lead: number;
  do lead = Math.floor(random() * 256);
  while (allowed.has(lead));
  return Uint8Array.from([lead, ...Array.from({ length: Math.floor(random() * 16) }, () => Math.floor(random() * 256))]);
}

function filterPayload(random: () => number): unknown {
  const shapes = [
    () => ({ name: "arena" }),
    () => ({ metadata: { mode: "ffa" } }),
    () => "arena",
    () => 42,
    () => [1, 2],
    () => null,
    () => ({ metadata: "ab" }),
    () => ({ name: "x".repeat(500) }),
  ];
  return shapes[Math.floor(random() * shapes.length)]();
}

/** Matchmaking said no before any socket opened: an outcome, not an error. */
class Refused extends Error {}

/** One hostile client's life: actions one after another until `until`. */
class HostileClient {
  constructor(
    private readonly endpoint: string,
    private readonly random: () => number,
    private readonly counts: { actions: Record<string, number>; closeCodes: Record<string, number>; errors: string[] },
  ) {}

  #until = 0;

  async run(until: number): Promise<void> {
    this.#until = until;
    const actions: [string, number, () => Promise<void>][] = [
      ["bad opcode", 3, () => this.once([badOpcodeFrame(this.random)])],
      ["malformed input or message", 4, () => this.once(malformedFrames(this.random))],
      ["flood", 1, () => this.flood()],
      ["lobby filter spam", 2, () => this.lobbySpam()],
      ["slow reader", 1, () => this.slowReader()],
      ["non-reader", 1, () => this.nonReader()],
    ];
    const total = actions.reduce((sum, [, weight]) => sum + weight, 0);
    while (Date.now() < until) {
      let pick = this.random() * total;
      const [name, , act] = actions.find(([, weight]) => (pick -= weight) < 0) ?? actions[0];
      this.count(name);
      try {
        await act();
      } catch (error) {
        if (error instanceof Refused) this.count(error.message);
        else if (this.counts.errors.length < 10) this.counts.errors.push(`hostile ${name}: ${(error as Error).message}`);
      }
      await sleep(ACTION_PAUSE_MS[0] + this.random() * (ACTION_PAUSE_MS[1] - ACTION_PAUSE_MS[0]));
    }
  }

  private async join(lobbyBody?: string): Promise<AnyRoom> {
    const client = new Client(this.endpoint);
    let room: AnyRoom;
    if (lobbyBody !== undefined) {
      const res = await fetch(`${this.endpoint}/matchmake/joinOrCreate/lobby`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: lobbyBody,
        signal: AbortSignal.timeout(3000),
      });
      if (!res.ok) throw new Refused(`lobby join refused by matchmaking (${res.status})`);
      room = await client.consumeSeatReservation(await res.json());
    } else {
      room = await client.joinOrCreate("arena", { name: "Hostile", protocol: PROTOCOL_VERSION });
    }
    room.reconnection.enabled = false;
    room.onMessage("*", () => {});
    room.onError(() => {});
    room.onLeave((code) => {
      this.counts.closeCodes[code] = (this.counts.closeCodes[code] ?? 0) + 1;
    });
    return room;
  }

  /** Sends the frames, waits a little (or for the close), leaves. */
  private async once(frames: Uint8Array[]): Promise<void> {
    const room = await this.join();
    for (const frame of frames) if (room.connection.isOpen) room.connection.send(frame);
    await this.closedOr(room, 300);
  }

  private async flood(): Promise<void> {
    const room = await this.join();
    const frames = [b(0x12), b(0x0d, ...str("chat"), 0x81, ...str("text"), ...str("spam")), b(0x13)];
    const frame = frames[Math.floor(this.random() * frames.length)];
    for (let i = 0; i < 2000 && room.connection.isOpen; i++) room.connection.send(frame);
    await this.closedOr(room, 1000);
  }

  private async lobbySpam(): Promise<void> {
    const bodies = ['"abc"', "123", "[]", '{"filter":"x"}', '{"filter":{"metadata":"ab"}}', "{}"];
    const room = this.random() < 0.5 ? await this.join(bodies[Math.floor(this.random() * bodies.length)]) : await this.join("{}");
    for (let i = 0; i < 200 && room.connection.isOpen; i++) {
      room.send("filter", filterPayload(this.random));
      if (i % 20 === 19) await sleep(50);
    }
    await this.closedOr(room, 300);
  }

  /** Reads in bursts: 2 s paused, 0.5 s reading, while sending inputs at the tick rate. */
  private async slowReader(): Promise<void> {
    const room = await this.join();
    const socket = (room.connection.transport as unknown as { ws: RawSocket }).ws._socket;
    const ends = Math.min(Date.now() + 10_000, this.#until);
    while (Date.now() < ends && room.connection.isOpen) {
      socket?.pause();
      for (let i = 0; i < 60 && room.connection.isOpen; i++) {
        room.connection.send(b(0x13));
        await sleep(33);
      }
      socket?.resume();
      await sleep(500);
    }
    await this.closedOr(room, 100);
  }

  /**
   * Stops reading for 12 s: the server must notice and cut it (ping timeout
   * or send backlog). A paused socket cannot see the cut, so it reads again
   * at the end to find out.
   */
  private async nonReader(): Promise<void> {
    const room = await this.join();
    const socket = (room.connection.transport as unknown as { ws: RawSocket }).ws._socket;
    socket?.pause();
    const wait = Math.min(12_000, this.#until - Date.now());
    await sleep(wait);
    socket?.resume();
    await sleep(300);
    if (room.connection.isOpen && wait >= 12_000) this.count("non-reader still connected after 12 s");
    socket?.destroy();
  }

  private count(what: string): void {
    this.counts.actions[what] = (this.counts.actions[what] ?? 0) + 1;
  }

  /** Resolves true when the room closed within `ms`; otherwise leaves it and resolves false. */
  private async closedOr(room: AnyRoom, ms: number): Promise<boolean> {
    const deadline = Math.min(Date.now() + ms, Math.max(this.#until, Date.now() + 100));
    while (room.connection.isOpen && Date.now() < deadline) await sleep(20);
    if (!room.connection.isOpen) return true;
    void room.leave().catch(() => {});
    return false;
  }
}

// ------------------------------------------------------------- the run --

async function readEvents(server: ServerProcess): Promise<Record<string, number>> {
  try {
    // The monitoring port (METRICS_PORT); a server from before it existed serves /metrics on the game port.
    const endpoint = (server as { metricsEndpoint?: string }).metricsEndpoint ?? server.endpoint;
    const res = await fetch(`${endpoint}/metrics`, { signal: AbortSignal.timeout(2000) });
    const out: Record<string, number> = {};
    for (const [key, value] of parseMetrics(await res.text())) {
      const event = /^arena_connection_events_total\{event="([^"]+)"\}$/.exec(key)?.[1];
      if (event !== undefined) out[event] = value;
    }
    return out;
  } catch {
    return {};
  }
}

export async function runHostile(options: HostileOptions): Promise<HostileResult> {
  const server = await spawnServer({
    RATE_JOINS_PER_MINUTE: "1000000",
    RATE_CONNECTIONS_PER_MINUTE: "1000000",
    RATE_CREATES_PER_MINUTE: "1000000",
    RATE_FAILED_JOINS_PER_HOUR: "1000000",
    MAX_SOCKETS_PER_ADDRESS: "1000000",
  });
  const pid = server.child.pid!;
  pin(pid, 0);
  pin(process.pid, 1);
  let serverExit: string | null = null;
  const started = Date.now();
  void server.exited.then(({ code, signal }) => {
    const fatal = server.logs.filter((l) => Number(l.level) >= 50).at(-1) as { msg?: string; err?: { message?: string } } | undefined;
    const why = fatal ? `${fatal.msg}: ${fatal.err?.message ?? ""}` : (/FATAL ERROR[^\n]*/.exec(server.output())?.[0] ?? "");
    serverExit = `exited (${code ?? signal}) after ${((Date.now() - started) / 1000).toFixed(0)} s${why ? `: ${why.slice(0, 200)}` : ""}`;
  });
  const mb = () => (serverExit === null ? rssBytes(pid) / 2 ** 20 : NaN);
  const rssOverTime: [number, number][] = [];
  const every = Math.max(5, Math.round(options.seconds / 120) * 5); // about 24 samples, at least 5 s apart
  let rssMax = 0;
  let healthFailures = 0;
  const sampler = setInterval(() => {
    const now = mb();
    rssMax = Math.max(rssMax, Number.isFinite(now) ? now : 0);
    const t = Math.round((Date.now() - started) / 1000);
    if (t % every === 0 && rssOverTime.at(-1)?.[0] !== t) rssOverTime.push([t, Math.round(now * 10) / 10]);
    fetch(`${server.endpoint}/api/health`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => {
        if (r.status !== 200) healthFailures++;
      },
      () => {
        healthFailures++;
      },
    );
  }, 1000);

  const random = seeded(SEED);
  const recorders = new Map<Bot, GapRecorder>();
  const bots = Array.from({ length: options.bots }, (_, i) => new Bot({ endpoint: server.endpoint, name: `legit ${i}`, random: seeded(SEED + i) }));
  const counts = { actions: {} as Record<string, number>, closeCodes: {} as Record<string, number>, errors: [] as string[] };
  let stopped: Promise<unknown> | undefined;
  // A bot's leave waits for the server's answer: bounded, and only once (a dead server never answers).
  const stopBots = () => (stopped ??= Promise.race([Promise.all(bots.map((bot) => bot.stop())), sleep(5000)]));
  try {
    options.progress(`joining ${bots.length} legit bots`);
    await Promise.all(
      bots.map(async (bot, i) => {
        await sleep(i * 20);
        await bot.join();
        const recorder = new GapRecorder();
        recorder.attach(bot.room!);
        recorders.set(bot, recorder);
        bot.start();
      }),
    );
    await sleep(2000);
    const rssStart = mb();
    rssOverTime.push([Math.round((Date.now() - started) / 1000), Math.round(rssStart * 10) / 10]);

    const phase = async (name: string, seconds: number, hostile: number): Promise<PhaseFigures> => {
      for (const r of recorders.values()) r.take();
      const errorsBefore = bots.reduce((n, bot) => n + bot.counters.errors.length, 0);
      const failuresBefore = healthFailures;
      const phaseStart = performance.now();
      options.progress(`${name}: ${seconds} s, ${hostile} hostile clients`);
      const until = Date.now() + seconds * 1000;
      const clients = Array.from({ length: hostile }, (_, i) =>
        new HostileClient(server.endpoint, seeded(SEED * 31 + i + Math.floor(random() * 1e6)), counts).run(until),
      );
      const ticker = setInterval(
        () =>
          options.progress(
            `${name}: ${Math.round((performance.now() - phaseStart) / 1000)}/${seconds} s, server RSS ${mb().toFixed(0)} MB${serverExit ? `, server ${serverExit}` : ""}`,
          ),
        10_000,
      );
      await Promise.all(clients);
      while (Date.now() < until) await sleep(100);
      clearInterval(ticker);
      const gaps = [...recorders.values()].map((r) => r.take());
      const stamp = gaps.flatMap((g) => g.stamp);
      const arrival = gaps.flatMap((g) => g.arrival);
      return {
        clients: recorders.size,
        seconds: (performance.now() - phaseStart) / 1000,
        patchGapP50Ms: quantile(stamp, 0.5),
        patchGapP99Ms: quantile(stamp, 0.99),
        patchGapMaxMs: stamp.reduce((max, gap) => Math.max(max, gap), stamp.length > 0 ? 0 : NaN),
        arrivalGapP99Ms: quantile(arrival, 0.99),
        botErrors: bots.reduce((n, bot) => n + bot.counters.errors.length, 0) - errorsBefore,
        healthFailures: healthFailures - failuresBefore,
        rssEndMegabytes: mb(),
      };
    };
    const calmSeconds = Math.max(5, Math.round(options.seconds / 4));
    const calm = await phase("calm (legit bots only)", calmSeconds, 0);
    const hostile = await phase("hostile", options.seconds - calmSeconds, options.hostile);
    const serverEvents = await readEvents(server);
    await stopBots();
    options.progress(`everyone gone; settling ${SETTLE_MS / 1000} s`);
    await sleep(SETTLE_MS);
    const rssEnd = mb();
    rssOverTime.push([Math.round((Date.now() - started) / 1000), Math.round(rssEnd * 10) / 10]);
    return {
      calm,
      hostile,
      rssStartMegabytes: rssStart,
      rssMaxMegabytes: rssMax,
      rssEndMegabytes: rssEnd,
      rssOverTime,
      serverExit,
      actions: counts.actions,
      closeCodes: counts.closeCodes,
      serverEvents,
      errorSamples: [...bots.flatMap((bot) => bot.counters.errors.map((e) => `${bot.options.name}: ${e}`)).slice(0, 10), ...counts.errors],
    };
  } finally {
    clearInterval(sampler);
    await stopBots();
    await server.stop();
  }
}
