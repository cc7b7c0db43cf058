/**
 * The 16-bit wire angle. `t.angle()` in @colyseus/schema snaps every value it
 * is given to `(q / 65536) * 2pi`; the simulation stores aims already snapped
 * with the same expression, so a schema-backed world and a plain one hold the
 * same number.
 */
const RANGE = Math.PI * 2;
const STEPS = 65536;

export function snapAngle16(angle: number): number {
  if (!Number.isFinite(angle)) return 0;
  let a = angle % RANGE;
  if (a < 0) a += RANGE;
  const q = Math.floor((a / RANGE) * STEPS + 0.5) % STEPS;
  return 0 + (q / STEPS) * RANGE;
}
