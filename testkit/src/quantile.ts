/**
 * The q-quantile (0..1) of a list of samples: the sample at index
 * floor(q * n) of the sorted list (the last for q = 1), so always one of the
 * samples, never an interpolation between two; the median of an even count is
 * the upper of the middle two. NaN when there are no samples. `values` is not
 * changed (a sorted copy is read).
 *
 * Every figure of the project's benchmarks and tests is taken this way, so
 * that p50 and p99 mean the same in every report.
 */
export function quantile(values: readonly number[], q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`a quantile is between 0 and 1, not ${q}`);
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** `quantile(values, 0.5)`. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}
