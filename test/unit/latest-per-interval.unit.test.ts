import { LatestPerInterval } from '../../node/server/realtime/latest-per-interval';

describe('LatestPerInterval', () => {
  let sent: [string, number][];
  let counts: LatestPerInterval<string, number>;

  beforeEach(() => {
    jest.useFakeTimers();
    sent = [];
    counts = new LatestPerInterval(1000, (key, value) => sent.push([key, value]));
  });

  afterEach(() => jest.useRealTimers());

  test('the first value goes at once; of those during the interval, only the newest, when it ends', () => {
    counts.push('general', 1);
    expect(sent).toEqual([['general', 1]]);
    counts.push('general', 2);
    counts.push('general', 3);
    jest.advanceTimersByTime(999);
    expect(sent).toEqual([['general', 1]]);
    jest.advanceTimersByTime(1);
    expect(sent).toEqual([
      ['general', 1],
      ['general', 3],
    ]);
  });

  test('the value sent at the end of an interval starts another: a steady stream is one a second', () => {
    counts.push('general', 1);
    counts.push('general', 2);
    jest.advanceTimersByTime(1000);
    counts.push('general', 3);
    jest.advanceTimersByTime(999);
    expect(sent.map(([, value]) => value)).toEqual([1, 2]);
    jest.advanceTimersByTime(1);
    expect(sent.map(([, value]) => value)).toEqual([1, 2, 3]);
  });

  test('after a quiet interval the next value goes at once again', () => {
    counts.push('general', 1);
    jest.advanceTimersByTime(1000);
    expect(sent).toHaveLength(1);
    counts.push('general', 2);
    expect(sent).toEqual([
      ['general', 1],
      ['general', 2],
    ]);
  });

  test('each key has an interval of its own', () => {
    counts.push('general', 1);
    counts.push('random', 7);
    counts.push('general', 2);
    expect(sent).toEqual([
      ['general', 1],
      ['random', 7],
    ]);
  });

  test('flush hands on what is held back at once, and nothing more comes after it', () => {
    counts.push('general', 1);
    counts.push('general', 2);
    counts.push('random', 7);
    counts.flush();
    expect(sent).toEqual([
      ['general', 1],
      ['random', 7],
      ['general', 2],
    ]);
    jest.advanceTimersByTime(5000);
    expect(sent).toHaveLength(3);
  });
});
