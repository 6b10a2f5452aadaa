import { KeyedThrottles, Throttle } from '../../node/server/realtime/throttle';

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

describe('Throttle, when its task fails', () => {
  it('runs it again once the interval is over, without being asked; at close, not again', async () => {
    const outcomes = [false, true, false];
    let runs = 0;
    const throttle = new Throttle(async () => {
      const succeeds = outcomes[runs] ?? true;
      runs += 1;
      if (!succeeds) throw new Error('not sent');
    }, INTERVAL_MS);
    throttle.ask();
    await jest.advanceTimersByTimeAsync(INTERVAL_MS - 1);
    expect(runs).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(runs).toBe(2);
    // It succeeded: nothing more is due.
    await jest.advanceTimersByTimeAsync(INTERVAL_MS * 3);
    expect(runs).toBe(2);
    throttle.ask();
    await throttle.close();
    // The third run failed at close: there is no later for it.
    expect(runs).toBe(3);
    await jest.advanceTimersByTimeAsync(INTERVAL_MS * 3);
    expect(runs).toBe(3);
  });
});

describe('KeyedThrottles', () => {
  /** Keyed throttles whose runs are recorded by key, each run ending when the test ends it. */
  function recordedKeys() {
    const runs: { key: string; endRun: () => void }[] = [];
    const throttles = new KeyedThrottles((key) => new Promise<void>((resolve) => runs.push({ key, endRun: resolve })), INTERVAL_MS);
    const endAll = () => runs.forEach((run) => run.endRun());
    return { throttles, runs, endAll, keys: () => runs.map((run) => run.key) };
  }

  it('throttles each key on its own', async () => {
    const { throttles, endAll, keys } = recordedKeys();
    throttles.ask('a');
    throttles.ask('b');
    throttles.ask('a');
    expect(keys()).toEqual(['a', 'b']);
    endAll();
    await jest.advanceTimersByTimeAsync(INTERVAL_MS);
    // a was asked again while it ran; b was not.
    expect(keys()).toEqual(['a', 'b', 'a']);
  });

  it('forgets a key once its interval is over, and runs it at once when it is asked again', async () => {
    const { throttles, endAll, keys } = recordedKeys();
    throttles.ask('a');
    endAll();
    await jest.advanceTimersByTimeAsync(INTERVAL_MS);
    throttles.ask('a');
    expect(keys()).toEqual(['a', 'a']);
  });

  it('at close runs every key due at once, a key first asked while closing too, and waits for them', async () => {
    const { throttles, runs, endAll, keys } = recordedKeys();
    throttles.ask('a');
    throttles.ask('b');
    endAll();
    await jest.advanceTimersByTimeAsync(0);
    throttles.ask('a');
    let closed = false;
    const closing = throttles.close().then(() => (closed = true));
    throttles.ask('c');
    expect(keys()).toEqual(['a', 'b', 'a', 'c']);
    await jest.advanceTimersByTimeAsync(0);
    expect(closed).toBe(false);
    runs.forEach((run) => run.endRun());
    await closing;
    expect(closed).toBe(true);
  });
});
