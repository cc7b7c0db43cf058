import { Worker } from "node:worker_threads";
import { REPLAY_MAX_BYTES } from "@arena/shared";
import type { DecodeAnswer, DecodeJob } from "./decodeWorker.ts";

/** Ids remembered as sound; past this many the memory starts again (a replay's file never changes, so this only saves work). */
const REMEMBERED_MAX = 1000;

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
 * share the check), and its bytes are then served as stored. The check runs
 * in a worker thread of its own (decodeWorker.ts), started on the first one,
 * one replay at a time, unref'd (it never holds the process open): no check
 * holds the event loop, and the matches' ticks, for as long as a replay
 * takes to unzip and decode.
 */
export class ReplayVerifier {
  readonly #sound = new Set<string>();
  readonly #checking = new Map<string, Promise<void>>();
  readonly #decoder = new DecodeWorker();

  async verify(id: string, gzipped: Uint8Array): Promise<void> {
    if (this.#sound.has(id)) return;
    let check = this.#checking.get(id);
    if (check === undefined) {
      check = this.#check(id, gzipped).finally(() => this.#checking.delete(id));
      this.#checking.set(id, check);
    }
    await check;
    if (this.#sound.size >= REMEMBERED_MAX) this.#sound.clear();
    this.#sound.add(id);
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
