import type { IncomingMessage } from "node:http";
import type { ErrorCode } from "@arena/shared";

/** Request bodies are a few short fields (join options), on every route that takes one. */
export const BODY_LIMIT_BYTES = 4096;

export type BodyOutcome = { ok: true; value: Record<string, unknown> } | { ok: false; code: ErrorCode; detail?: string };

const isJson = (contentType: string | undefined) => contentType?.split(";")[0].trim().toLowerCase() === "application/json";

/**
 * Reads a JSON object body whole, never holding more than `limitBytes` of it:
 * a declared Content-Length over the limit is refused before a byte is read;
 * a chunked body is counted as it arrives and refused when it passes the
 * limit; what is left of a refused body is never read. The whole body must
 * arrive within `deadlineMs` (a slow sender gets `request_timeout` instead of
 * holding the request open). Resolves with the parsed object or the error to
 * answer; it never rejects.
 */
export function readJsonBody(req: IncomingMessage, deadlineMs: number, limitBytes = BODY_LIMIT_BYTES): Promise<BodyOutcome> {
  if (!isJson(req.headers["content-type"])) return Promise.resolve({ ok: false, code: "unsupported_media_type" });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (outcome: BodyOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off("data", onData).off("end", onEnd).off("close", onClose).off("error", onClose);
      // Refused before its end: read no more of it (Node stops reading the socket once a few KB wait).
      if (!outcome.ok) req.pause();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ ok: false, code: "request_timeout" }), deadlineMs);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) finish({ ok: false, code: "payload_too_large" });
      else chunks.push(chunk);
    };
    const onEnd = () => finish(parse(Buffer.concat(chunks).toString("utf8")));
    // The client went away before the end: nobody is left to answer.
    const onClose = () => finish({ ok: false, code: "bad_request" });
    req.on("data", onData).on("end", onEnd).on("close", onClose).on("error", onClose);
    // Refused unread; `finish` pauses it, which the caller's answer relies on (`stopReading`).
    if (Number(req.headers["content-length"]) > limitBytes) finish({ ok: false, code: "payload_too_large" });
  });
}

/**
 * Reads a refused request's body to its end and drops it, when it says it is
 * small (a Content-Length within the limit) and arrives within `deadlineMs`;
 * then calls `then(true)`, and the connection stays usable for the client's
 * next request (an HTTP client reuses it). Otherwise (no length, too large,
 * too slow, gone) calls `then(false)` without reading more: the caller stops
 * reading and lets the connection go (`stopReading`).
 */
export function discardSmallBody(req: IncomingMessage, deadlineMs: number, then: (whole: boolean) => void, limitBytes = BODY_LIMIT_BYTES): void {
  const declared = Number(req.headers["content-length"]);
  if (req.complete) return then(true);
  // Aborted: nothing more will come, and nobody is left to answer.
  if (req.destroyed || req.socket.destroyed) return then(false);
  if (!Number.isSafeInteger(declared) || declared > limitBytes || req.headers["transfer-encoding"] !== undefined) return then(false);
  let done = false;
  const finish = (whole: boolean) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    req.off("data", drop).off("end", onEnd).off("close", onGone).off("error", onGone);
    then(whole);
  };
  const drop = () => {};
  const onEnd = () => finish(true);
  const onGone = () => finish(false);
  const timer = setTimeout(() => finish(false), deadlineMs);
  req.on("data", drop).on("end", onEnd).on("close", onGone).on("error", onGone).resume();
}

/** Whether a request says it carries a body. */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"]) > 0;
}

/**
 * Stops reading a request's body for good, then calls `then` (which answers
 * it): what is left stays in the kernel, and TCP holds the sender back. Node
 * reads a request nobody started reading to its end after the answer, to
 * discard it (`req._dump`), but not one that was read and then paused; a
 * resumed request starts being read the next tick, so the pause and the
 * answer come one tick later (dropping at most what was already buffered).
 */
export function stopReading(req: IncomingMessage, then: () => void): void {
  if (req.complete) return then();
  const discard = () => {};
  req.on("data", discard).resume();
  process.nextTick(() => {
    req.off("data", discard);
    req.pause();
    then();
  });
}

function parse(text: string): BodyOutcome {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: "bad_request", detail: "The body is not valid JSON." };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, code: "bad_options", detail: "The body must be a JSON object." };
  }
  return { ok: true, value: value as Record<string, unknown> };
}
