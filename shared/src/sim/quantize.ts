/**
 * The simulation's own copies of the wire's quantization. The schema's
 * quantized fields (`t.angle()`, `t.quantized()`) snap every value they are
 * given to `min + (q / span) * range`; the simulation stores values already
 * snapped with the same arithmetic (+ - * / floor, identical in every
 * engine). A snapped value is a fixed point of the codec, so a schema-backed
 * world and a plain one hold the same numbers, the wire is lossless, and the
 * client's prediction lands bit-for-bit on the server's result.
 */
import { POSITION_RANGE_PX } from "../constants.ts";

const ANGLE_RANGE = Math.PI * 2;
/** `t.angle()`: 16 bits, wrapping: 2^16 steps over [0, 2pi). */
const ANGLE_SPAN = 65536;
/** `t.quantized({ min: 0, bits: 16 })`, clamped: 2^16 - 1 steps over [0, max]. */
const POSITION_SPAN = 65535;

export function snapAngle16(angle: number): number {
  if (!Number.isFinite(angle)) return 0;
  let a = angle % ANGLE_RANGE;
  if (a < 0) a += ANGLE_RANGE;
  const q = Math.floor((a / ANGLE_RANGE) * ANGLE_SPAN + 0.5) % ANGLE_SPAN;
  return 0 + (q / ANGLE_SPAN) * ANGLE_RANGE;
}

/** Snaps a position (px) to the 16-bit wire grid, 1/32 px apart. */
export function snapPosition(px: number): number {
  if (px !== px) return 0;
  const v = px < 0 ? 0 : px > POSITION_RANGE_PX ? POSITION_RANGE_PX : px;
  const q = Math.floor((v / POSITION_RANGE_PX) * POSITION_SPAN + 0.5);
  return 0 + (q / POSITION_SPAN) * POSITION_RANGE_PX;
}
