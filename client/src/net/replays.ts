import { ErrorCode, REPLAY_MAX_BYTES, ReplayFormatError, decodeReplay, isReplayId, type Replay, type ReplayMeta } from "@arena/shared";
import { errorCodeOf, isUnreachable } from "./errors.ts";

/** A replay's download, whole: past this the page gives up, ms. */
const REPLAY_FETCH_TIMEOUT_MS = 30_000;
/** The listing is small. */
const LIST_FETCH_TIMEOUT_MS = 5000;
/** Times a replay is asked for again while the server answers that it is busy checking others (`replays_busy`). */
const BUSY_RETRIES = 3;
/** The wait before asking again when the server names none (Retry-After), and the most it may name, ms. */
const BUSY_WAIT_MS = 1000;
const BUSY_WAIT_MAX_MS = 5000;

/** Why a replay cannot be shown, as a sentence for the page. */
export class ReplayUnavailable extends Error {}

/**
 * The replays the server keeps, newest first (`GET /api/replays`); null when
 * the server keeps none (`replays_off`).
 */
export async function fetchReplayList(endpoint: string): Promise<ReplayMeta[] | null> {
  const res = await fetch(new URL("/api/replays", endpoint), { signal: AbortSignal.timeout(LIST_FETCH_TIMEOUT_MS) });
  const body = (await res.json()) as { replays?: ReplayMeta[]; errorCode?: unknown };
  if (body.errorCode === "replays_off") return null;
  if (!res.ok || !Array.isArray(body.replays)) throw new ReplayUnavailable(refusal(body));
  return body.replays;
}

/**
 * Downloads and decodes one replay (`GET /api/replays/<id>`): the browser
 * unzips it (Content-Encoding), this reads at most REPLAY_MAX_BYTES of what
 * that gives and checks all of it (decodeReplay). A server busy checking
 * other replays (503 `replays_busy`) is asked again after its Retry-After, up
 * to BUSY_RETRIES times. Every failure is a ReplayUnavailable with a sentence.
 */
export async function fetchReplay(endpoint: string, id: string): Promise<Replay> {
  if (!isReplayId(id)) throw new ReplayUnavailable("That is not a replay link: a replay's id is 16 letters, digits, - or _.");
  let res: Response;
  let bytes: Uint8Array;
  try {
    for (let attempt = 0; ; attempt++) {
      res = await fetch(new URL(`/api/replays/${id}`, endpoint), { signal: AbortSignal.timeout(REPLAY_FETCH_TIMEOUT_MS) });
      if (res.ok) break;
      const body: unknown = await res.json().catch(() => ({}));
      // Busy checking other replays: asked again after the wait it names, a few times, before the page says so.
      if (attempt < BUSY_RETRIES && errorCodeOf({ data: body }) === "replays_busy") {
        await new Promise((resolve) => setTimeout(resolve, busyWaitMs(res.headers.get("retry-after"))));
        continue;
      }
      throw new ReplayUnavailable(refusal(body));
    }
    bytes = await readBounded(res, REPLAY_MAX_BYTES);
  } catch (error) {
    if (error instanceof ReplayUnavailable) throw error;
    if (isUnreachable(error)) throw new ReplayUnavailable("The game server cannot be reached. Check your connection, or try again in a moment.");
    throw new ReplayUnavailable(`The replay could not be downloaded (${(error as Error).message}).`);
  }
  try {
    return decodeReplay(bytes);
  } catch (error) {
    if (error instanceof ReplayFormatError) throw new ReplayUnavailable(`${ErrorCode.corrupt_replay.message} (${error.message})`);
    throw error;
  }
}

/** How long a Retry-After (seconds) says to wait, within reason. */
function busyWaitMs(retryAfter: string | null): number {
  const seconds = Number(retryAfter);
  return retryAfter !== null && Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, BUSY_WAIT_MAX_MS) : BUSY_WAIT_MS;
}

/** The sentence for a refused request (the project's error body). */
function refusal(body: unknown): string {
  const code = errorCodeOf({ data: body });
  return code === null ? "The server could not give that replay. Try again later." : ErrorCode[code].message;
}

/** A response body, whole, refusing one longer than `max` bytes without reading past it. */
async function readBounded(res: Response, max: number): Promise<Uint8Array> {
  if (res.body === null) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > max) {
      await reader.cancel();
      throw new ReplayUnavailable(`That replay is larger than ${max / (1024 * 1024)} MB, more than this page plays.`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/** This page with `?replay=<id>` (and its `?server=`, if any). */
export function replayLink(id: string, location: Location = window.location): string {
  const url = new URL(menuLink(location));
  url.searchParams.set("replay", id);
  return url.toString();
}

/** This page with nothing but its `?server=`, if any: the menu. */
export function menuLink(location: Location = window.location): string {
  const url = new URL(location.href);
  url.search = "";
  url.hash = "";
  const server = new URLSearchParams(location.search).get("server");
  if (server) url.searchParams.set("server", server);
  return url.toString();
}
