import { z } from "zod";
import { TELEMETRY_LIMITS as LIMITS, type ClientMessages } from "@arena/shared";

/** A count: a non-negative safe integer. */
const count = z.int().min(0);

/**
 * A telemetry report (shared/src/telemetry.ts): every field a finite number
 * within its bound (zod's numbers refuse NaN and the infinities), counts
 * integers, no other key, and counts that fit the interval and each other.
 */
const telemetry = z
  .strictObject({
    intervalMs: z.int().min(LIMITS.minIntervalMs).max(LIMITS.maxIntervalMs),
    frames: count,
    remoteFrames: count,
    frozenFrames: count,
    corrections: count,
    correctionP99Px: z.number().min(0).max(LIMITS.maxCorrectionPx),
    pingMs: z.number().min(0).max(LIMITS.maxPingMs).nullable(),
    delayMs: z.number().min(0).max(LIMITS.maxDelayMs),
  })
  .refine(
    (r) =>
      r.frames <= (r.intervalMs * LIMITS.maxFps) / 1000 &&
      r.remoteFrames <= r.frames &&
      r.frozenFrames <= r.remoteFrames &&
      r.corrections <= (r.intervalMs * LIMITS.maxCorrectionsPerSecond) / 1000,
  );

/**
 * The schema of each message a client may send (shared `ClientMessages`):
 * a room handler gets `unknown` from Colyseus and reads it only through
 * these. A message that does not match is answered with `bad_message` and
 * the player stays (Colyseus's own `validate()` would close the socket with
 * 4002). Chat drops unknown keys rather than refusing them, as clients may
 * add some; telemetry refuses them, since every key of a report is a figure
 * the server aggregates and a report is not worth guessing at.
 */
export const clientMessages = {
  chat: z.object({ text: z.string() }),
  telemetry,
} satisfies { [K in keyof ClientMessages]: z.ZodType<ClientMessages[K]> };
