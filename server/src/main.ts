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

try {
  const port = await server.listen();
  log.info({ port, host: settings.host, metricsPort: server.metricsPort, metricsHost: settings.metricsHost, redis: settings.redisUrl !== undefined }, "listening");
} catch (err) {
  // A failed bind leaves Colyseus running without a port (EADDRINUSE): stop.
  log.fatal({ err }, "could not start");
  process.exit(1);
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    log.info({ signal }, "shutting down");
    server.drain().then(() => process.exit(0), (err: unknown) => {
      log.error({ err }, "drain failed");
      process.exit(1);
    });
  });
}
