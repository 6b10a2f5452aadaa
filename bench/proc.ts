/**
 * Reading a process's memory and CPU time from Linux's /proc while it serves the load.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** A `Name:   1234 kB` field of /proc/<pid>/status, in bytes; null when absent. */
export function statusFieldBytes(status: string, field: 'VmRSS' | 'VmHWM'): number | null {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : null;
}

/**
 * User + system CPU time in clock ticks from /proc/<pid>/stat. The command name (field 2) may
 * hold spaces and parentheses, so fields are counted from the last ')'.
 */
export function statCpuTicks(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3, so utime (14) and stime (15) are at indexes 11 and 12.
  const userTicks = Number(fields[11]);
  const systemTicks = Number(fields[12]);
  if (!Number.isFinite(userTicks) || !Number.isFinite(systemTicks)) throw new Error('unreadable /proc stat line');
  return userTicks + systemTicks;
}

/** The command name of a /proc/<pid>/stat line: its second field, between the first '(' and the last ')'. */
export function statCommand(stat: string): string {
  return stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
}

/** CPU ticks by pid of the processes now running one of `commands` (their command names); empty without /proc. */
export function readCommandCpuTicks(commands: readonly string[]): Map<number, { command: string; ticks: number }> {
  const found = new Map<number, { command: string; ticks: number }>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const command = statCommand(stat);
      if (commands.includes(command)) found.set(Number(entry), { command, ticks: statCpuTicks(stat) });
    } catch {
      // It exited between the listing and the read.
    }
  }
  return found;
}

/**
 * The ticks each command's processes spent between two readings: a process that started in between counts whole,
 * one that ended in between is not counted (its ticks are gone with it).
 */
export function commandTicksBetween(before: ReadonlyMap<number, { ticks: number }>, after: ReadonlyMap<number, { command: string; ticks: number }>): Map<string, number> {
  const spent = new Map<string, number>();
  for (const [pid, { command, ticks }] of after) spent.set(command, (spent.get(command) ?? 0) + ticks - (before.get(pid)?.ticks ?? 0));
  return spent;
}

/**
 * The machine's busy CPU time in clock ticks, from the first line of /proc/stat (all cores): everything but idle and
 * iowait, so every process's work (PostgreSQL's, Redis's, the driver's) and the kernel's.
 */
export function machineBusyTicks(stat: string): number {
  const line = stat.slice(0, stat.indexOf('\n'));
  if (!line.startsWith('cpu ')) throw new Error('unreadable /proc/stat');
  // user nice system idle iowait irq softirq steal (guest time is already in user and nice).
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (ticks.length < 8 || ticks.some((value) => !Number.isFinite(value))) throw new Error('unreadable /proc/stat');
  return ticks.reduce((sum, value) => sum + value, 0) - (ticks[3] as number) - (ticks[4] as number);
}

/** The machine's busy CPU ticks now, or null where /proc/stat cannot be read. */
export function readMachineBusyTicks(): number | null {
  try {
    return machineBusyTicks(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Nanoseconds a thread has spent runnable but waiting for a core, the second field of
 * /proc/<pid>/task/<tid>/schedstat (the first is the time it ran).
 */
export function schedstatWaitNanoseconds(schedstat: string): number {
  const waited = Number(schedstat.trim().split(' ')[1]);
  if (!Number.isFinite(waited)) throw new Error('unreadable schedstat');
  return waited;
}

/** Linux's USER_HZ: 100 on every mainstream architecture (getconf CLK_TCK). */
export const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Samples a process's resident memory periodically, so the peak is known even if the process
 * dies before its VmHWM can be read at the end.
 */
export class ProcessSampler {
  private timer: NodeJS.Timeout | undefined;
  private peakSampledRss = 0;

  constructor(readonly pid: number) {}

  start(intervalMs = 200): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Starts a new sampled peak (e.g. when the load starts, after set-up). */
  resetSampledPeak(): void {
    this.peakSampledRss = 0;
    this.sample();
  }

  /** Largest RSS seen by the samples since start or the last reset, in bytes. */
  sampledPeakRssBytes(): number {
    this.sample();
    return this.peakSampledRss;
  }

  /** Peak RSS over the process's life in bytes: the kernel's high-water mark when readable, else the largest sample. */
  peakRssBytes(): number {
    const hwm = this.read('status', (status) => statusFieldBytes(status, 'VmHWM'));
    return Math.max(hwm ?? 0, this.peakSampledRss);
  }

  cpuTicks(): number | null {
    return this.read('stat', statCpuTicks);
  }

  /**
   * How long the process's main thread (for Node, the event loop) has waited for a core, in ms; null where the
   * kernel does not keep scheduler statistics. On a saturated machine a loop that is ready to run waits for the
   * driver, PostgreSQL and Redis to give up a core, and every message it holds waits with it.
   */
  loopWaitMs(): number | null {
    return this.read(`task/${this.pid}/schedstat`, (schedstat) => schedstatWaitNanoseconds(schedstat) / 1e6);
  }

  private sample(): void {
    const rss = this.read('status', (status) => statusFieldBytes(status, 'VmRSS'));
    if (rss !== null) this.peakSampledRss = Math.max(this.peakSampledRss, rss);
  }

  /** `parse` of the process's /proc/<pid>/<file>; null when unreadable (the process has exited) or unparsable. */
  private read(file: string, parse: (text: string) => number | null): number | null {
    try {
      return parse(readFileSync(`/proc/${this.pid}/${file}`, 'utf8'));
    } catch {
      return null;
    }
  }
}
