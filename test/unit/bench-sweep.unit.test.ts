import type { LoadResult } from '../../bench/load';
import { formatSweep } from '../../bench/report';
import { deliveredPercent, knee, sweepStep, type SweepStep } from '../../bench/sweep';
import { DEFAULTS } from '../../bench/options';

/** The parts of a load result the sweep reads. */
function result(p95: number | null, delivered: number, offered: number): LoadResult {
  const latency = p95 === null ? null : { count: 1, min: 1, mean: p95, p50: p95, p95, p99: p95 * 2, max: p95 * 3 };
  return { latency, deliveredTotal: delivered, offeredDeliveries: offered, sentPerSecond: 100 } as LoadResult;
}

describe('benchmark sweep', () => {
  it('counts refused and lost messages as not delivered', () => {
    expect(deliveredPercent({ deliveredTotal: 990, offeredDeliveries: 1000 })).toBe(99);
    expect(deliveredPercent({ deliveredTotal: 0, offeredDeliveries: 0 })).toBe(0);
  });

  it('holds a step with p95 within 50 ms and at least 99 % delivered, and no other', () => {
    expect(sweepStep(1, result(50, 990, 1000)).held).toBe(true);
    expect(sweepStep(1, result(50.1, 1000, 1000)).held).toBe(false);
    expect(sweepStep(1, result(10, 989, 1000)).held).toBe(false);
    expect(sweepStep(1, result(null, 0, 1000)).held).toBe(false);
  });

  it('takes the last held step before the first that is not as the knee', () => {
    const steps = [1, 2, 3].map((rate, i): SweepStep => ({ rate, sentPerSecond: rate * 100, p95Ms: 10, p99Ms: 20, deliveredPercent: 100, held: i < 2 }));
    expect(knee(steps)?.rate).toBe(2);
    expect(knee([{ ...(steps[2] as SweepStep) }])).toBeUndefined();
    const report = formatSweep(DEFAULTS, steps, steps.slice(0, 2), 'without a memory limit');
    expect(report).toContain('chat held up to 2/s per client (200 messages/s sent); bare up to 2/s per client (200 messages/s sent); chat knee / bare knee = 1.00');
  });
});
