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
 * can move a player faster than the speed limit or break the world.
 */
export function sanitizeInput(frame: InputFrame): InputFrame {
  frame.moveX = unitAxis(frame.moveX);
  frame.moveY = unitAxis(frame.moveY);
  frame.aim = angle(frame.aim);
  frame.fire = frame.fire === true;
  return frame;
}

/** A frame that does nothing, e.g. for a player whose inputs stalled. */
export function idleInput(): InputFrame {
  return { moveX: 0, moveY: 0, aim: 0, fire: false };
}
