/**
 * Pure statistics for the benchmark: percentiles, summaries and the ours/bare ratios.
 * No I/O here, so that the arithmetic has unit tests (test/unit/bench-stats.test.ts).
 */

export interface Summary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * Nearest-rank percentile of values sorted ascending: the smallest value such that at least
 * p percent of the values are less than or equal to it. Always one of the measured values.
 */
export function percentile(sortedAscending: ArrayLike<number>, p: number): number {
  if (sortedAscending.length === 0) throw new RangeError('percentile of an empty sample');
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const rank = Math.ceil((p / 100) * sortedAscending.length);
  return sortedAscending[Math.min(rank, sortedAscending.length) - 1] as number;
}

/** Count, min, mean, p50/p95/p99 and max; null for an empty sample (nothing was measured). */
export function summarize(values: ArrayLike<number>): Summary | null {
  if (values.length === 0) return null;
  // A typed array sorts numerically (a plain array's default sort compares strings).
  const sorted = Float64Array.from(values).sort();
  let total = 0;
  for (const value of sorted) total += value;
  return {
    count: sorted.length,
    min: sorted[0] as number,
    mean: total / sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] as number,
  };
}

/** ours / bare; null where the bare figure is zero or missing (no meaningful ratio). */
export function ratio(ours: number | null | undefined, bare: number | null | undefined): number | null {
  if (ours === null || ours === undefined || bare === null || bare === undefined || bare === 0) return null;
  return ours / bare;
}

/** Events per second over a window; 0 for an empty window rather than Infinity. */
export function perSecond(count: number, windowMs: number): number {
  return windowMs > 0 ? (count * 1000) / windowMs : 0;
}

/**
 * Share of one core a process used between two readings of its CPU time
 * (user + system, in clock ticks as /proc/<pid>/stat gives them).
 */
export function cpuShare(ticksBefore: number, ticksAfter: number, ticksPerSecond: number, wallMs: number): number {
  if (wallMs <= 0 || ticksPerSecond <= 0) return 0;
  return ((ticksAfter - ticksBefore) / ticksPerSecond) / (wallMs / 1000);
}
