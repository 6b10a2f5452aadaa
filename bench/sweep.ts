/**
 * `--sweep`: the rate per client is raised step by step until a step is not held, for the chat and for bare
 * socket.io in one run; the last held step of each is its knee. Pure, so that the rule is unit-tested.
 */
import type { LoadResult } from './load';

/** Messages per second per client, in the order they are tried. */
export const SWEEP_RATES: readonly number[] = [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50];

/** A step is held while end-to-end p95 stays within this... */
export const HELD_P95_MS = 50;
/** ...and at least this share of what was sent reaches every other client of its room. */
export const HELD_DELIVERED_PERCENT = 99;

export interface SweepStep {
  rate: number;
  sentPerSecond: number;
  p95Ms: number | null;
  p99Ms: number | null;
  deliveredPercent: number;
  held: boolean;
}

/** Delivered over what every sent message should make: refused and lost messages count as not delivered. */
export function deliveredPercent(result: Pick<LoadResult, 'deliveredTotal' | 'offeredDeliveries'>): number {
  return result.offeredDeliveries > 0 ? (100 * result.deliveredTotal) / result.offeredDeliveries : 0;
}

export function sweepStep(rate: number, result: LoadResult): SweepStep {
  const p95Ms = result.latency?.p95 ?? null;
  const delivered = deliveredPercent(result);
  return {
    rate,
    sentPerSecond: result.sentPerSecond,
    p95Ms,
    p99Ms: result.latency?.p99 ?? null,
    deliveredPercent: delivered,
    held: p95Ms !== null && p95Ms <= HELD_P95_MS && delivered >= HELD_DELIVERED_PERCENT,
  };
}

/** The last step held before the first one that was not; undefined when even the first was not held. */
export function knee(steps: readonly SweepStep[]): SweepStep | undefined {
  let last: SweepStep | undefined;
  for (const step of steps) {
    if (!step.held) break;
    last = step;
  }
  return last;
}
