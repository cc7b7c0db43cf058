import { COLYSEUS_STATUS, CloseReason, ErrorCode, REJOIN_CLOSE_CODES, parseErrorCode, type CloseCode, type ErrorCode as ErrorCodeName } from "@arena/shared";
import { AttemptTimeout } from "./withTimeout.ts";

/** Colyseus's matchmaking error codes (@colyseus/shared-types ErrorCode). */
const MATCHMAKE_INVALID_ROOM_ID = 522;
const MATCHMAKE_UNHANDLED = 523;
const MATCHMAKE_EXPIRED = 524;

/** The body of a failed request, where the SDK keeps it (`ServerError.data`; its MatchMakeError keeps only the text and status). */
function bodyOf(error: unknown): { code?: unknown; errorCode?: unknown } | undefined {
  const data = (error as { data?: unknown } | null)?.data;
  return typeof data === "object" && data !== null ? data : undefined;
}

/**
 * Colyseus's code of an error: over the socket, the error's own; over HTTP,
 * the SDK gives the status, which the server's gate maps from Colyseus's
 * code (COLYSEUS_STATUS: 522 as 404, 524 as 410), so it is mapped back.
 */
function colyseusCodeOf(error: unknown): unknown {
  const code = bodyOf(error)?.code ?? (error as { code?: unknown } | null)?.code;
  if (code === COLYSEUS_STATUS[MATCHMAKE_EXPIRED]) return MATCHMAKE_EXPIRED;
  if (code === COLYSEUS_STATUS[MATCHMAKE_INVALID_ROOM_ID]) return MATCHMAKE_INVALID_ROOM_ID;
  return code;
}

function messageOf(error: unknown): string | undefined {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === "string" ? message : undefined;
}

/** Close codes the client treats as a dropped connection to rejoin (the wire contract's). */
export const DROP_CLOSE_CODES = REJOIN_CLOSE_CODES;

/** Colyseus's own close codes (sdk and core), as a player would read them. */
const COLYSEUS_CLOSE: Record<number, string> = {
  4000: "You left the match.",
  4001: "The server shut down. Find another room.",
  4002: "The server closed the connection after an error.",
  4003: "The connection could not be restored.",
};

/** A sentence for why the connection to a match ended. */
export function closeSentence(code: number): string {
  const ours = (CloseReason as Record<number, string>)[code as CloseCode];
  return ours ?? COLYSEUS_CLOSE[code] ?? (DROP_CLOSE_CODES.has(code) ? "The connection dropped." : `The connection closed (code ${code}).`);
}

/**
 * The project's error code of a failed request, if the server sent one: the
 * body's `errorCode` over HTTP, else read from the text (`<code>: <sentence>`,
 * as a refusal by the room's onAuth reaches a client over the socket).
 */
export function errorCodeOf(error: unknown): ErrorCodeName | null {
  const code = bodyOf(error)?.errorCode;
  if (typeof code === "string" && Object.hasOwn(ErrorCode, code)) return code as ErrorCodeName;
  const message = messageOf(error);
  return message === undefined ? null : parseErrorCode(message);
}

/** True when the request never reached a server (offline, refused, DNS). */
export function isUnreachable(error: unknown): boolean {
  const e = error as { name?: string; code?: unknown; message?: string } | null;
  if (e === null || typeof e !== "object") return false;
  if (error instanceof AttemptTimeout || e.name === "TypeError" || e.code === "ECONNREFUSED") return true;
  return typeof e.message === "string" && /fetch failed|Failed to fetch|NetworkError|ECONNREFUSED|Load failed/i.test(e.message);
}

/**
 * Colyseus's answers to a reconnection when its room's process did not
 * answer in time (523, `remote room (…) timed out`) or the room has left
 * the listings (522, `room "…" has been disposed`): a match moving to
 * another process (migration) goes through both for a moment. Colyseus
 * gives these codes to other errors too, so the text tells them apart
 * (pinned by client/test/colyseusErrors.test.ts).
 */
export function isMatchBetweenProcesses(error: unknown): boolean {
  const code = colyseusCodeOf(error);
  const message = messageOf(error) ?? "";
  return (
    (code === MATCHMAKE_UNHANDLED && /^remote room \(.*\) timed out/.test(message)) ||
    (code === MATCHMAKE_INVALID_ROOM_ID && /^room ".*" has been disposed/.test(message))
  );
}

/**
 * The answers that a room to watch is not there: Colyseus's 522 `room "…"
 * not found` (a join by id; its text tells it from the same code's "is
 * locked" and "has been disposed"), and the project's `unknown_room` and
 * `unknown_code` (a private room's code no longer in use).
 */
export function isRoomGone(error: unknown): boolean {
  const code = errorCodeOf(error);
  if (code === "unknown_room" || code === "unknown_code") return true;
  return colyseusCodeOf(error) === MATCHMAKE_INVALID_ROOM_ID && /^room ".*" not found/.test(messageOf(error) ?? "");
}

/**
 * Colyseus's answer that a reconnection token is no good (524,
 * MATCHMAKE_EXPIRED: refused by the matchmaker over HTTP, or by the room
 * over the socket as a bad or already consumed token). The seat is gone; retrying cannot bring it back.
 */
export function isSeatRefused(error: unknown): boolean {
  // 524 is also Colyseus's "seat reservation expired" (a seat taken on the wrong process, a handover's race): worth another try.
  return colyseusCodeOf(error) === MATCHMAKE_EXPIRED && /reconnection token|already consumed/.test(messageOf(error) ?? "");
}

/** A sentence a player can read for any error met while finding or joining a match. */
export function errorSentence(error: unknown): string {
  if (isUnreachable(error)) return "The game server cannot be reached. Check your connection, or try again in a moment.";
  const code = errorCodeOf(error);
  if (code !== null) return ErrorCode[code].message;
  const status = (error as { code?: unknown } | null)?.code;
  if (status === 503) return ErrorCode.server_draining.message;
  if (isSeatRefused(error)) return "Your seat in that match is gone.";
  return "Something went wrong joining the match. Try again.";
}
