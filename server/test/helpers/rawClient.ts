import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import WebSocket from "ws";

/** What a `/matchmake` POST answers (Colyseus's seat reservation). */
interface Seat {
  sessionId: string;
  roomId: string;
  processId: string;
}

export interface RawJoinOptions {
  /** `arena` (default) or `lobby`. */
  room?: string;
  /** The join options: the matchmaking request's body, as JSON (any value, not only objects). */
  body?: unknown;
  /**
   * `ws`: the ws package, a well-behaved client. `ignore-close`: a handshake
   * of its own over `net`, which never answers a close frame and keeps
   * writing until the server cuts the TCP connection.
   */
  mode?: "ws" | "ignore-close";
}

const JOIN_ROOM = 10;

/**
 * A joined room client speaking raw frames, for what the SDK would never
 * send: takes a seat over HTTP, opens the socket, answers the server's
 * JOIN_ROOM with `[10]` (so the server sees it as joined), then lets the
 * test send any bytes and watch what comes back.
 */
export class RawClient {
  /** Binary frames received, in order (JOIN_ROOM first). */
  readonly frames: Buffer[] = [];
  /** The code of the server's close frame, once one arrived. */
  closeCode: number | undefined;
  /** Set when the TCP connection is gone (`Date.now()`). */
  endedAt: number | undefined;
  #ws: WebSocket | undefined;
  #tcp: Socket | undefined;
  #joined: () => void = () => {};

  private constructor(readonly sessionId: string) {}

  /** Takes a seat and joins; rejects if matchmaking refuses (status and body in the message). */
  static async join(endpoint: string, options: RawJoinOptions = {}): Promise<RawClient> {
    const res = await fetch(`${endpoint}/matchmake/joinOrCreate/${options.room ?? "arena"}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(options.body ?? {}),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`matchmaking answered ${res.status}: ${text}`);
    const seat = JSON.parse(text) as Seat;
    const client = new RawClient(seat.sessionId);
    const path = `/${seat.processId}/${seat.roomId}?sessionId=${encodeURIComponent(seat.sessionId)}`;
    const port = Number(new URL(endpoint).port);
    await new Promise<void>((resolve, reject) => {
      client.#joined = resolve;
      AbortSignal.timeout(5000).addEventListener("abort", () => reject(new Error("no JOIN_ROOM within 5 s")));
      if (options.mode === "ignore-close") client.#openTcp(port, path);
      else client.#openWs(port, path);
    });
    return client;
  }

  /** Sends one binary frame; ignored once the connection is gone. */
  send(bytes: Uint8Array | readonly number[]): void {
    const data = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
    if (this.#ws !== undefined) {
      if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(data);
    } else if (this.#tcp !== undefined && !this.#tcp.destroyed) {
      this.#tcp.write(maskedFrame(data));
    }
  }

  /** Stops reading (`ignore-close` mode): the kernel's buffers fill, then the server's send backlog grows. */
  pause(): void {
    this.#tcp?.pause();
  }

  get ended(): boolean {
    return this.endedAt !== undefined;
  }

  /** Drops the connection (no close handshake). */
  destroy(): void {
    this.#ws?.terminate();
    this.#tcp?.destroy();
  }

  #received(frame: Buffer): void {
    if (this.frames.length === 0 && frame[0] === JOIN_ROOM) {
      this.send([JOIN_ROOM]);
      this.#joined();
    }
    this.frames.push(frame);
  }

  #openWs(port: number, path: string): void {
    const ws = (this.#ws = new WebSocket(`ws://127.0.0.1:${port}${path}`));
    ws.on("message", (data: Buffer) => this.#received(data));
    ws.on("close", (code) => {
      this.closeCode ??= code;
      this.endedAt = Date.now();
    });
    ws.on("error", () => {});
  }

  #openTcp(port: number, path: string): void {
    const tcp = (this.#tcp = connect(port, "127.0.0.1"));
    tcp.on("error", () => {});
    tcp.on("close", () => {
      this.endedAt = Date.now();
    });
    tcp.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    let pending = Buffer.alloc(0);
    let upgraded = false;
    tcp.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (!upgraded) {
        const end = pending.indexOf("\r\n\r\n");
        if (end < 0) return;
        if (!pending.subarray(0, 12).toString().includes(" 101")) return void tcp.destroy();
        upgraded = true;
        pending = pending.subarray(end + 4);
      }
      for (let frame; (frame = readFrame(pending)) !== undefined;) {
        pending = pending.subarray(frame.size);
        if (frame.opcode === 0x8) this.closeCode ??= frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
        else if (frame.opcode === 0x9)
          tcp.write(maskedFrame(frame.payload, 0xa)); // pong: stay "alive"
        else if (frame.opcode === 0x2) this.#received(frame.payload);
      }
    });
  }
}

/** One unmasked server frame at the start of `buf` (unfragmented), or undefined if incomplete. */
function readFrame(buf: Buffer): { opcode: number; payload: Buffer; size: number } | undefined {
  if (buf.length < 2) return undefined;
  let length = buf[1] & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buf.length < 4) return undefined;
    length = buf.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buf.length < 10) return undefined;
    length = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  if (buf.length < offset + length) return undefined;
  return { opcode: buf[0] & 0x0f, payload: buf.subarray(offset, offset + length), size: offset + length };
}

/** A client frame (FIN set, masked as RFC 6455 requires of clients). */
function maskedFrame(payload: Uint8Array, opcode = 0x2): Buffer {
  const n = payload.length;
  const head =
    n < 126
      ? Buffer.from([0x80 | opcode, 0x80 | n])
      : n < 65536
        ? Buffer.from([0x80 | opcode, 0x80 | 126, n >> 8, n & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), Buffer.alloc(8)]);
  if (n >= 65536) head.writeBigUInt64BE(BigInt(n), 2);
  const mask = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < n; i++) body[i] ^= mask[i & 3];
  return Buffer.concat([head, mask, body]);
}
