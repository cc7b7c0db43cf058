import { TELEMETRY_MIN_SPACING_MS, monotonicClock, type Clock, type ErrorCode, type TelemetryReport } from "@arena/shared";
import type { TelemetryRefusal } from "../TelemetryMetrics.ts";
import { clientMessages } from "./clientMessages.ts";
import { sendRoomError, type ErrorClient } from "./sendRoomError.ts";

/** Where reports go: the process's TelemetryMetrics (a recording fake in unit tests). */
export interface TelemetrySink {
  accepted(report: TelemetryReport): void;
  refused(why: TelemetryRefusal): void;
}

/**
 * A match's `telemetry` messages: each player's netcode report, checked
 * (clientMessages.ts: numbers only, every one bounded, no other key) and
 * rate-limited to one per TELEMETRY_MIN_SPACING_MS per player, then handed
 * to the sink. A refusal (`bad_message`, `telemetry_rate_limited`) goes
 * back to the sender only, changes nothing but the sink's count of
 * refusals, and does not use up the sender's turn.
 */
export class RoomTelemetry {
  /** Per sender, when its last accepted report came (clock ms). */
  readonly #lastAt = new Map<string, number>();

  /** `clock`: what the rate limit is timed by (a TestClock in unit tests). */
  constructor(
    private readonly sink: TelemetrySink,
    private readonly clock: Clock = monotonicClock,
  ) {}

  receive(client: ErrorClient, message: unknown): void {
    const parsed = clientMessages.telemetry.safeParse(message);
    if (!parsed.success) return this.refuse(client, "malformed", "bad_message");
    if (!this.spend(client.sessionId)) return this.refuse(client, "rate_limited", "telemetry_rate_limited");
    this.sink.accepted(parsed.data);
  }

  /** True, and the sender's turn taken, when its last accepted report is at least TELEMETRY_MIN_SPACING_MS old. */
  private spend(sessionId: string): boolean {
    const now = this.clock.now();
    // Senders whose turn has come again, those who left among them, are forgotten.
    for (const [id, at] of this.#lastAt) if (now - at >= TELEMETRY_MIN_SPACING_MS) this.#lastAt.delete(id);
    if (this.#lastAt.has(sessionId)) return false;
    this.#lastAt.set(sessionId, now);
    return true;
  }

  private refuse(client: ErrorClient, why: TelemetryRefusal, code: ErrorCode): void {
    this.sink.refused(why);
    sendRoomError(client, code);
  }
}
