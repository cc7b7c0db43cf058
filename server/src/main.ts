/**
 * Entry point: `npm start`. Reads the settings, starts the game server, and
 * drains it on SIGTERM or SIGINT.
 */
import { ConfigError, loadSettings } from "./config.ts";
import { createArenaServer } from "./createArenaServer.ts";
import { createLogger } from "./logger.ts";

let settings;
try {
  settings = loadSettings(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(78); // EX_CONFIG
}

const log = createLogger(settings.logLevel);
const server = createArenaServer(settings, log);

process.on("uncaughtException", (err) => {
  log.fatal({ err }, "uncaught exception");
  process.exit(1);
});

// A promise rejected with nobody to catch it is logged, not fatal: Colyseus core
// leaves some of its own unhandled (a leave whose listing update fails while Redis
// is unreachable: Room._onLeave), and one player's leave must not end every match
// of the process. (Node's default would end the process, as an uncaught exception.)
process.on("unhandledRejection", (reason) => {
  const err = reason instanceof Error ? { name: reason.name, message: reason.message, stack: reason.stack } : { message: String(reason) };
  log.error({ err }, "unhandled promise rejection");
});

try {
  const port = await server.listen();
  log.info(
    { port, host: settings.host, metricsPort: server.metricsPort, metricsHost: settings.metricsHost, redis: settings.redisUrl !== undefined },
    "listening",
  );
} catch (err) {
  // A failed bind leaves Colyseus running without a port (EADDRINUSE): stop.
  log.fatal({ err }, "could not start");
  process.exit(1);
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    log.info({ signal }, "shutting down");
    server.drain().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, "drain failed");
        process.exit(1);
      },
    );
  });
}
