import { Worker } from "node:worker_threads";
import { REPLAY_MAX_BYTES } from "@arena/shared";
import { REPLAY_KEEP_MAX } from "../config.ts";
import type { DecodeAnswer, DecodeJob } from "./decodeWorker.ts";

/**
 * Verdicts remembered (sound, or refused); past this many the memory starts
 * again. A replay's file never changes, so this only saves work, but it must
 * hold every replay a directory can keep (REPLAY_KEEP_MAX): fewer, and a
 * client asking for each stored replay in turn would have every request
 * checked again, a core's worth of work in the worker. Only the ids of
 * stored files come in, so a client cannot fill it.
 */
const REMEMBERED_MAX = 2 * REPLAY_KEEP_MAX;
/** Requests for replays not checked yet that may be under way at once (ReplayVerifier.admit): past it, 503 `replays_busy`. */
export const MAX_UNCHECKED_REQUESTS = 8;

/**
 * The decoding worker's module: beside the bundle's main.js in server/dist
 * (build.mjs builds it as a second entry point); from the sources under tsx,
 * a module that gives the worker tsx's loader first (decodeWorker.dev.mjs).
 */
const DECODE_WORKER = new URL(import.meta.url.endsWith(".ts") ? "./decodeWorker.dev.mjs" : "./decodeWorker.js", import.meta.url);

/** A stored replay that does not gunzip or decode: the route answers `corrupt_replay`. */
export class CorruptReplay extends Error {}

/**
 * Checks a stored replay before it is served: it must gunzip to at most
 * REPLAY_MAX_BYTES (what a browser accepts), decode (decodeReplay: all of
 * it, bounded and linear) and be the replay of that id. A replay's file
 * never changes, so each id is checked once (concurrent requests for one id
 * share the check; a refusal is remembered too), and its bytes are then
 * served as stored. The check runs in a worker thread of its own
 * (decodeWorker.ts), started on the first one, one replay at a time, unref'd
 * (it never holds the process open): no check holds the event loop, and the
 * matches' ticks, for as long as a replay takes to unzip and decode.
 */
export class ReplayVerifier {
  /** Each id checked: null if sound, else why it is refused (the file's fault only: a failed worker is not remembered). */
  readonly #verdicts = new Map<string, CorruptReplay | null>();
  readonly #checking = new Map<string, Promise<void>>();
  readonly #decoder = new DecodeWorker();
  /** Requests admitted for an id not checked yet, still reading its file or waiting for its check. */
  #unchecked = 0;

  /** @param maxUnchecked requests for ids not yet checked that may be under way at once (`admit`). */
  constructor(private readonly maxUnchecked = MAX_UNCHECKED_REQUESTS) {}

  /**
   * Lets a request for `id` go on, before it reads the file: at once if the
   * id's verdict is known, else if fewer than `maxUnchecked` such requests
   * are under way (each holds a stored file, up to 16 MB, and waits its turn
   * in the worker's queue). Resolves to what ends it (call it when the
   * request is done), or null: the caller answers 503 `replays_busy`.
   */
  admit(id: string): (() => void) | null {
    if (this.#verdicts.has(id)) return () => {};
    if (this.#unchecked >= this.maxUnchecked) return null;
    this.#unchecked++;
    let ended = false;
    return () => {
      if (!ended) this.#unchecked--;
      ended = true;
    };
  }

  async verify(id: string, gzipped: Uint8Array): Promise<void> {
    const known = this.#verdicts.get(id);
    if (known === null) return;
    if (known !== undefined) throw known;
    let check = this.#checking.get(id);
    if (check === undefined) {
      check = this.#check(id, gzipped).then(
        () => this.#remember(id, null),
        (error: unknown) => {
          if (error instanceof CorruptReplay) this.#remember(id, error);
          throw error;
        },
      );
      check = check.finally(() => this.#checking.delete(id));
      this.#checking.set(id, check);
    }
    await check;
  }

  #remember(id: string, verdict: CorruptReplay | null): void {
    if (this.#verdicts.size >= REMEMBERED_MAX) this.#verdicts.clear();
    this.#verdicts.set(id, verdict);
  }

  async #check(id: string, gzipped: Uint8Array): Promise<void> {
    const replayId = await this.#decoder.idOf(gzipped);
    if (replayId !== id) throw new CorruptReplay(`holds replay ${replayId}, not ${id}`);
  }
}

/** The decoding worker: started when first needed, started again after it fails; its jobs answered in order. */
class DecodeWorker {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, { resolve(id: string): void; reject(error: Error): void }>();
  #nextJob = 0;

  /** The id a stored replay names, once the worker has unzipped and decoded all of it; CorruptReplay if it does not. */
  idOf(gzipped: Uint8Array): Promise<string> {
    const worker = this.#start();
    const job = this.#nextJob++;
    return new Promise<string>((resolve, reject) => {
      this.#pending.set(job, { resolve, reject });
      // Copied to the worker (a stored file, compressed: a few hundred KB); the caller keeps its bytes to serve them.
      const message: DecodeJob = { job, gzipped };
      worker.postMessage(message);
    });
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(DECODE_WORKER);
    worker.unref();
    worker.on("message", (answer: DecodeAnswer) => {
      const waiting = this.#pending.get(answer.job);
      this.#pending.delete(answer.job);
      if (waiting === undefined) return;
      if ("id" in answer) waiting.resolve(answer.id);
      else if (answer.stage === "gunzip") waiting.reject(new CorruptReplay(`does not gunzip to at most ${REPLAY_MAX_BYTES} bytes: ${answer.error}`));
      else if (answer.stage === "decode") waiting.reject(new CorruptReplay(`does not decode: ${answer.error}`));
      else waiting.reject(new Error(`the replay decoder failed: ${answer.error}`));
    });
    // A worker that dies (out of memory, a bug) fails what it held; the next check starts another.
    const fail = (error: Error) => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const [job, waiting] of this.#pending) {
        this.#pending.delete(job);
        waiting.reject(error);
      }
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the replay decoder stopped (exit code ${code})`)));
    this.#worker = worker;
    return worker;
  }
}
