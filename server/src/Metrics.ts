import { matchMaker } from "@colyseus/core";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { TelemetryMetrics } from "./TelemetryMetrics.ts";

/**
 * Server metrics in Prometheus format (`GET /metrics`, prom-client). One per
 * process; rooms, the matchmaking gate and the transport report into it.
 * Default Node metrics come along, including event-loop delay.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly tickDuration = new Histogram({
    name: "arena_tick_duration_seconds",
    help: "Time one fixed simulation step took.",
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.033, 0.066],
    registers: [this.registry],
  });

  readonly tickInterval = new Histogram({
    name: "arena_tick_interval_seconds",
    help: "Time between the starts of two steps of a room (33.3 ms when on time).",
    buckets: [0.01, 0.02, 0.03, 0.0333, 0.035, 0.04, 0.05, 0.066, 0.1, 0.2],
    registers: [this.registry],
  });

  readonly inputWait = new Histogram({
    name: "arena_input_wait_seconds",
    help: "Time an input frame waited in the server's buffer, from its arrival to the tick that simulated it (one tick in 10 measured). One tick is 33.3 ms.",
    buckets: [0.005, 0.01, 0.02, 0.0333, 0.05, 0.0667, 0.1, 0.15, 0.2, 0.3, 0.5, 1],
    registers: [this.registry],
  });

  readonly inputQueueDepth = new Histogram({
    name: "arena_input_queue_depth",
    help: "Input frames waiting in a player's buffer when a tick reads it (one tick in 10 measured).",
    buckets: [0, 1, 2, 3, 4, 6, 8, 12, 16],
    registers: [this.registry],
  });

  readonly rewindDepth = new Histogram({
    name: "arena_rewind_depth_seconds",
    help: "How far back lag compensation rewound the others for a shot: the room's present minus the instant the shooter saw.",
    buckets: [0, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5],
    registers: [this.registry],
  });

  readonly ticksLate = new Counter({
    name: "arena_ticks_late_total",
    help: "Steps that started more than half a step after they were due.",
    registers: [this.registry],
  });

  /**
   * Frames sent to players, counted where they are made: a patch or a
   * broadcast adds its recipients at once (ArenaRoom), never once per send.
   * Handed to the counter at scrape time.
   */
  framesSent = 0;

  /**
   * Bytes sent are the player sockets' own counts (`bytesWritten`), read at
   * scrape time: nothing on the send path. Each socket maps to what it had
   * written before it was counted; closed sockets leave their total here.
   */
  readonly #sockets = new Map<CountedSocket, number>();
  #closedSocketsBytes = 0;

  /** WebSocket frames received from clients (every room type, refused ones included), counted on the hot path. */
  framesReceived = 0;

  /** Input frames by outcome, counted on the hot path and reported at scrape time. */
  readonly inputs = { received: 0, dropped: 0, rejected: 0 };

  readonly connections = new Counter({
    name: "arena_connection_events_total",
    help: "Players joined, dropped (seat held), reconnected, left, cut for not reading (slow), and clients refused by the frame guard (flooding, protocol_violation; lobby clients too).",
    labelNames: ["event"] as const,
    registers: [this.registry],
  });

  readonly matchmaking = new Histogram({
    name: "arena_matchmaking_duration_seconds",
    help: "Matchmaking requests (/matchmake/* and the /api room routes), by route kind and status class.",
    labelNames: ["method", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  /** Match snapshots written to Redis (migration): how many, their bytes, and the time to make one (world to JSON). */
  readonly snapshots = new Counter({
    name: "arena_match_snapshots_total",
    help: "Match snapshots written for migration, by outcome: written, refused (another process owns the match now) or failed (Redis error).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  readonly snapshotBytes = new Counter({
    name: "arena_match_snapshot_bytes_total",
    help: "Bytes of match snapshots written for migration.",
    registers: [this.registry],
  });

  readonly snapshotSeconds = new Counter({
    name: "arena_match_snapshot_seconds_total",
    help: "Main-thread time spent making match snapshots (the world and seats to JSON), not counting the Redis round trip.",
    registers: [this.registry],
  });

  readonly migrations = new Counter({
    name: "arena_matches_restored_total",
    help: "Matches this process took over from another, by why: crash (its process died) or handover (its process drained).",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });

  /** Quick play's seats so far, all and those decided without the cluster's turn (set by Matchmaking). */
  quickPlaySeats: () => { seated: number; seatedWithoutTurn: number } = () => ({ seated: 0, seatedWithoutTurn: 0 });

  /** The clients' own netcode figures, from their telemetry reports (`arena_client_*`). */
  readonly telemetry = new TelemetryMetrics(this.registry);

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // prom-client calls `collect` with the metric as `this`; these are arrows, so
    // `this` stays the Metrics, and each names its metric by its const.
    let reportedBytes = 0;
    let reportedFrames = 0;
    const reportedInputs = { received: 0, dropped: 0, rejected: 0 };
    const inputsTotal: Counter<"outcome"> = new Counter({
      name: "arena_inputs_total",
      help: "Input frames by outcome: received, dropped (beyond the input budget) or rejected (values the server had to correct).",
      labelNames: ["outcome"] as const,
      registers: [this.registry],
      collect: () => {
        for (const outcome of ["received", "dropped", "rejected"] as const) {
          inputsTotal.inc({ outcome }, this.inputs[outcome] - reportedInputs[outcome]);
          reportedInputs[outcome] = this.inputs[outcome];
        }
      },
    });
    const bytesSentTotal: Counter = new Counter({
      name: "arena_bytes_sent_total",
      help: "Bytes written to players' TCP sockets (matches and the lobby) since they joined: WebSocket frames with their headers (patches, messages, pings, closes). Read from the sockets' own counts when scraped.",
      registers: [this.registry],
      collect: () => {
        // A socket destroyed with a backlog drops its unsent bytes from its count: never report a decrease.
        const bytes = this.bytesSent();
        if (bytes > reportedBytes) bytesSentTotal.inc(bytes - reportedBytes);
        reportedBytes = Math.max(reportedBytes, bytes);
      },
    });
    const framesSentTotal: Counter = new Counter({
      name: "arena_frames_sent_total",
      help: "WebSocket frames of the game's stream sent to players in matches: one per player per patch, and one per recipient of each broadcast message (events, chat). One-off frames to one client (join handshake, welcome, errors), pings and the lobby's are not counted.",
      registers: [this.registry],
      collect: () => {
        framesSentTotal.inc(this.framesSent - reportedFrames);
        reportedFrames = this.framesSent;
      },
    });
    let reportedFramesIn = 0;
    const framesReceivedTotal: Counter = new Counter({
      name: "arena_frames_received_total",
      help: "WebSocket frames received from clients, in every room type, refused ones included.",
      registers: [this.registry],
      collect: () => {
        framesReceivedTotal.inc(this.framesReceived - reportedFramesIn);
        reportedFramesIn = this.framesReceived;
      },
    });
    const reportedSeats = { turn: 0, own_room: 0 };
    const quickPlaySeatsTotal: Counter<"decided"> = new Counter({
      name: "arena_quickplay_seats_total",
      help: "Quick-play seats given by this process, by how they were decided: in the cluster's turn (rooms with free seats, rests, retries), or in a room of their own made without the turn (a group that fills it, no room of the mode having a free seat).",
      labelNames: ["decided"] as const,
      registers: [this.registry],
      collect: () => {
        const { seated, seatedWithoutTurn } = this.quickPlaySeats();
        const now = { turn: seated - seatedWithoutTurn, own_room: seatedWithoutTurn };
        for (const decided of ["turn", "own_room"] as const) {
          quickPlaySeatsTotal.inc({ decided }, now[decided] - reportedSeats[decided]);
          reportedSeats[decided] = now[decided];
        }
      },
    });
    new Gauge({
      name: "arena_clients",
      help: "Players connected to this process.",
      registers: [this.registry],
      collect() {
        this.set(matchMaker.stats?.local.ccu ?? 0);
      },
    });
    new Gauge({
      name: "arena_rooms",
      help: "Rooms on this process.",
      registers: [this.registry],
      collect() {
        this.set(matchMaker.stats?.local.roomCount ?? 0);
      },
    });
  }

  /** Counts the bytes written to one player's socket from now on, until it closes. */
  countBytesOf(socket: CountedSocket): void {
    if (this.#sockets.has(socket)) return;
    this.#sockets.set(socket, socket.bytesWritten);
    socket.once("close", () => {
      this.#closedSocketsBytes += socket.bytesWritten - (this.#sockets.get(socket) ?? 0);
      this.#sockets.delete(socket);
    });
  }

  /** Bytes written to counted sockets so far (the scrape's sum over the open ones). */
  bytesSent(): number {
    let bytes = this.#closedSocketsBytes;
    for (const [socket, before] of this.#sockets) bytes += socket.bytesWritten - before;
    return bytes;
  }
}

/** The TCP socket under a player's WebSocket: what `countBytesOf` reads (a `net.Socket`). */
export interface CountedSocket {
  readonly bytesWritten: number;
  once(event: "close", listener: () => void): unknown;
}
