import type { Client } from "@colyseus/core";
import { ErrorCode, type ServerMessages } from "@arena/shared";

/** A client of any of the server's rooms, as far as errors go: it can be sent the `error` message. */
export type ErrorClient = Client<{ messages: Pick<ServerMessages, "error"> }>;

/**
 * Sends one of the project's errors to one client as an `error` message
 * (`{ code, message }`), the sentence from ErrorCode, with an optional detail
 * in parentheses. The one place a room builds that message.
 */
export function sendRoomError(client: ErrorClient, code: ServerMessages["error"]["code"], detail?: string): void {
  const message = detail === undefined ? ErrorCode[code].message : `${ErrorCode[code].message} (${detail})`;
  client.send("error", { code, message });
}

/** The answer to a message type the room has no handler for: the type, cut to 32 characters, in the sentence. */
export function sendUnknownMessage(client: ErrorClient, type: unknown): void {
  sendRoomError(client, "unknown_message", String(type).slice(0, 32));
}
