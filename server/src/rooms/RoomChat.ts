import { CHAT_MAX_CHARS, monotonicClock, type Clock, type ErrorCode as ErrorCodeName, type ServerMessages } from "@arena/shared";
import { clientMessages } from "./clientMessages.ts";
import { sendRoomError, type ErrorClient } from "./sendRoomError.ts";

/** What chat needs from its room. */
export interface ChatRoom {
  nameOf(sessionId: string): string | undefined;
  broadcast(message: ServerMessages["chat"]): void;
}

/** Chat messages a player may send: 5 in any 10 seconds. */
const CHAT_BURST = 5;
const CHAT_WINDOW_MS = 10_000;

/**
 * In-room text chat. A message is plain text (the client shows it as text,
 * never as HTML), trimmed, at most CHAT_MAX_CHARS, control characters
 * removed, and rate-limited per player; a refusal goes back to the sender
 * only.
 */
export class RoomChat {
  /** Per sender, when its latest messages went out (at most CHAT_BURST, oldest first; clock ms). */
  readonly #sent = new Map<string, number[]>();

  /** `clock`: what the rate limit's window is timed by (a TestClock in unit tests). */
  constructor(
    private readonly room: ChatRoom,
    private readonly clock: Clock = monotonicClock,
  ) {}

  receive(client: ErrorClient, message: unknown): void {
    const parsed = clientMessages.chat.safeParse(message);
    if (!parsed.success) return this.refuse(client, "bad_message");
    const text = parsed.data.text.replace(/\p{C}+/gu, " ").trim();
    if (text.length === 0) return;
    if ([...text].length > CHAT_MAX_CHARS) return this.refuse(client, "chat_too_long");
    if (!this.spend(client.sessionId)) return this.refuse(client, "chat_rate_limited");
    const name = this.room.nameOf(client.sessionId);
    if (name !== undefined) this.room.broadcast({ from: client.sessionId, name, text });
  }

  /**
   * Counts a message against its sender's CHAT_BURST in any CHAT_WINDOW_MS
   * (a sliding window: a fixed one would let twice the burst through across
   * its edge); false when they are spent. A refused message does not count.
   */
  private spend(sessionId: string): boolean {
    const now = this.clock.now();
    // Senders quiet for a whole window, those who left among them, are forgotten.
    for (const [id, times] of this.#sent) if (now - times[times.length - 1] >= CHAT_WINDOW_MS) this.#sent.delete(id);
    const times = this.#sent.get(sessionId) ?? [];
    if (times.length >= CHAT_BURST && now - times[0] < CHAT_WINDOW_MS) return false;
    times.push(now);
    if (times.length > CHAT_BURST) times.shift();
    this.#sent.set(sessionId, times);
    return true;
  }

  private refuse(client: ErrorClient, code: ErrorCodeName): void {
    sendRoomError(client, code);
  }
}
