import { TEST_SERVER_ENV, type RunningServer } from "@arena/testkit";
import { loadSettings } from "../../src/config.ts";
import { createArenaServer, type ArenaServer, type ServerParts } from "../../src/createArenaServer.ts";
import { createLogger } from "../../src/logger.ts";

/**
 * Starts the game server in this process. Colyseus's matchmaker is one per
 * process, so a test file starts at most one; `node --test` runs every file
 * in a process of its own. (A server in a child process: `spawnServer` from
 * `@arena/testkit`.)
 */
export async function startServer(env: Record<string, string> = {}, parts: ServerParts = {}): Promise<RunningServer & { server: ArenaServer }> {
  const settings = loadSettings({ ...TEST_SERVER_ENV, SHUTDOWN_DEADLINE_SECONDS: "0", ...env });
  const server = createArenaServer(settings, createLogger(settings.logLevel), parts);
  const port = await server.listen();
  return {
    server,
    port,
    endpoint: `http://127.0.0.1:${port}`,
    metricsEndpoint: `http://127.0.0.1:${server.metricsPort}`,
    stop: () => server.drain(),
  };
}
