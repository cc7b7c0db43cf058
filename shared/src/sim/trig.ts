/**
 * Sine and cosine built only from + - * / and Math.round, which IEEE 754
 * rounds identically in every engine. `Math.sin` and `Math.cos` are not
 * specified to the last bit, so a shot direction computed with them could
 * differ between a browser and the server.
 */

const TWO_PI = Math.PI * 2;
const HALF_PI = Math.PI / 2;

// Taylor coefficients; on |y| <= pi/4 the first omitted term is below 1e-14.
const S3 = -1 / 6,
  S5 = 1 / 120,
  S7 = -1 / 5040,
  S9 = 1 / 362880,
  S11 = -1 / 39916800,
  S13 = 1 / 6227020800;
const C2 = -1 / 2,
  C4 = 1 / 24,
  C6 = -1 / 720,
  C8 = 1 / 40320,
  C10 = -1 / 3628800,
  C12 = 1 / 479001600,
  C14 = -1 / 87178291200;

function sinKernel(y: number): number {
  const y2 = y * y;
  return y * (1 + y2 * (S3 + y2 * (S5 + y2 * (S7 + y2 * (S9 + y2 * (S11 + y2 * S13))))));
}

function cosKernel(y: number): number {
  const y2 = y * y;
  return 1 + y2 * (C2 + y2 * (C4 + y2 * (C6 + y2 * (C8 + y2 * (C10 + y2 * (C12 + y2 * C14))))));
}

/** [cos(angle), sin(angle)] for a finite angle in radians. */
export function cosSin(angle: number): [number, number] {
  const r = angle - Math.round(angle / TWO_PI) * TWO_PI;
  const quadrant = Math.round(r / HALF_PI);
  const y = r - quadrant * HALF_PI;
  const s = sinKernel(y);
  const c = cosKernel(y);
  switch (((quadrant % 4) + 4) % 4) {
    case 0:
      return [c, s];
    case 1:
      return [-s, c];
    case 2:
      return [-c, -s];
    default:
      return [s, -c];
  }
}
