import { Counter, Histogram, type Registry } from "prom-client";
import type { TelemetryReport } from "@arena/shared";

/** Why a report was not counted: malformed (`bad_message`) or too soon after the last (`telemetry_rate_limited`). */
export type TelemetryRefusal = "malformed" | "rate_limited";

/**
 * The clients' netcode figures (README, "Monitoring"), aggregated over every
 * player's telemetry reports: one observation per report in histograms with
 * fixed buckets and no labels, so a thousand players cost what one does.
 * Each histogram answers "what share of reports saw this": a quantile over
 * it is over players' 5-second intervals, not over frames. Registered with
 * the process's metrics, so they are exported before any report comes.
 */
export class TelemetryMetrics {
  readonly fps: Histogram;
  readonly frozenFrameRatio: Histogram;
  readonly correctionsPerMinute: Histogram;
  readonly correctionSize: Histogram;
  readonly ping: Histogram;
  readonly interpolationDelay: Histogram;
  readonly reports: Counter<"outcome">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.fps = new Histogram({
      name: "arena_client_fps",
      help: "Clients' display frame rate, one observation per telemetry report (frames drawn over the report's interval).",
      buckets: [10, 20, 30, 45, 55, 60, 75, 90, 120, 144, 240],
      registers,
    });
    this.frozenFrameRatio = new Histogram({
      name: "arena_client_frozen_frame_ratio",
      help: "Per telemetry report, the share of the frames drawing remote players on which the interpolation buffer had run dry (remote players stood still). Reports of frames with no remote player are not observed.",
      buckets: [0, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1],
      registers,
    });
    this.correctionsPerMinute = new Histogram({
      name: "arena_client_corrections_per_minute",
      help: "Per telemetry report, the server's corrections of the client's prediction of its own player, per minute (teleports not counted).",
      buckets: [0, 1, 2, 4, 8, 15, 30, 60, 120, 300],
      registers,
    });
    this.correctionSize = new Histogram({
      name: "arena_client_correction_size_pixels",
      help: "Per telemetry report with corrections, the 99th percentile of their sizes, px (one step at full speed is about 7.3 px; larger than 64 px is a teleport, not counted).",
      buckets: [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64],
      registers,
    });
    this.ping = new Histogram({
      name: "arena_client_ping_seconds",
      help: "Clients' network round trip (a ping frame to its answer), as each telemetry report gives it; reports sent before the first answer are not observed.",
      buckets: [0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2],
      registers,
    });
    this.interpolationDelay = new Histogram({
      name: "arena_client_interpolation_delay_seconds",
      help: "How far behind the newest state clients draw remote players (their adaptive interpolation delay, 60-200 ms), as each telemetry report gives it.",
      buckets: [0.06, 0.07, 0.08, 0.09, 0.1, 0.12, 0.15, 0.2, 0.25],
      registers,
    });
    this.reports = new Counter({
      name: "arena_client_reports_total",
      help: "Telemetry reports by outcome: accepted, or refused as malformed (bad_message) or rate_limited (telemetry_rate_limited); refused ones are observed nowhere else.",
      labelNames: ["outcome"] as const,
      registers,
    });
    // Every outcome is exported from the start, at 0.
    for (const outcome of ["accepted", "malformed", "rate_limited"] as const) this.reports.inc({ outcome }, 0);
  }

  /** A report that passed validation and the rate limit. */
  accepted(report: TelemetryReport): void {
    const minutes = report.intervalMs / 60_000;
    this.reports.inc({ outcome: "accepted" });
    this.fps.observe((report.frames * 1000) / report.intervalMs);
    if (report.remoteFrames > 0) this.frozenFrameRatio.observe(report.frozenFrames / report.remoteFrames);
    this.correctionsPerMinute.observe(report.corrections / minutes);
    if (report.corrections > 0) this.correctionSize.observe(report.correctionP99Px);
    if (report.pingMs !== null) this.ping.observe(report.pingMs / 1000);
    this.interpolationDelay.observe(report.delayMs / 1000);
  }

  refused(why: TelemetryRefusal): void {
    this.reports.inc({ outcome: why });
  }
}
