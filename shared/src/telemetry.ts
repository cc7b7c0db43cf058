/**
 * Client netcode telemetry: what a client reports of its own play (README,
 * "Wire protocol" and "Monitoring"). A client sends one `telemetry` message
 * every TELEMETRY_INTERVAL_MS; the server aggregates the reports into
 * histograms with no per-client labels (server/src/TelemetryMetrics.ts).
 */

/** How often a client reports, ms of its own clock. */
export const TELEMETRY_INTERVAL_MS = 5000;

/**
 * The server takes at most one report per client in this many ms: the
 * interval less a second, so a report delayed by up to a second of network
 * jitter behind the one before it still counts. A faster one is refused with
 * `telemetry_rate_limited`.
 */
export const TELEMETRY_MIN_SPACING_MS = TELEMETRY_INTERVAL_MS - 1000;

/**
 * The bounds of every field of a report (the server refuses a report outside
 * them with `bad_message`; the client clamps to them, so it never sends one).
 */
export const TELEMETRY_LIMITS = Object.freeze({
  /** The time a report covers, ms. Longer gaps (a hidden tab draws nothing) are not reported. */
  minIntervalMs: 1000,
  maxIntervalMs: 60_000,
  /** Display frames per second: `frames` is at most `intervalMs` × this / 1000. */
  maxFps: 1000,
  /** Corrections per second (patches come 20 a second; one correction at most per patch): `corrections` ≤ `intervalMs` × this / 1000. */
  maxCorrectionsPerSecond: 100,
  /** A correction's size, px (the arena's diagonal is 2,000 px). */
  maxCorrectionPx: 10_000,
  /** The network round trip, ms. */
  maxPingMs: 10_000,
  /** The interpolation delay, ms (the client's own keeps it in 60-200 ms). */
  maxDelayMs: 10_000,
});

/**
 * One report: counts over `intervalMs`, the time since the client's last
 * report (or since its session began), and two figures as they are at the
 * report. Numbers only; counts are non-negative integers.
 */
export interface TelemetryReport {
  /** The time this report covers, ms (TELEMETRY_LIMITS.minIntervalMs to maxIntervalMs). */
  intervalMs: number;
  /** Display frames drawn (frames per second: frames × 1000 / intervalMs). */
  frames: number;
  /** Of those, frames that drew at least one remote player (at most `frames`). */
  remoteFrames: number;
  /** Of those, frames drawn past the newest state: the interpolation buffer ran dry (at most `remoteFrames`). */
  frozenFrames: number;
  /** Mispredictions of the local player the server's state corrected; teleports (respawns, round starts) are not counted. */
  corrections: number;
  /** The 99th percentile of those corrections' sizes, px; 0 without corrections. */
  correctionP99Px: number;
  /** The network round trip (ping frame to answer), ms; null until measured. */
  pingMs: number | null;
  /** How far behind the newest state remote players are drawn (the adaptive interpolation delay), ms. */
  delayMs: number;
}
