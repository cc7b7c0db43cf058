import { STATUS_CODES, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { ErrorCode, errorText, type ErrorCode as ErrorCodeName } from "@arena/shared";

/**
 * The body of every error the project answers over HTTP, in the format
 * Colyseus's own matchmaking errors use (the SDK reads `code` and `error`)
 * plus the project's code on its own when there is one:
 * `{ "code": 429, "error": "rate_limited: Too many…", "errorCode": "rate_limited" }`.
 * The one builder: the project's errors, Colyseus's and unexpected ones.
 */
export function errorJson(status: number, text: string, errorCode?: ErrorCodeName): string {
  return JSON.stringify(errorCode === undefined ? { code: status, error: text } : { code: status, error: text, errorCode });
}

/** The body of one of the project's errors. */
export function errorBody(code: ErrorCodeName, detail?: string): string {
  return errorJson(ErrorCode[code].status, errorText(code, detail), code);
}

/** Answers with a JSON error body (`errorJson`) and this status. */
export function sendErrorJson(res: ServerResponse, status: number, body: string, retryAfterS?: number): void {
  const headers: Record<string, string | number> = {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  };
  if (retryAfterS !== undefined) headers["retry-after"] = retryAfterS;
  res.writeHead(status, headers).end(body);
}

/**
 * Answers with one of the project's errors. CORS headers are the gate's
 * (`HttpGate`): a page of an allowed origin already has them on `res`.
 */
export function sendError(res: ServerResponse, code: ErrorCodeName, detail?: string, retryAfterS?: number): void {
  sendErrorJson(res, ErrorCode[code].status, errorBody(code, detail), retryAfterS);
}

/** Refuses a WebSocket upgrade with one of the project's errors, as a plain HTTP answer, and closes the socket. */
export function refuseUpgrade(socket: Duplex, code: ErrorCodeName, detail?: string, retryAfterS?: number): void {
  const status = ErrorCode[code].status;
  const body = errorBody(code, detail);
  const retry = retryAfterS === undefined ? "" : `Retry-After: ${retryAfterS}\r\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${retry}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
