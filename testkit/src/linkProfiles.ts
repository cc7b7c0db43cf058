/**
 * Network links a test or a bench can put between a client and the server
 * (`TcpProxy.start(port, { link })`). This kernel has no `netem`, so the
 * proxy makes them in user space, on the byte stream: it delays what it
 * forwards, each way, and pauses it during stalls. A stall is what a browser
 * sees of a TCP segment lost and retransmitted (the stream stops, then what
 * was held arrives at once), not a real loss: TCP never loses or reorders
 * bytes, and neither does the proxy.
 */
export interface LinkProfile {
  readonly name: string;
  /** Round trip the link adds (half each way), in ms. */
  readonly roundTripMs: number;
  /** Each chunk waits up to this much more, uniformly, each way (the stream's order is kept), in ms. */
  readonly jitterMs: number;
  /** Stalls, each way: one every `everyMs` on average (at random), each `minMs` to `maxMs` long. */
  readonly stalls?: { readonly everyMs: number; readonly minMs: number; readonly maxMs: number };
  /** Where the numbers come from. */
  readonly source: string;
}

export const LINK_PROFILES = {
  lan: {
    name: "lan",
    roundTripMs: 0,
    jitterMs: 0,
    source: "Loopback: the reference, nothing added.",
  },
  broadband: {
    name: "broadband",
    roundTripMs: 30,
    jitterMs: 5,
    source: "Fixed broadband to a server in the same region: 20-40 ms round trip, a few ms of jitter (Ookla and M-Lab medians for cable and fibre).",
  },
  wifi: {
    name: "wifi",
    roundTripMs: 60,
    jitterMs: 20,
    stalls: { everyMs: 10_000, minMs: 150, maxMs: 150 },
    source:
      "A home Wi-Fi hop on top of broadband: tens of ms of jitter from contention and power saving, and now and then a 150 ms hold while a frame is retried.",
  },
  mobile: {
    name: "mobile",
    roundTripMs: 120,
    jitterMs: 30,
    stalls: { everyMs: 4000, minMs: 250, maxMs: 400 },
    source:
      "4G in motion: about 120 ms round trip with 30 ms jitter, and a lost segment every few seconds, which TCP recovers after a retransmission timeout: the stream stalls 250-400 ms (RFC 6298's 200 ms floor plus the round trip).",
  },
  intercontinental: {
    name: "intercontinental",
    roundTripMs: 220,
    jitterMs: 10,
    source: "Europe to Australia over fibre: about 220 ms round trip (the speed of light in glass over ~16,000 km, and routing), steady.",
  },
} as const satisfies Record<string, LinkProfile>;

export type LinkProfileName = keyof typeof LINK_PROFILES;

export function isLinkProfileName(name: string): name is LinkProfileName {
  return Object.hasOwn(LINK_PROFILES, name);
}

/** A random number in [0, 1): `Math.random`, or a seeded one for repeatable runs (`seededRandom`). */
export type Random = () => number;

/** mulberry32: a small, fast, seeded generator, so a run with a seed repeats its jitter and stalls. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * When each chunk sent one way over a link arrives: after half the round
 * trip and its jitter, never before an earlier chunk (the stream's order),
 * and what is sent during a stall not before the stall ends (then all at
 * once). A pure schedule of times, so its rules are tested without sockets.
 */
export class LinkSchedule {
  #lastArrival = -Infinity;
  #stallEnds = -Infinity;
  #nextStall: number;

  constructor(
    private readonly profile: LinkProfile,
    private readonly random: Random,
    startMs: number,
  ) {
    this.#nextStall = profile.stalls === undefined ? Infinity : startMs + this.gap();
  }

  /** When a chunk sent at `sentMs` arrives (calls must come in the order of sending). */
  arrival(sentMs: number): number {
    const { stalls } = this.profile;
    while (stalls !== undefined && this.#nextStall <= sentMs) {
      const length = stalls.minMs + this.random() * (stalls.maxMs - stalls.minMs);
      this.#stallEnds = Math.max(this.#stallEnds, this.#nextStall + length);
      this.#nextStall += length + this.gap();
    }
    const travel = this.profile.roundTripMs / 2 + this.random() * this.profile.jitterMs;
    const arrival = Math.max(sentMs + travel, this.#stallEnds, this.#lastArrival);
    this.#lastArrival = arrival;
    return arrival;
  }

  /** The wait between stalls: exponential around `everyMs`, so stalls come at random, not on a beat. */
  private gap(): number {
    const every = this.profile.stalls?.everyMs ?? Infinity;
    return -Math.log(1 - this.random()) * every;
  }
}
