/**
 * Catching up after a reconnect. `sync` answers, per room, at most a page of new messages and a page of changes to
 * the messages the client holds; a room whose answer filled a page is asked again from where the answer ended,
 * until no answer fills a page. Without this, a client that missed more than a page would keep a silent gap.
 */
import { LIMITS, type ChatMessage, type SyncCursor } from '../../shared/protocol';

type Cursors = Record<string, SyncCursor>;

/** Where to ask again after `answer`, for the rooms whose answer filled a page; empty when caught up. */
export function nextSyncCursors(asked: Cursors, answer: ChatMessage[], pageSize: number = LIMITS.historyPageMax): Cursors {
  const next: Cursors = {};
  for (const [room, cursor] of Object.entries(asked)) {
    const answered = answer.filter((message) => message.room === room);
    const fresh = answered.filter((message) => message.id > cursor.after);
    const changed = answered.filter((message) => message.id <= cursor.after);
    const freshFull = fresh.length >= pageSize;
    const changedFull = changed.length >= pageSize;
    if (!freshFull && !changedFull) continue;
    const highest = (messages: ChatMessage[], of: (message: ChatMessage) => number) => Math.max(0, ...messages.map(of));
    next[room] = {
      after: freshFull ? highest(fresh, (message) => message.id) : cursor.after,
      from: cursor.from,
      // Changes come in revision order: after a full page, the next one starts at its last revision. Otherwise every
      // change so far was answered, and new messages come as they are now, so the highest revision seen is the cursor.
      revision: changedFull ? highest(changed, (message) => message.revision) : Math.max(cursor.revision, highest(answered, (message) => message.revision)),
    };
  }
  return next;
}

/** Every message and change missed since `cursors`, by as many `sync` requests as it takes. */
export async function syncUntilCaughtUp(sync: (cursors: Cursors) => Promise<ChatMessage[]>, cursors: Cursors): Promise<ChatMessage[]> {
  const missed: ChatMessage[] = [];
  for (let asking = cursors; Object.keys(asking).length > 0; ) {
    const answer = await sync(asking);
    missed.push(...answer);
    asking = nextSyncCursors(asking, answer);
  }
  return missed;
}
