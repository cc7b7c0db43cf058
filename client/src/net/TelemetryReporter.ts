import { TELEMETRY_INTERVAL_MS, TELEMETRY_LIMITS as LIMITS, monotonicClock, type Clock, type TelemetryReport } from "@arena/shared";
import { SNAP_DISTANCE_PX } from "./PredictedPlayer.ts";

/** What the reporter reads of a game session (GameSession's public counters, counted since it began). */
export interface TelemetrySource {
  readonly stats: { readonly remoteFrames: number; readonly frozenFrames: number };
  readonly predicted: { readonly correctionCount: number; readonly corrections: readonly { readonly sizePx: number }[] };
  readonly delay: { readonly delayMs: number };
}

/** Where reports go, and the ping they carry: the ArenaConnection. */
export interface TelemetrySender {
  pingMs(): number | undefined;
  sendTelemetry(report: TelemetryReport): void;
}

/** The session's counters at the start of an interval. */
interface Counts {
  remoteFrames: number;
  frozenFrames: number;
  corrections: number;
}

/**
 * Reports a session's netcode figures to the server, one `telemetry`
 * message every TELEMETRY_INTERVAL_MS (shared/src/telemetry.ts): the frames
 * drawn, interpolation underruns and prediction corrections since the last
 * report, the p99 of those corrections' sizes, the ping and the
 * interpolation delay. Driven by the display loop: `frame()` once per frame,
 * after the session's update; no timer of its own. Every figure is clamped
 * to the bounds the server checks, so a report is never refused for its
 * values; an interval longer than the server takes (a hidden tab draws
 * nothing for minutes) is dropped, and the next one starts then.
 */
export class TelemetryReporter {
  #startedAt: number;
  #frames = 0;
  #base: Counts;

  /** `clock`: what intervals are timed by (a TestClock in unit tests). */
  constructor(
    private readonly session: TelemetrySource,
    private readonly sender: TelemetrySender,
    private readonly clock: Pick<Clock, "now"> = monotonicClock,
  ) {
    this.#startedAt = clock.now();
    this.#base = this.counts();
  }

  /** One display frame was drawn. Returns the report it sent, if it was time for one. */
  frame(): TelemetryReport | undefined {
    this.#frames++;
    const now = this.clock.now();
    const intervalMs = Math.round(now - this.#startedAt);
    if (intervalMs < TELEMETRY_INTERVAL_MS) return undefined;
    const report = intervalMs <= LIMITS.maxIntervalMs ? this.report(intervalMs) : undefined;
    this.#startedAt = now;
    this.#frames = 0;
    this.#base = this.counts();
    if (report !== undefined) this.sender.sendTelemetry(report);
    return report;
  }

  private report(intervalMs: number): TelemetryReport {
    const counts = this.counts();
    const frames = Math.min(this.#frames, Math.floor((intervalMs * LIMITS.maxFps) / 1000));
    const remoteFrames = clamp(counts.remoteFrames - this.#base.remoteFrames, frames);
    const frozenFrames = clamp(counts.frozenFrames - this.#base.frozenFrames, remoteFrames);
    const sizes = this.mispredictions(counts.corrections - this.#base.corrections);
    const ping = this.sender.pingMs();
    return {
      intervalMs,
      frames,
      remoteFrames,
      frozenFrames,
      corrections: clamp(sizes.count, Math.floor((intervalMs * LIMITS.maxCorrectionsPerSecond) / 1000)),
      // At most SNAP_DISTANCE_PX (64 px), well within the bound.
      correctionP99Px: Math.round(p99(sizes.kept) * 10) / 10,
      pingMs: ping === undefined ? null : Math.round(clamp(ping, LIMITS.maxPingMs)),
      delayMs: Math.round(clamp(this.session.delay.delayMs, LIMITS.maxDelayMs)),
    };
  }

  /**
   * The interval's corrections without teleports (respawns, round starts:
   * the server moved the player, nothing was mispredicted): their count, and
   * the sizes of those the session still keeps (its last 1000).
   */
  private mispredictions(made: number): { count: number; kept: number[] } {
    const recent = made > 0 ? this.session.predicted.corrections.slice(-made) : [];
    const kept = recent.map((c) => c.sizePx).filter((size) => size <= SNAP_DISTANCE_PX);
    return { count: Math.max(0, made - (recent.length - kept.length)), kept };
  }

  private counts(): Counts {
    const { stats, predicted } = this.session;
    return { remoteFrames: stats.remoteFrames, frozenFrames: stats.frozenFrames, corrections: predicted.correctionCount };
  }
}

/** A finite value in [0, max] (NaN reads as 0). */
function clamp(value: number, max: number): number {
  return value > 0 ? Math.min(value, max) : 0;
}

/** The 99th percentile (nearest rank) of some sizes, 0 of none. */
function p99(sizes: number[]): number {
  if (sizes.length === 0) return 0;
  const sorted = [...sizes].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length * 0.99) - 1];
}
