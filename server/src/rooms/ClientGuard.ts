import type { Client, Room } from "@colyseus/core";
import { Protocol } from "@colyseus/shared-types";
import { CloseCode, CloseReason } from "@arena/shared";
import type { Settings } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { CountedSocket, Metrics } from "../Metrics.ts";
import { FloodGuard } from "./FloodGuard.ts";
import type { FramePolicy } from "./framePolicy.ts";
import { forEachGroupedFrame, isInputGroup } from "./inputGroups.ts";

/** The opcode bits of a leading byte (the others are modifiers, such as TIMED). */
const OPCODE_MASK = 0x1f;
/** How long a refused client may take to read its close frame before its TCP connection is destroyed. */
const CUT_DEADLINE_MS = 1000;

export type Refusal = typeof CloseCode.FLOODING | typeof CloseCode.PROTOCOL_VIOLATION;

/** What the guard needs from the process: the limits (MAX_MESSAGES_PER_SECOND, MAX_SEND_BACKLOG_BYTES), metrics and the log. */
export interface GuardContext {
  settings: Pick<Settings, "maxMessagesPerSecond" | "maxSendBacklogBytes">;
  metrics: Metrics;
  log: Logger;
}

/** ws's OPEN readyState: a socket that is closing or closed has been dealt with. */
const OPEN = 1;

/** The ws socket under a Colyseus client, and the TCP socket under that (`_socket`: ws internals, pinned by tests). */
interface GuardedSocket {
  readonly readyState: number;
  /** Bytes queued on the socket and not yet handed to the kernel. */
  readonly bufferedAmount: number;
  close(code: number, reason: string): void;
  terminate(): void;
  _socket?: CountedSocket & { end(): void };
}

/** Colyseus's frame entry point (core Room.ts `_onMessage`, bound per client in `_onJoin`). */
type FrameHandler = (client: Client, frame: Buffer) => void;

/**
 * What a room does to protect itself and its other players from one client's
 * socket. Every incoming frame passes here before Colyseus parses it: frames
 * are counted (flooding), and checked against the room type's frame policy
 * (an opcode allow-list and the grammar of each body); an admitted input
 * group (inputGroups.ts) counts as one frame and is handed to Colyseus as
 * the input frames it carries. A refused client is sent its close code, its
 * TCP connection is cut once the close frame is out (at most CUT_DEADLINE_MS
 * later, whether it answers or not), nothing more it sends is read, and its
 * seat is not held. Outgoing, after every patch, a client whose send backlog
 * passes the bound is cut (`checkBacklogs`).
 *
 * Installed by wrapping the room's `_onMessage`: Colyseus delivers frames
 * through a plain `ws` listener, so another listener could not stop them.
 */
export class ClientGuard {
  readonly #floods = new WeakMap<Client, FloodGuard>();
  readonly #cut = new WeakSet<Client>();
  readonly #refused = new Set<string>();
  /** Input frames in each session's latest input message (absent: 1, frames alone). */
  readonly #framesPerMessage = new Map<string, number>();

  /** `frames`: what this room type accepts (framePolicy.ts); `spectators`: who watches, and what they may send instead. */
  constructor(
    private readonly room: Room,
    private readonly frames: FramePolicy,
    private readonly options: GuardContext,
    private readonly spectators?: { frames: FramePolicy; has(sessionId: string): boolean },
  ) {
    const target = room as unknown as { _onMessage: FrameHandler };
    const deliver = target._onMessage;
    target._onMessage = (client, frame) => {
      if (!this.admit(client, frame)) return;
      // An input group is one frame to the guard and several to Colyseus: each
      // of its input frames goes in as if it had come alone.
      if (isInputGroup(frame)) {
        this.#framesPerMessage.set(client.sessionId, frame[2]);
        forEachGroupedFrame(frame, (input) => deliver.call(room, client, input));
      } else {
        if ((frame[0] & OPCODE_MASK) === Protocol.ROOM_INPUT_RELIABLE) this.#framesPerMessage.delete(client.sessionId);
        deliver.call(room, client, frame);
      }
    };
  }

  /** True when this session was refused: its seat must not be held. */
  refused(sessionId: string): boolean {
    return this.#refused.has(sessionId);
  }

  /** The session left the room for good. */
  forget(sessionId: string): void {
    this.#refused.delete(sessionId);
    this.#framesPerMessage.delete(sessionId);
  }

  /** How many input frames this session's client sends in one message: its latest input group's count, or 1 (InputBudget). */
  framesPerMessage(sessionId: string): number {
    return this.#framesPerMessage.get(sessionId) ?? 1;
  }

  /** A client joined (or reconnected) on a new socket: count what goes out on it. */
  watch(client: Client): void {
    const tcp = this.socketOf(client)?._socket;
    if (tcp !== undefined) this.options.metrics.countBytesOf(tcp);
  }

  /**
   * Once per patch (the room's `broadcastPatch`): cuts every client whose
   * send backlog has passed MAX_SEND_BACKLOG_BYTES, its memory then freed.
   * Checked per patch rather than per send, so a stalled client can queue
   * one patch interval's sends beyond the bound before it goes.
   */
  checkBacklogs(): void {
    const bound = this.options.settings.maxSendBacklogBytes;
    const clients = this.room.clients;
    for (let i = 0; i < clients.length; i++) {
      const socket = this.socketOf(clients[i]);
      if (socket === undefined || socket.readyState !== OPEN || socket.bufferedAmount <= bound) continue;
      this.options.metrics.connections.inc({ event: "slow" });
      this.options.log.warn({ roomId: this.room.roomId, sessionId: clients[i].sessionId, backlog: socket.bufferedAmount }, "cut a client that stopped reading");
      socket.terminate();
    }
  }

  private admit(client: Client, frame: Buffer): boolean {
    this.options.metrics.framesReceived++;
    if (this.#cut.has(client)) return false;
    let flood = this.#floods.get(client);
    if (flood === undefined) {
      flood = new FloodGuard(this.options.settings.maxMessagesPerSecond);
      this.#floods.set(client, flood);
    }
    if (!flood.admit(performance.now())) {
      this.refuse(client, CloseCode.FLOODING);
      return false;
    }
    const policy = this.spectators?.has(client.sessionId) === true ? this.spectators.frames : this.frames;
    if (!policy(frame)) {
      this.refuse(client, CloseCode.PROTOCOL_VIOLATION, frame[0]);
      return false;
    }
    return true;
  }

  private refuse(client: Client, code: Refusal, leadingByte?: number): void {
    this.#cut.add(client);
    this.#refused.add(client.sessionId);
    const flooding = code === CloseCode.FLOODING;
    this.options.metrics.connections.inc({ event: flooding ? "flooding" : "protocol_violation" });
    this.options.log.warn(
      { roomId: this.room.roomId, sessionId: client.sessionId, code, leadingByte },
      flooding ? "closed a client for flooding" : "closed a client for a frame this room does not accept",
    );
    const socket = this.socketOf(client);
    if (socket === undefined) return client.leave(code, CloseReason[code]);
    socket.close(code, CloseReason[code]);
    // The close frame is queued (permessage-deflate is off, so ws writes it at
    // once); end() sends it, then FIN. A client that ignores it is destroyed.
    socket._socket?.end();
    setTimeout(() => socket.terminate(), CUT_DEADLINE_MS).unref();
  }

  private socketOf(client: Client): GuardedSocket | undefined {
    return (client as unknown as { ref?: GuardedSocket }).ref;
  }
}
