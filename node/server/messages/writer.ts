import { asDomainError, DomainError } from '../errors';
import { keyOf, type BatchRowOutcome, type MessageRepository, type MessageRow } from './repository';

export interface MessageWriterSettings {
  /** A batch closes when it holds this many messages... */
  batchSize: number;
  /** ...or when its first message has waited this long (ms). */
  windowMs: number;
  /** Messages waiting or being written; a send beyond it is refused with `busy` at once. */
  queueLimit: number;
  /**
   * Batches written at the same time, each on its own pool connection and for its own share of the rooms: a room's
   * messages always go to the same one, since batches that share a room would commit one after another anyway
   * (they number its messages under its row lock, see MessageRepository.insertNew).
   */
  concurrency: number;
}

/** What the writer reports for /metrics. */
export interface MessageWriterObserver {
  /** A batch was committed: its messages, those of them it created, and the seconds its INSERT took. */
  batchWritten(size: number, created: number, seconds: number): void;
  refusedBusy(): void;
}

interface Waiting {
  row: MessageRow;
  queuedAt: number;
  resolve(outcome: BatchRowOutcome): void;
  reject(error: unknown): void;
}

/** The messages of one share of the rooms: one batch of them is written at a time. */
interface Lane {
  queue: Waiting[];
  writing: boolean;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Stores messages in batches: sends that arrive close together share one multi-row INSERT, so one commit, instead of
 * a commit each. A batch closes at `batchSize` or `windowMs` after its first message. The rooms are shared out over
 * `concurrency` lanes by id; each lane writes one batch at a time, and more of its messages gather meanwhile. Each
 * send's promise settles only once its batch is committed, or failed as a whole.
 */
export class MessageWriter {
  private readonly lanes: Lane[];
  /** Messages taken (queued or in a batch being written), the number the queue limit bounds. */
  private taken = 0;

  constructor(
    private readonly repository: MessageRepository,
    private readonly settings: MessageWriterSettings,
    private readonly observer?: MessageWriterObserver,
  ) {
    this.lanes = Array.from({ length: settings.concurrency }, () => ({ queue: [], writing: false, timer: undefined }));
  }

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
    const lane = this.lanes[row.roomId % this.lanes.length] as Lane;
    return new Promise((resolve, reject) => {
      lane.queue.push({ row, queuedAt: performance.now(), resolve, reject });
      this.pump(lane);
    });
  }

  /** Starts the lane's next batch if it is due and the lane is free; otherwise makes sure a timer comes back when it is due. */
  private pump(lane: Lane): void {
    if (!lane.writing && lane.queue.length > 0 && this.isDue(lane)) void this.writeBatch(lane, lane.queue.splice(0, this.settings.batchSize));
    if (lane.queue.length === 0 && lane.timer) {
      // Its batch closed at its size before its window ended.
      clearTimeout(lane.timer);
      lane.timer = undefined;
    }
    if (lane.queue.length > 0 && !lane.writing && !lane.timer) {
      const wait = Math.max(0, this.settings.windowMs - (performance.now() - (lane.queue[0] as Waiting).queuedAt));
      lane.timer = setTimeout(() => {
        lane.timer = undefined;
        this.pump(lane);
      }, wait);
    }
  }

  private isDue(lane: Lane): boolean {
    const first = lane.queue[0];
    return lane.queue.length >= this.settings.batchSize || (first !== undefined && performance.now() - first.queuedAt >= this.settings.windowMs);
  }

  private async writeBatch(lane: Lane, batch: Waiting[]): Promise<void> {
    lane.writing = true;
    // One row per (user, client id): a repeat within the batch is answered with the same stored message.
    const byKey = new Map<string, Waiting[]>();
    for (const waiting of batch) {
      const key = keyOf(waiting.row.userId, waiting.row.clientId);
      const same = byKey.get(key);
      if (same) same.push(waiting);
      else byKey.set(key, [waiting]);
    }
    const groups = [...byKey.values()];
    let answerSenders: () => void;
    try {
      const started = performance.now();
      const outcomes = await this.repository.insertBatch(groups.map((group) => (group[0] as Waiting).row));
      const created = outcomes.filter((outcome) => 'created' in outcome && outcome.created).length;
      this.observer?.batchWritten(batch.length, created, (performance.now() - started) / 1000);
      answerSenders = () =>
        groups.forEach((group, index) => {
          const outcome = outcomes[index] as BatchRowOutcome;
          // Only the first of a repeated client id counts as the one that created it: announced once.
          group.forEach((waiting, position) => waiting.resolve('message' in outcome && position > 0 ? { ...outcome, created: false } : outcome));
        });
    } catch (error) {
      // Nothing of the batch was stored (one statement): each of its senders, and only they, get its error. An outage
      // is answered `unavailable`; anything else is a fault, answered `internal` and logged by whoever answers.
      const answer = asDomainError(error) ?? error;
      answerSenders = () => batch.forEach((waiting) => waiting.reject(answer));
    }
    lane.writing = false;
    this.taken -= batch.length;
    this.pump(lane);
    // The senders are answered (and their messages announced) after the lane's next batch has gone to PostgreSQL, so
    // that PostgreSQL writes it while this process announces: the pool hands out a connection in a process.nextTick,
    // which runs after every promise callback of this turn, so answering now would hold the next batch back until
    // all of this batch's announcements were made.
    process.nextTick(answerSenders);
  }
}
