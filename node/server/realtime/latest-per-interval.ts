/**
 * Hands on the newest value of each key at most once per interval: the first at once, and whatever came last during
 * the interval once it is over. For broadcasts whose receivers only need the newest value, such as a public room's
 * member count, told to every connected client: one a change would make a burst of n changes n broadcasts to
 * everyone (1,000 people joining a room are a million frames), and here it is one a second.
 */
export class LatestPerInterval<K, V> {
  /** Keys whose interval is running, with the value that came during it, if any. */
  private readonly recent = new Map<K, { pending?: V; timer: NodeJS.Timeout }>();

  constructor(
    private readonly intervalMs: number,
    private readonly send: (key: K, value: V) => void,
  ) {}

  push(key: K, value: V): void {
    const recent = this.recent.get(key);
    if (recent) {
      recent.pending = value;
      return;
    }
    this.send(key, value);
    const entry: { pending?: V; timer: NodeJS.Timeout } = {
      timer: setTimeout(() => {
        this.recent.delete(key);
        if (entry.pending !== undefined) this.push(key, entry.pending);
      }, this.intervalMs),
    };
    // Nothing to wait for at exit: flush() hands on what is due.
    entry.timer.unref();
    this.recent.set(key, entry);
  }

  /** Hands on every value still held back, now (at shutdown). */
  flush(): void {
    for (const [key, entry] of this.recent) {
      clearTimeout(entry.timer);
      if (entry.pending !== undefined) this.send(key, entry.pending);
    }
    this.recent.clear();
  }
}
