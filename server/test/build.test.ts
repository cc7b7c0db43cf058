import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gunzipSync, gzipSync } from "node:zlib";
import { after, describe, it } from "node:test";
import { createLogger } from "../src/logger.ts";
import { FileReplayStore } from "../src/replays/FileReplayStore.ts";
import { replayOf } from "./helpers/replays.ts";

const BUILD = fileURLToPath(new URL("../build.mjs", import.meta.url));
const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const CLIENT_DIST = fileURLToPath(new URL("../../client/dist/", import.meta.url));

type LogLine = Record<string, unknown>;

/** Resolves with the first JSON log line `match` accepts; rejects if the process exits first. */
function logLine(child: ChildProcess, output: { text: string }, match: (line: LogLine) => boolean): Promise<LogLine> {
  return new Promise((resolve, reject) => {
    let pending = "";
    const onData = (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const text of lines) {
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          continue;
        }
        if (match(line)) {
          child.stdout!.off("data", onData);
          resolve(line);
        }
      }
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code, signal) => reject(new Error(`the server exited (${code ?? signal}) before logging it:\n${output.text}`)));
  });
}

describe("npm start's build (server/dist/main.js)", () => {
  let child: ChildProcess | undefined;
  let replayDir: string | undefined;
  after(async () => {
    if (child?.exitCode === null) child.kill("SIGKILL");
    if (replayDir !== undefined) await rm(replayDir, { recursive: true, force: true });
  });

  it(
    "builds, serves /api/health, a replay (checked by its worker) and the client from plain Node without tsx, and drains on SIGTERM",
    { timeout: 30_000 },
    async () => {
      await promisify(execFile)(process.execPath, [BUILD]);
      // Stored replays, one sound and one damaged: the bundle's replay check runs in dist/decodeWorker.js.
      replayDir = await mkdtemp(join(tmpdir(), "arena-build-replays-"));
      const store = new FileReplayStore({ dir: replayDir, keep: 10, maxAgeHours: 1, log: createLogger("silent") });
      const meta = { roomId: "someRoom", mode: "ffa", startedAt: 1000, endedAt: 2000, ticks: 10, players: ["Ann"], bytes: 0 };
      const sound = replayOf("built_replay_001", 10);
      await store.save({ ...meta, id: "built_replay_001" }, sound);
      await store.save({ ...meta, id: "built_replay_002", endedAt: 3000 }, gzipSync(Buffer.from("not a replay")));
      // Loopback, free ports, no Redis, whatever the shell running the tests has set; no loader.
      const env = {
        ...process.env,
        NODE_OPTIONS: "",
        HOST: "127.0.0.1",
        PORT: "0",
        METRICS_HOST: "127.0.0.1",
        METRICS_PORT: "0",
        REDIS_URL: "",
        PUBLIC_ADDRESS: "",
        LOG_LEVEL: "info",
        SHUTDOWN_DEADLINE_SECONDS: "0",
        REPLAY_DIR: replayDir,
      };
      child = spawn(process.execPath, ["--enable-source-maps", MAIN], { env, stdio: ["ignore", "pipe", "pipe"] });
      const output = { text: "" };
      child.stdout!.on("data", (chunk: Buffer) => {
        output.text += chunk.toString();
      });
      child.stderr!.on("data", (chunk: Buffer) => {
        output.text += chunk.toString();
      });
      const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;

      const listening = await logLine(child, output, (line) => line.msg === "listening");
      const endpoint = `http://127.0.0.1:${listening.port as number}`;
      const health = await fetch(`${endpoint}/api/health`);
      assert.equal(health.status, 200);
      assert.equal(((await health.json()) as { status: string }).status, "ok");

      const replay = await fetch(`${endpoint}/api/replays/built_replay_001`);
      assert.equal(replay.status, 200);
      assert.deepEqual(Buffer.from(await replay.arrayBuffer()), gunzipSync(sound)); // fetch takes the gzip encoding off
      const damaged = await fetch(`${endpoint}/api/replays/built_replay_002`);
      assert.equal(damaged.status, 500);
      assert.equal(((await damaged.json()) as { errorCode: string }).errorCode, "corrupt_replay");

      // The bundle sits as deep as server/src, so import.meta.url still finds client/dist.
      if (existsSync(CLIENT_DIST)) {
        const page = await fetch(`${endpoint}/`);
        assert.equal(page.status, 200);
        assert.match(page.headers.get("content-type") ?? "", /text\/html/);
      } else {
        assert.ok(output.text.includes(`"path":"${CLIENT_DIST}"`), `looks for the client build where npm run build -w client puts it:\n${output.text}`);
      }

      child.kill("SIGTERM");
      const [code] = await exited;
      assert.equal(code, 0, output.text);
      assert.match(output.text, /"msg":"drained"/);
    },
  );
});
