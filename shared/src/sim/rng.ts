/**
 * Seeded pseudo-random numbers (mulberry32). The generator's whole state is
 * one uint32 kept in the world, so a world and its copy draw the same numbers.
 * Only integer operations, so every engine agrees.
 */

/** Advances `state` and returns [nextState, value in [0, 1)]. */
export function nextRandom(state: number): [number, number] {
  const next = (state + 0x6d2b79f5) >>> 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return [next, ((t ^ (t >>> 14)) >>> 0) / 4294967296];
}

/** A well-mixed uint32 seed from any integer. */
export function seedFrom(value: number): number {
  return nextRandom(value >>> 0)[0];
}
