/**
 * Runs a task when asked, at most once an interval: a lone ask runs it at once; asks made while it runs or in the
 * interval after it make one more run when that interval is over. The task reads what it sends when it runs, so the
 * last run, begun after the last ask, sends what is true then: nothing older can overtake it. A run whose task
 * rejects is due again, once the interval is over: what it was to send was not sent (at shutdown there is no later).
 *
 * Presence lists and member counts go to every socket of a room or of the server; sent at every change, a burst of n
 * changes to n listeners would cost n² frames.
 */
export class Throttle {
  private running: Promise<void> | undefined;
  private resting: NodeJS.Timeout | undefined;
  private askedAgain = false;
  private closing = false;

  /**
   * `task` reports its own failures, and rejects when what it was to send is still due. `onIdle` is called when the
   * interval after a run is over with nothing asked meanwhile, for an owner that keeps a throttle per key to drop it.
   */
  constructor(
    private readonly task: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly onIdle?: () => void,
  ) {}

  ask(): void {
    if (this.running || this.resting) {
      this.askedAgain = true;
      return;
    }
    this.run();
  }

  private run(): void {
    this.askedAgain = false;
    const task = this.task().catch(() => {
      // Still due, as if asked again; at shutdown there is no later for it.
      if (!this.closing) this.askedAgain = true;
    });
    this.running = task.finally(() => {
      this.running = undefined;
      if (this.closing) {
        this.rested();
        return;
      }
      this.resting = setTimeout(() => this.rested(), this.intervalMs);
      // Nothing to wait for at exit: the owner's shutdown calls close().
      this.resting.unref();
    });
  }

  private rested(): void {
    this.resting = undefined;
    if (this.askedAgain) this.run();
    else this.onIdle?.();
  }

  /** At shutdown: runs at once what is due, and whatever is asked from now on, and waits for the runs. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.resting) {
      clearTimeout(this.resting);
      this.rested();
    }
    while (this.running) await this.running;
  }
}

/**
 * A Throttle per key (a room), made when a key is first asked for and dropped once its interval is over with nothing
 * asked: idle keys cost nothing.
 */
export class KeyedThrottles {
  private readonly throttles = new Map<string, Throttle>();
  private closing = false;

  /** `task` rejects when what it was to send is still due, as Throttle's. */
  constructor(
    private readonly task: (key: string) => Promise<void>,
    private readonly intervalMs: number,
  ) {}

  ask(key: string): void {
    let throttle = this.throttles.get(key);
    if (!throttle) {
      throttle = new Throttle(() => this.task(key), this.intervalMs, () => this.throttles.delete(key));
      this.throttles.set(key, throttle);
      if (this.closing) void throttle.close();
    }
    throttle.ask();
  }

  /** At shutdown: runs what is due for every key at once, and whatever is asked from now on, and waits for the runs. */
  async close(): Promise<void> {
    this.closing = true;
    // A key leaves the map once its last run is done; one asked for meanwhile gets a throttle of its own again.
    while (this.throttles.size > 0) await Promise.all([...this.throttles.values()].map((throttle) => throttle.close()));
  }
}
