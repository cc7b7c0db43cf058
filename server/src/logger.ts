import { pino, type DestinationStream, type Logger } from "pino";

/**
 * Structured JSON logs on stdout. Reconnection tokens are bearer secrets:
 * any field that could carry one is redacted, and nothing here logs request
 * URLs (a reconnecting socket's URL carries its token). A Redis client's
 * reply error carries the failed command and its arguments (`err.command`:
 * a match snapshot, with its players' tokens): redacted too.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: {
        paths: ["reconnectionToken", "*.reconnectionToken", "token", "*.token", "options.token", "err.command", "*.err.command"],
        censor: "[redacted]",
      },
    },
    destination,
  );
}

export type { Logger };
