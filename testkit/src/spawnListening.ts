import { spawn, type ChildProcess } from "node:child_process";
import { waitFor } from "./waitFor.ts";

/** Which Node runs a spawned server, and with which flags (the benchmark's runtime variants and profiles). */
export interface NodeRuntime {
  /** Default: this process's Node. */
  execPath?: string;
  /** Flags before the program's own arguments, e.g. `--max-semi-space-size=16` or `--cpu-prof`. */
  execArgv?: string[];
}

export interface ListeningOptions {
  /** What the child is, in error messages ("the server"). */
  name?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  node?: NodeRuntime;
  /** How long it may take to say it listens, ms; default 20 000 (a cold tsx start on a busy machine). */
  timeoutMs?: number;
}

/** A server in a child process, listening. */
export interface ListeningProcess {
  child: ChildProcess;
  /** The log line that said it listens. */
  listening: Record<string, unknown>;
  port: number;
  endpoint: string;
  /** Parsed JSON log lines so far (stdout). */
  logs: Record<string, unknown>[];
  /** Raw stdout and stderr so far. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, then waits for the exit. */
  stop(): Promise<void>;
}

/** How much of a child's stderr an early-exit error quotes, characters. */
const STDERR_TAIL_CHARS = 4000;

/**
 * Runs `node [execArgv] ...args` and resolves once the child logs, as one
 * JSON line on stdout, `{"msg": "listening", "port": <number>}` (pino's
 * format, which the arena server and the Socket.IO baseline both write).
 *
 * If the child exits first, fails at once with its exit code or signal and
 * the end of its stderr (of its stdout when stderr is empty: pino logs a
 * failed bind there), rather than waiting out the timeout. If it is not
 * listening in time, kills it and fails with the end of its output.
 */
export async function spawnListening(args: string[], options: ListeningOptions = {}): Promise<ListeningProcess> {
  const name = options.name ?? "the child process";
  const child = spawn(options.node?.execPath ?? process.execPath, [...(options.node?.execArgv ?? []), ...args], {
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  let text = "";
  let stderrTail = "";
  let pending = "";
  // Text, not Buffers: a character split between two chunks is decoded whole.
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    text += chunk;
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) {
      try {
        const log: unknown = JSON.parse(line);
        if (typeof log === "object" && log !== null) logs.push(log as Record<string, unknown>);
      } catch {
        /* not a log line */
      }
    }
  });
  child.stderr.on("data", (chunk: string) => {
    text += chunk;
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  let gone = false;
  void exited.then(() => {
    gone = true;
  });

  // 'close' comes after 'exit' once stdout and stderr are drained, so the error quotes all of stderr's end.
  const early = new AbortController();
  child.once("error", (error) => early.abort(new Error(`${name} did not start: ${error.message}`)));
  child.once("close", (code, signal) => {
    const status = code !== null ? `exit code ${code}` : `signal ${signal}`;
    const said = stderrTail.trim() !== "" ? `stderr: ${quoted(stderrTail)}` : `nothing on stderr; its output: ${quoted(text.slice(-STDERR_TAIL_CHARS))}`;
    early.abort(new Error(`${name} exited before it was listening (${status}); ${said}`));
  });

  let listening: Record<string, unknown>;
  try {
    listening = await waitFor(`${name} to listen`, () => logs.find((l) => l.msg === "listening" && typeof l.port === "number"), {
      timeoutMs: options.timeoutMs ?? 20_000,
      signal: early.signal,
    });
  } catch (error) {
    child.kill("SIGKILL");
    if (early.signal.aborted) throw error;
    throw new Error(`${(error as Error).message}; its output: ${quoted(text.slice(-STDERR_TAIL_CHARS))}`, { cause: error });
  }
  const port = listening.port as number;
  return {
    child,
    listening,
    logs,
    exited,
    port,
    endpoint: `http://127.0.0.1:${port}`,
    output: () => text,
    async stop() {
      if (!gone) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
}

function quoted(output: string): string {
  return output.trim() === "" ? "(nothing)" : `\n${output.trimEnd()}`;
}
