import { mergeSetCookies } from '../../bench/accounts';
import { OptionsError, parseArguments, DEFAULTS } from '../../bench/options';
import { commandTicksBetween, machineBusyTicks, schedstatWaitNanoseconds, statCommand, statCpuTicks, statusFieldBytes } from '../../bench/proc';
import { cpuShare, percentile, perSecond, ratio, summarize } from '../../bench/stats';

describe('percentile (nearest rank)', () => {
  const oneToHundred = Array.from({ length: 100 }, (_, index) => index + 1);

  it('picks the value at the nearest rank', () => {
    expect(percentile(oneToHundred, 50)).toBe(50);
    expect(percentile(oneToHundred, 95)).toBe(95);
    expect(percentile(oneToHundred, 99)).toBe(99);
    expect(percentile(oneToHundred, 100)).toBe(100);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 51)).toBe(3);
  });

  it('returns the single value of a one-element sample for every percentile', () => {
    expect(percentile([7], 1)).toBe(7);
    expect(percentile([7], 99)).toBe(7);
  });

  it('refuses an empty sample and a percentile outside (0, 100]', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('summarize', () => {
  it('sorts numerically, not as strings', () => {
    // A string sort would put 10 before 9 and 100 before 20.
    const summary = summarize([100, 9, 20, 10, 1]);
    expect(summary).toEqual({ count: 5, min: 1, mean: 28, p50: 10, p95: 100, p99: 100, max: 100 });
  });

  it('does not reorder the caller’s array', () => {
    const values = [3, 1, 2];
    summarize(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it('is null for an empty sample', () => {
    expect(summarize([])).toBeNull();
  });

  it('finds the tail of a skewed sample', () => {
    const values = [...Array.from({ length: 990 }, () => 1), ...Array.from({ length: 10 }, () => 50)];
    const summary = summarize(values);
    expect(summary?.p50).toBe(1);
    expect(summary?.p99).toBe(1);
    expect(summary?.max).toBe(50);
    values.push(50);
    expect(summarize(values)?.p99).toBe(50);
  });
});

describe('ratio, perSecond and cpuShare', () => {
  it('divides ours by bare, with no ratio for a zero or missing baseline', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(3, 0)).toBeNull();
    expect(ratio(null, 2)).toBeNull();
    expect(ratio(3, undefined)).toBeNull();
  });

  it('turns a count over a window into a rate', () => {
    expect(perSecond(500, 2000)).toBe(250);
    expect(perSecond(500, 0)).toBe(0);
  });

  it('turns CPU ticks over wall time into cores', () => {
    // 150 ticks at 100 Hz over 3 s: half a core.
    expect(cpuShare(1000, 1150, 100, 3000)).toBeCloseTo(0.5);
    expect(cpuShare(0, 10, 100, 0)).toBe(0);
  });
});

describe('/proc parsing', () => {
  const status = 'Name:\tnode\nVmPeak:\t 1000 kB\nVmHWM:\t   81920 kB\nVmRSS:\t   40960 kB\n';

  it('reads VmRSS and VmHWM in bytes', () => {
    expect(statusFieldBytes(status, 'VmHWM')).toBe(81920 * 1024);
    expect(statusFieldBytes(status, 'VmRSS')).toBe(40960 * 1024);
    expect(statusFieldBytes('Name:\tnode\n', 'VmRSS')).toBeNull();
  });

  it('adds user and system ticks, even when the command name holds spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, index) => String(index));
    // Field 3 (state) is index 0 here; utime is field 14, stime field 15.
    fields[11] = '1234';
    fields[12] = '66';
    expect(statCpuTicks(`4242 (node (my) server) ${fields.join(' ')}`)).toBe(1300);
    expect(() => statCpuTicks('4242 (node) S')).toThrow('unreadable');
  });

  it('reads the machine\'s busy ticks as all but idle and iowait, over every core', () => {
    // user nice system idle iowait irq softirq steal guest guest_nice
    const stat = 'cpu  100 5 40 800 20 3 7 25 0 0\ncpu0 50 2 20 400 10 1 3 12 0 0\nintr 1 2 3\n';
    expect(machineBusyTicks(stat)).toBe(100 + 5 + 40 + 3 + 7 + 25);
    expect(() => machineBusyTicks('intr 1 2 3\n')).toThrow('unreadable');
    expect(() => machineBusyTicks('cpu  1 2 3\n')).toThrow('unreadable');
  });
});

describe('cookie jar', () => {
  it('keeps the newest value of each cookie and drops attributes', () => {
    const jar = mergeSetCookies('chat.sid=old; other=1', ['chat.sid=s%3Anew.sig=; Path=/; HttpOnly; SameSite=Lax']);
    expect(jar).toBe('chat.sid=s%3Anew.sig=; other=1');
    expect(mergeSetCookies('', [])).toBe('');
  });
});

describe('benchmark options', () => {
  it('defaults to 200 clients in 10 rooms for 20 s', () => {
    expect(parseArguments([], {})).toEqual({ help: false, options: DEFAULTS });
    expect(DEFAULTS).toMatchObject({ clients: 200, rooms: 10, durationSeconds: 20 });
  });

  it('takes flags in both forms, and flags win over the environment', () => {
    const parsed = parseArguments(['--clients', '20', '--duration=5', '--rate', '0.5', '--memory-limit', '512'], { BENCH_CLIENTS: '40', BENCH_ROOMS: '4', BENCH_WARMUP: '0', BENCH_MEMORY_LIMIT: '256' });
    expect(parsed).toEqual({ help: false, options: { clients: 20, rooms: 4, durationSeconds: 5, rate: 0.5, warmupSeconds: 0, memoryLimitMiB: 512, sweep: false } });
    expect(parseArguments([], { BENCH_MEMORY_LIMIT: '256' })).toEqual({ help: false, options: { ...DEFAULTS, memoryLimitMiB: 256 } });
  });

  it('takes --sweep without a value', () => {
    expect(parseArguments(['--sweep', '--clients', '20'])).toEqual({ help: false, options: { ...DEFAULTS, clients: 20, sweep: true } });
  });

  it('asks for help', () => {
    expect(parseArguments(['--help'])).toEqual({ help: true });
  });

  it.each([
    [['--clients', 'many'], '--clients: expected a whole number'],
    [['--clients', '2.5'], '--clients: expected a whole number'],
    [['--rooms', '11', '--clients', '20'], '--rooms: at most clients/2 (10)'],
    [['--duration', '0'], '--duration:'],
    [['--warmup', '-1'], '--warmup:'],
    [['--memory-limit', '0.5'], '--memory-limit: expected a whole number of MiB'],
    [['--rate'], '--rate: expected a value'],
    [['--speed', '3'], 'unknown option --speed'],
    [['fast'], 'unexpected argument fast'],
  ])('refuses %j with a clear message', (argv, message) => {
    expect(() => parseArguments(argv)).toThrow(OptionsError);
    expect(() => parseArguments(argv)).toThrow(message);
  });

  it('reads how long a thread waited for a core from its schedstat line (run time, wait time, time slices)', () => {
    expect(schedstatWaitNanoseconds('31250000000 4200000000 915270\n')).toBe(4_200_000_000);
    expect(() => schedstatWaitNanoseconds('31250000000\n')).toThrow('unreadable');
  });

  it('reads a process’s command name, parentheses and all, and adds each command’s ticks between two readings', () => {
    expect(statCommand('4242 (redis-server) S 1 2')).toBe('redis-server');
    expect(statCommand('4242 (node (my) server) S 1 2')).toBe('node (my) server');
    const before = new Map([
      [10, { command: 'postgres', ticks: 100 }],
      [11, { command: 'postgres', ticks: 50 }],
      [12, { command: 'postgres', ticks: 7 }],
      [20, { command: 'redis-server', ticks: 300 }],
    ]);
    const after = new Map([
      [10, { command: 'postgres', ticks: 130 }],
      [11, { command: 'postgres', ticks: 50 }],
      [13, { command: 'postgres', ticks: 4 }],
      [20, { command: 'redis-server', ticks: 305 }],
    ]);
    // 12 ended in between (its ticks are gone); 13 started in between and counts whole.
    expect(commandTicksBetween(before, after)).toEqual(new Map([['postgres', 34], ['redis-server', 5]]));
  });
});
