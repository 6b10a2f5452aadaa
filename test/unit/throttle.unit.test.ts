import { Throttle } from '../../node/server/realtime/throttle';

const INTERVAL_MS = 1000;

/** A throttle whose runs are recorded, each run ending when the test ends it. */
function recordedThrottle() {
  const runs: { endRun: () => void }[] = [];
  let idle = 0;
  const throttle = new Throttle(
    () => new Promise<void>((resolve) => runs.push({ endRun: resolve })),
    INTERVAL_MS,
    () => (idle += 1),
  );
  return { throttle, runs, idleCount: () => idle };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('Throttle', () => {
  it('runs a lone ask at once, and is idle once the interval after it is over', async () => {
    const { throttle, runs, idleCount } = recordedThrottle();
    throttle.ask();
    expect(runs).toHaveLength(1);
    runs[0]?.endRun();
    await jest.advanceTimersByTimeAsync(INTERVAL_MS - 1);
    expect(idleCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(idleCount()).toBe(1);
    expect(runs).toHaveLength(1);
  });

  it('makes the asks during a run and the interval after it one more run, once the interval is over', async () => {
    const { throttle, runs, idleCount } = recordedThrottle();
    throttle.ask();
    throttle.ask();
    await jest.advanceTimersByTimeAsync(5_000);
    // The run has not ended: nothing more runs, however long it takes.
    expect(runs).toHaveLength(1);
    runs[0]?.endRun();
    await jest.advanceTimersByTimeAsync(INTERVAL_MS / 2);
    throttle.ask();
    throttle.ask();
    expect(runs).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(INTERVAL_MS / 2);
    expect(runs).toHaveLength(2);
    runs[1]?.endRun();
    await jest.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(runs).toHaveLength(2);
    expect(idleCount()).toBe(1);
  });

  it('at close runs what is due at once, waits for it, and from then on runs every ask without an interval', async () => {
    const { throttle, runs } = recordedThrottle();
    throttle.ask();
    runs[0]?.endRun();
    await jest.advanceTimersByTimeAsync(0);
    throttle.ask();
    let closed = false;
    const closing = throttle.close().then(() => (closed = true));
    expect(runs).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(0);
    expect(closed).toBe(false);
    runs[1]?.endRun();
    await closing;
    throttle.ask();
    expect(runs).toHaveLength(3);
    runs[2]?.endRun();
    await jest.advanceTimersByTimeAsync(0);
    throttle.ask();
    expect(runs).toHaveLength(4);
  });
});
