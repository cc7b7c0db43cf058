import type { ServerResponse } from "node:http";
import { ErrorCode, errorText, type ErrorCode as ErrorCodeName } from "@arena/shared";

/**
 * Answers with one of the project's errors, in the body Colyseus's own
 * matchmaking errors use (the SDK reads `code` and `error`) plus the
 * project's code on its own:
 * `{ "code": 429, "error": "rate_limited: Too many…", "errorCode": "rate_limited" }`.
 */
export function sendError(res: ServerResponse, code: ErrorCodeName, detail?: string, retryAfterS?: number): void {
  const status = ErrorCode[code].status;
  const body = JSON.stringify({ code: status, error: errorText(code, detail), errorCode: code });
  const headers: Record<string, string | number> = {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    // Browsers on other origins get the answer too, as Colyseus's routes allow.
    "access-control-allow-origin": "*",
  };
  if (retryAfterS !== undefined) headers["retry-after"] = retryAfterS;
  res.writeHead(status, headers).end(body);
}
