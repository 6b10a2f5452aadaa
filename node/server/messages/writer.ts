import { asDomainError, DomainError } from '../errors';
import { keyOf, type BatchRowOutcome, type MessageRepository, type MessageRow } from './repository';

export interface MessageWriterSettings {
  /** A batch closes when it holds this many messages... */
  batchSize: number;
  /** ...or when its first message has waited this long (ms). */
  windowMs: number;
  /** Messages waiting or being written; a send beyond it is refused with `busy` at once. */
  queueLimit: number;
  /** Batches written at the same time, each on its own pool connection. */
  concurrency: number;
}

/** What the writer reports for /metrics. */
export interface MessageWriterObserver {
  batchWritten(size: number, created: number): void;
  refusedBusy(): void;
}

interface Waiting {
  row: MessageRow;
  queuedAt: number;
  resolve(outcome: BatchRowOutcome): void;
  reject(error: unknown): void;
}

/**
 * Stores messages in batches: sends that arrive close together share one multi-row INSERT, so one commit, instead of
 * a commit each. A batch closes at `batchSize` or `windowMs` after its first message, and waits while
 * `concurrency` batches are being written (more messages gather meanwhile). Each send's promise settles only once
 * its batch is committed, or failed as a whole.
 */
export class MessageWriter {
  private queue: Waiting[] = [];
  private writing = 0;
  /** Messages taken (queued or in a batch being written), the number the queue limit bounds. */
  private taken = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly repository: MessageRepository,
    private readonly settings: MessageWriterSettings,
    private readonly observer?: MessageWriterObserver,
  ) {}

  /** Messages taken and not yet answered. */
  depth(): number {
    return this.taken;
  }

  write(row: MessageRow): Promise<BatchRowOutcome> {
    if (this.taken >= this.settings.queueLimit) {
      this.observer?.refusedBusy();
      return Promise.reject(new DomainError('busy', 'server busy: retry'));
    }
    this.taken += 1;
    return new Promise((resolve, reject) => {
      this.queue.push({ row, queuedAt: performance.now(), resolve, reject });
      this.pump();
    });
  }

  /** Starts every batch that is due and may start; otherwise makes sure a timer comes back when one is due. */
  private pump(): void {
    while (this.writing < this.settings.concurrency && this.queue.length > 0 && this.isDue()) {
      void this.writeBatch(this.queue.splice(0, this.settings.batchSize));
    }
    if (this.queue.length === 0 && this.timer) {
      // Its batch closed at its size before its window ended.
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.queue.length > 0 && this.writing < this.settings.concurrency && !this.timer) {
      const wait = Math.max(0, this.settings.windowMs - (performance.now() - (this.queue[0] as Waiting).queuedAt));
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, wait);
    }
  }

  private isDue(): boolean {
    const first = this.queue[0];
    return this.queue.length >= this.settings.batchSize || (first !== undefined && performance.now() - first.queuedAt >= this.settings.windowMs);
  }

  private async writeBatch(batch: Waiting[]): Promise<void> {
    this.writing += 1;
    // One row per (user, client id): a repeat within the batch is answered with the same stored message.
    const byKey = new Map<string, Waiting[]>();
    for (const waiting of batch) {
      const key = keyOf(waiting.row.userId, waiting.row.clientId);
      const same = byKey.get(key);
      if (same) same.push(waiting);
      else byKey.set(key, [waiting]);
    }
    const groups = [...byKey.values()];
    try {
      const outcomes = await this.repository.insertBatch(groups.map((group) => (group[0] as Waiting).row));
      let created = 0;
      groups.forEach((group, index) => {
        const outcome = outcomes[index] as BatchRowOutcome;
        if ('created' in outcome && outcome.created) created += 1;
        // Only the first of a repeated client id counts as the one that created it: announced once.
        group.forEach((waiting, position) => waiting.resolve('message' in outcome && position > 0 ? { ...outcome, created: false } : outcome));
      });
      this.observer?.batchWritten(batch.length, created);
    } catch (error) {
      // Nothing of the batch was stored (one statement): each of its senders, and only they, get its error. An outage
      // is answered `unavailable`; anything else is a fault, answered `internal` and logged by whoever answers.
      const answer = asDomainError(error) ?? error;
      for (const waiting of batch) waiting.reject(answer);
    } finally {
      this.writing -= 1;
      this.taken -= batch.length;
      this.pump();
    }
  }
}
