import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, describe, it } from "node:test";

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
  after(() => {
    if (child?.exitCode === null) child.kill("SIGKILL");
  });

  it("builds, serves /api/health and the client from plain Node without tsx, and drains on SIGTERM", { timeout: 30_000 }, async () => {
    await promisify(execFile)(process.execPath, [BUILD]);
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
  });
});
