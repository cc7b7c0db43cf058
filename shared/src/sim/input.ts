import type { InputFrame } from "./types.ts";

const TWO_PI = Math.PI * 2;

function unitAxis(value: unknown): number {
  if (typeof value !== "number" || value !== value) return 0;
  // Math.fround: the wire carries float32, so both sides step with that value.
  return Math.fround(value < -1 ? -1 : value > 1 ? 1 : value);
}

function angle(value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) return 0;
  const a = value % TWO_PI;
  return Math.fround(a < 0 ? a + TWO_PI : a);
}

/**
 * Cleans an input frame in place: anything that is not a number in range
 * (NaN, infinities, strings, huge values) becomes a legal value, so no frame
 * can move a player faster than the speed limit or break the world. A field
 * already legal is left unwritten (most frames: a schema frame's setter does
 * work on every write).
 */
export function sanitizeInput(frame: InputFrame): InputFrame {
  const moveX = unitAxis(frame.moveX);
  const moveY = unitAxis(frame.moveY);
  const aim = angle(frame.aim);
  const fire = frame.fire === true;
  // `!==` misses no change: both rules keep a zero's sign (-0 stays -0), and NaN differs from everything.
  if (moveX !== frame.moveX) frame.moveX = moveX;
  if (moveY !== frame.moveY) frame.moveY = moveY;
  if (aim !== frame.aim) frame.aim = aim;
  if (fire !== frame.fire) frame.fire = fire;
  return frame;
}

/** A frame that does nothing, e.g. for a player whose inputs stalled. */
export function idleInput(): InputFrame {
  return { moveX: 0, moveY: 0, aim: 0, fire: false };
}
