import type { Client } from "@colyseus/core";
import { RateLimiterMemory } from "rate-limiter-flexible";
import { CHAT_MAX_CHARS, type ErrorCode as ErrorCodeName, type ServerMessages } from "@arena/shared";
import { clientMessages } from "./clientMessages.ts";
import { sendRoomError } from "./sendRoomError.ts";

/** What chat needs from its room. */
export interface ChatRoom {
  nameOf(sessionId: string): string | undefined;
  broadcast(message: ServerMessages["chat"]): void;
}

/** Chat messages a player may send: 5 per 10 seconds. */
const CHAT_BURST = 5;
const CHAT_WINDOW_S = 10;

/**
 * In-room text chat. A message is plain text (the client shows it as text,
 * never as HTML), trimmed, at most CHAT_MAX_CHARS, control characters
 * removed, and rate-limited per player; a refusal goes back to the sender
 * only.
 */
export class RoomChat {
  readonly #limiter = new RateLimiterMemory({ points: CHAT_BURST, duration: CHAT_WINDOW_S });

  constructor(private readonly room: ChatRoom) {}

  async receive(client: Client, message: unknown): Promise<void> {
    const parsed = clientMessages.chat.safeParse(message);
    if (!parsed.success) return this.refuse(client, "bad_message");
    const text = parsed.data.text.replace(/\p{C}+/gu, " ").trim();
    if (text.length === 0) return;
    if ([...text].length > CHAT_MAX_CHARS) return this.refuse(client, "chat_too_long");
    try {
      await this.#limiter.consume(client.sessionId);
    } catch {
      return this.refuse(client, "chat_rate_limited");
    }
    const name = this.room.nameOf(client.sessionId);
    if (name !== undefined) this.room.broadcast({ from: client.sessionId, name, text });
  }

  private refuse(client: Client, code: ErrorCodeName): void {
    sendRoomError(client, code);
  }
}
