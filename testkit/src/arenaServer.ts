import { fileURLToPath } from "node:url";
import { spawnListening, type ListeningProcess, type NodeRuntime } from "./spawnListening.ts";

/**
 * Settings every test server shares: loopback, free ports (game and monitoring), quiet logs,
 * and no replays (the default directory is the machine's shared one): a test that records
 * passes a REPLAY_DIR of its own.
 */
export const TEST_SERVER_ENV: Readonly<Record<string, string>> = Object.freeze({
  HOST: "127.0.0.1",
  PORT: "0",
  METRICS_HOST: "127.0.0.1",
  METRICS_PORT: "0",
  LOG_LEVEL: "silent",
  REPLAY_DIR: "off",
});

/** An arena server a test talks to, in this process or in a child. */
export interface RunningServer {
  port: number;
  endpoint: string;
  /** The monitoring listener (/metrics, /monitor), apart from the game port. */
  metricsEndpoint: string;
  stop(): Promise<void>;
}

/** An arena server in a child process. */
export interface ServerProcess extends RunningServer, ListeningProcess {}

/**
 * Starts `npm start`'s entry point (`@arena/server/main`) in a child process,
 * as production runs it, with TEST_SERVER_ENV, info logs (read by tests in
 * `logs`), and `env` on top. Fails at once if it exits before it listens.
 */
export async function spawnServer(env: Record<string, string> = {}, node: NodeRuntime = {}): Promise<ServerProcess> {
  // Resolved here, not by the child's working directory: tsx and the server are this package's dependencies.
  const main = fileURLToPath(import.meta.resolve("@arena/server/main"));
  const proc = await spawnListening(["--import", import.meta.resolve("tsx"), main], {
    name: "the server",
    env: { ...TEST_SERVER_ENV, LOG_LEVEL: "info", ...env },
    node,
  });
  return Object.assign(proc, { metricsEndpoint: `http://127.0.0.1:${proc.listening.metricsPort as number}` });
}
