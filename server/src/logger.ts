import { pino, type Logger } from "pino";

/**
 * Structured JSON logs on stdout. Reconnection tokens are bearer secrets:
 * any field that could carry one is redacted, and nothing here logs request
 * URLs (a reconnecting socket's URL carries its token).
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { pid: process.pid },
    redact: {
      paths: ["reconnectionToken", "*.reconnectionToken", "token", "*.token", "options.token"],
      censor: "[redacted]",
    },
  });
}

export type { Logger };
