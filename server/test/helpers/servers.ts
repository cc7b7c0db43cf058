import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadSettings } from "../../src/config.ts";
import { createArenaServer, type ArenaServer } from "../../src/createArenaServer.ts";
import { createLogger } from "../../src/logger.ts";
import { waitFor } from "./waitFor.ts";

/** Settings every test server shares: loopback, free ports (game and monitoring), quiet logs. */
const TEST_ENV = { HOST: "127.0.0.1", PORT: "0", METRICS_HOST: "127.0.0.1", METRICS_PORT: "0", LOG_LEVEL: "silent" };

export interface RunningServer {
  port: number;
  endpoint: string;
  /** The monitoring listener (/metrics, /monitor), apart from the game port. */
  metricsEndpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts the game server in this process. Colyseus's matchmaker is one per
 * process, so a test file starts at most one; `node --test` runs every file
 * in a process of its own.
 */
export async function startServer(env: Record<string, string> = {}): Promise<RunningServer & { server: ArenaServer }> {
  const settings = loadSettings({ ...TEST_ENV, SHUTDOWN_DEADLINE_SECONDS: "0", ...env });
  const server = createArenaServer(settings, createLogger(settings.logLevel));
  const port = await server.listen();
  return {
    server, port, endpoint: `http://127.0.0.1:${port}`, metricsEndpoint: `http://127.0.0.1:${server.metricsPort}`,
    stop: () => server.drain(),
  };
}

export interface ServerProcess extends RunningServer {
  child: ChildProcess;
  /** Parsed JSON log lines so far. */
  logs: Record<string, unknown>[];
  /** Raw stdout and stderr so far. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

/** Which Node runs a spawned server, and with which flags (the benchmark's runtime variants and profiles). */
export interface NodeRuntime {
  /** Default: this process's Node. */
  execPath?: string;
  /** Flags before the entry point, e.g. `--max-semi-space-size=16` or `--cpu-prof`. */
  execArgv?: string[];
}

/** Starts `npm start`'s entry point in a child process, as production runs it. */
export async function spawnServer(env: Record<string, string> = {}, node: NodeRuntime = {}): Promise<ServerProcess> {
  const child = spawn(node.execPath ?? process.execPath, [...(node.execArgv ?? []), "--import", "tsx", MAIN], {
    env: { ...process.env, ...TEST_ENV, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  let text = "";
  let pending = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    text += chunk;
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) {
      try { logs.push(JSON.parse(line)); } catch { /* not a log line */ }
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => { text += chunk; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
  let gone = false;
  void exited.then(() => { gone = true; });
  const listening = await waitFor("the server to listen", () => {
    if (gone) throw new Error(`server exited early:\n${text}`);
    return logs.find((l) => l.msg === "listening");
  }, 20_000);
  const port = listening.port as number;
  return {
    child, logs, exited, port, endpoint: `http://127.0.0.1:${port}`, metricsEndpoint: `http://127.0.0.1:${listening.metricsPort as number}`,
    output: () => text,
    async stop() {
      if (!gone) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
}
