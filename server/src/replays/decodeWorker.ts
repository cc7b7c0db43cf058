import { gunzipSync } from "node:zlib";
import { parentPort } from "node:worker_threads";
import { REPLAY_MAX_BYTES, ReplayFormatError, decodeReplay } from "@arena/shared";

/**
 * The replay check (ReplayVerifier), in a worker thread: unzipping and
 * decoding a whole replay takes tens of milliseconds at the recorder's 4 MB
 * cut, time the server's event loop owes its matches. Each message is
 * `{ job, gzipped }`, a stored file's bytes; each answer `{ job, id }`, the id
 * its header names, or `{ job, error, stage }`: it does not gunzip to at most
 * REPLAY_MAX_BYTES (`gunzip`), it does not decode (`decode`, a
 * ReplayFormatError: the file's fault), or the decoder failed (`bug`).
 */
export interface DecodeJob {
  job: number;
  gzipped: Uint8Array;
}

/** What a check finds: the replay's id, or why it failed. */
export type DecodeResult = { id: string } | { error: string; stage: "gunzip" | "decode" | "bug" };

export type DecodeAnswer = DecodeResult & { job: number };

function check(gzipped: Uint8Array): DecodeResult {
  let bytes: Uint8Array;
  try {
    bytes = gunzipSync(gzipped, { maxOutputLength: REPLAY_MAX_BYTES });
  } catch (error) {
    return { error: (error as Error).message, stage: "gunzip" };
  }
  try {
    return { id: decodeReplay(bytes).meta.id };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error), stage: error instanceof ReplayFormatError ? "decode" : "bug" };
  }
}

parentPort?.on("message", ({ job, gzipped }: DecodeJob) => {
  const answer: DecodeAnswer = { job, ...check(gzipped) };
  parentPort!.postMessage(answer);
});
