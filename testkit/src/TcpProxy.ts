import { createServer, connect, type Server, type Socket } from "node:net";
import { LINK_PROFILES, LinkSchedule, type LinkProfile, type Random } from "./linkProfiles.ts";

/** Bytes a delayed direction holds before it stops reading its sender (TCP's window does the same): memory stays bounded. */
const MAX_HELD_BYTES = 1 << 20;

/** One way of a proxied connection. */
interface Direction {
  /** Forwards nothing more, and reads nothing more (a stalled link). */
  halt(): void;
}

/** Everything forwarded as it comes: the plain link. */
function pipeNow(from: Socket, to: Socket): Direction {
  from.pipe(to);
  return {
    halt() {
      from.unpipe(to);
      from.pause();
    },
  };
}

/** Everything forwarded when the link's schedule says it arrives, in order. */
function pipeDelayed(from: Socket, to: Socket, schedule: LinkSchedule): Direction {
  const held: { at: number; chunk: Buffer }[] = [];
  let heldBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  let halted = false;
  const flush = () => {
    timer = undefined;
    const now = performance.now();
    while (held.length > 0 && held[0].at <= now) {
      const { chunk } = held.shift()!;
      heldBytes -= chunk.length;
      to.write(chunk);
    }
    if (heldBytes < MAX_HELD_BYTES && from.isPaused() && !halted) from.resume();
    if (held.length > 0) timer = setTimeout(flush, held[0].at - now);
    else if (ended) to.end();
  };
  from.on("data", (chunk: Buffer) => {
    held.push({ at: schedule.arrival(performance.now()), chunk });
    heldBytes += chunk.length;
    if (heldBytes >= MAX_HELD_BYTES) from.pause();
    timer ??= setTimeout(flush, held[0].at - performance.now());
  });
  from.on("end", () => {
    ended = true;
    if (held.length === 0) to.end();
  });
  from.on("close", () => clearTimeout(timer));
  return {
    halt() {
      halted = true;
      clearTimeout(timer);
      from.pause();
    },
  };
}

export interface TcpProxyOptions {
  /** The link between the two ends (LINK_PROFILES; default `lan`, nothing added). */
  link?: LinkProfile;
  /** The link's source of randomness (jitter, stalls): `seededRandom(n)` repeats a run. */
  random?: Random;
}

/**
 * A TCP proxy on 127.0.0.1 in front of a test server. It carries a link
 * profile (delay, jitter and stalls, each way, the stream's order kept:
 * `linkProfiles.ts`), and the test can cut it (every connection destroyed, as
 * when a network drops, and new ones refused) or stall it (connections stay
 * open but nothing goes through, as on a half-open link), until it is restored.
 */
export class TcpProxy {
  #server: Server;
  #sockets = new Set<Socket>();
  #directions = new Set<Direction>();
  #mode: "open" | "cut" | "stalled" = "open";
  #link: LinkProfile;
  readonly #random: Random;
  port = 0;

  private constructor(targetPort: number, options: TcpProxyOptions) {
    this.#link = options.link ?? LINK_PROFILES.lan;
    this.#random = options.random ?? Math.random;
    this.#server = createServer((client) => {
      client.on("error", () => {});
      this.#sockets.add(client);
      client.on("close", () => this.#sockets.delete(client));
      if (this.#mode === "cut") return void client.destroy();
      if (this.#mode === "stalled") return; // accepted, never answered
      const upstream = connect(targetPort, "127.0.0.1");
      upstream.on("error", () => {});
      this.#sockets.add(upstream);
      upstream.on("close", () => this.#sockets.delete(upstream));
      const ways = [this.forward(client, upstream), this.forward(upstream, client)];
      for (const way of ways) this.#directions.add(way);
      client.on("close", () => {
        upstream.destroy();
        for (const way of ways) this.#directions.delete(way);
      });
      upstream.on("close", () => client.destroy());
    });
  }

  static async start(targetPort: number, options: TcpProxyOptions = {}): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort, options);
    await new Promise<void>((resolve) => proxy.#server.listen(0, "127.0.0.1", resolve));
    proxy.port = (proxy.#server.address() as { port: number }).port;
    return proxy;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The link new connections get (open ones keep theirs). */
  get link(): LinkProfile {
    return this.#link;
  }

  set link(profile: LinkProfile) {
    this.#link = profile;
  }

  /** Drops every connection and refuses new ones. */
  cut(): void {
    this.#mode = "cut";
    for (const s of this.#sockets) s.destroy();
  }

  /**
   * Drops every connection and closes the port, so that new ones are refused
   * (ECONNREFUSED), as from a host that is down; `reopen` listens again on
   * the same port. (`cut` accepts a new connection and drops it at once,
   * which a client can take for a connection that came up.)
   */
  async refuse(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  /** Listens again on the same port after `refuse`, forwarding as before. */
  async reopen(): Promise<void> {
    this.#mode = "open";
    await new Promise<void>((resolve) => this.#server.listen(this.port, "127.0.0.1", resolve));
  }

  /** Stops forwarding anything, without closing: open connections look alive and carry nothing. */
  stall(): void {
    this.#mode = "stalled";
    for (const way of this.#directions) way.halt();
  }

  /** Back to normal for new connections (stalled ones are dropped: a half-open link never recovers). */
  restore(): void {
    if (this.#mode === "stalled") for (const s of this.#sockets) s.destroy();
    this.#mode = "open";
  }

  async stop(): Promise<void> {
    this.cut();
    if (this.#server.listening) await new Promise((resolve) => this.#server.close(resolve));
  }

  private forward(from: Socket, to: Socket): Direction {
    const link = this.#link;
    if (link.roundTripMs === 0 && link.jitterMs === 0 && link.stalls === undefined) return pipeNow(from, to);
    return pipeDelayed(from, to, new LinkSchedule(link, this.#random, performance.now()));
  }
}
