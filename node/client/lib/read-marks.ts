/**
 * Read positions on their way to the server: the newest message read per room, sent one request at a time and at
 * most one every `intervalMs`, so that a busy room does not use up the socket's rate limit for reads, which sync and
 * search share. A room left before its turn is still sent: what was on the screen was read.
 */
export interface ReadMark {
  room: string;
  messageId: number;
}

export class ReadMarks<Answer> {
  private readonly waiting = new Map<string, number>();
  private inFlight = false;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * `send` asks the server and may fail (disconnected, left meanwhile): the server then keeps the position it has,
   * and the caller marks the room again when it is read again (after a reconnect, say).
   */
  constructor(
    private readonly send: (mark: ReadMark) => Promise<Answer>,
    private readonly answered: (answer: Answer) => void,
    private readonly intervalMs: number,
  ) {}

  /** The reader has read the room up to this message. */
  mark({ room, messageId }: ReadMark): void {
    this.waiting.set(room, Math.max(this.waiting.get(room) ?? 0, messageId));
    this.pump();
  }

  /** Stops the timer (the page goes). */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting.clear();
  }

  private pump(): void {
    const next = this.waiting.entries().next();
    if (next.done || this.inFlight || this.timer !== undefined) return;
    const wait = this.lastSentAt + this.intervalMs - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, wait);
      return;
    }
    const [room, messageId] = next.value;
    this.waiting.delete(room);
    this.inFlight = true;
    this.lastSentAt = Date.now();
    // A send that throws at once (no connection) fails like one that is refused.
    void Promise.resolve()
      .then(() => this.send({ room, messageId }))
      .then(
        (answer) => {
          this.inFlight = false;
          this.answered(answer);
          this.pump();
        },
        () => {
          this.inFlight = false;
          this.pump();
        },
      );
  }
}
