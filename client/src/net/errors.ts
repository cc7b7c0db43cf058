import { CloseReason, ErrorCode, REJOIN_CLOSE_CODES, parseErrorCode, type CloseCode, type ErrorCode as ErrorCodeName } from "@arena/shared";

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

/** The project's error code of a failed request, if the server sent one. */
export function errorCodeOf(error: unknown): ErrorCodeName | null {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === "string" ? parseErrorCode(message) : null;
}

/** True when the request never reached a server (offline, refused, DNS). */
export function isUnreachable(error: unknown): boolean {
  const e = error as { name?: string; code?: unknown; message?: string } | null;
  if (e === null || typeof e !== "object") return false;
  if (e.name === "TypeError" || e.code === "ECONNREFUSED") return true;
  return typeof e.message === "string" && /fetch failed|Failed to fetch|NetworkError|ECONNREFUSED|Load failed/i.test(e.message);
}

/**
 * Colyseus's answers to a reconnection when its room's process did not
 * answer in time (`remote room (…) timed out`) or the room has left the
 * listings (`room "…" has been disposed`): a match moving to another
 * process (migration) goes through both for a moment.
 */
export function isMatchBetweenProcesses(error: unknown): boolean {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === "string" && /^remote room \(.*\) timed out|^room ".*" has been disposed/.test(message);
}

/**
 * Colyseus's answers that a reconnection token is no good: refused by the
 * matchmaker (524, "reconnection token invalid or expired") or by the room
 * ("bad reconnection token"; "already consumed" in production). The seat
 * is gone; retrying cannot bring it back.
 */
export function isSeatRefused(error: unknown): boolean {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === "string" && /reconnection token invalid or expired|bad reconnection token|already consumed/.test(message);
}

/** A sentence a player can read for any error met while finding or joining a match. */
export function errorSentence(error: unknown): string {
  if (isUnreachable(error)) return "The game server cannot be reached. Check your connection, or try again in a moment.";
  const code = errorCodeOf(error);
  if (code !== null) return ErrorCode[code].message;
  const status = (error as { code?: unknown } | null)?.code;
  if (status === 503) return ErrorCode.server_draining.message;
  if (status === 524 || /expired|invalid/i.test(String((error as Error)?.message))) return "Your seat in that match is gone.";
  return "Something went wrong joining the match. Try again.";
}
