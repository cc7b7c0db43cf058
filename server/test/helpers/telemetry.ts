import type { TelemetryReport } from "@arena/shared";

/** A report well within every bound (shared/src/telemetry.ts): what a client at 60 fps sends after 5 s. */
export const REPORT: Readonly<TelemetryReport> = Object.freeze({
  intervalMs: 5000,
  frames: 300,
  remoteFrames: 290,
  frozenFrames: 3,
  corrections: 2,
  correctionP99Px: 7.3,
  pingMs: 48,
  delayMs: 72,
});
