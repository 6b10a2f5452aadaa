/**
 * Catching up after a reconnect. `sync` answers, per room, at most a page of new messages and a page of changes to
 * the messages the client holds; a room whose answer filled a page is asked again from where the answer ended,
 * until no answer fills a page. Without this, a client that missed more than a page would keep a silent gap.
 */
import { LIMITS, type ChatMessage, type SyncCursor } from '../../shared/protocol';

/** What this client sends for a room: it always says how far it holds the room's messages without a gap. */
export type HeldCursor = Required<SyncCursor>;

type Cursors = Record<string, HeldCursor>;

/** Where to ask again after `answer`, for the rooms whose answer filled a page; empty when caught up. */
export function nextSyncCursors(asked: Cursors, answer: ChatMessage[], pageSize: number = LIMITS.historyPageMax): Cursors {
  const next: Cursors = {};
  for (const [room, cursor] of Object.entries(asked)) {
    const answered = answer.filter((message) => message.room === room);
    const fresh = answered.filter((message) => message.seq > cursor.through);
    const changed = answered.filter((message) => message.seq <= cursor.through);
    const freshFull = fresh.length >= pageSize;
    const changedFull = changed.length >= pageSize;
    if (!freshFull && !changedFull) continue;
    const highest = (messages: ChatMessage[], of: (message: ChatMessage) => number) => Math.max(0, ...messages.map(of));
    next[room] = {
      // New messages come in room order: after a full page, the next one starts at its last message.
      after: freshFull ? Math.max(cursor.after, highest(fresh, (message) => message.id)) : cursor.after,
      from: cursor.from,
      through: freshFull ? highest(fresh, (message) => message.seq) : cursor.through,
      // Changes come in revision order: after a full page, the next one starts at its last revision. Otherwise every
      // change so far was answered, and new messages come as they are now, so the highest revision seen is the cursor.
      revision: changedFull ? highest(changed, (message) => message.revision) : Math.max(cursor.revision, highest(answered, (message) => message.revision)),
    };
  }
  return next;
}

/**
 * Every message and change missed since `cursors`, by as many `sync` requests as it takes, and per room the number
 * up to which the client then holds every message: the last answer for a room holds all that came after what it
 * asked, up to its newest message.
 */
export async function syncUntilCaughtUp(
  sync: (cursors: Cursors) => Promise<ChatMessage[]>,
  cursors: Cursors,
  pageSize: number = LIMITS.historyPageMax,
): Promise<{ messages: ChatMessage[]; completeThrough: Record<string, number> }> {
  const messages: ChatMessage[] = [];
  const completeThrough: Record<string, number> = {};
  for (let asking = cursors; Object.keys(asking).length > 0; ) {
    const answer = await sync(asking);
    messages.push(...answer);
    const next = nextSyncCursors(asking, answer, pageSize);
    for (const [room, cursor] of Object.entries(asking)) {
      if (next[room]) continue;
      completeThrough[room] = Math.max(cursor.through, ...answer.filter((message) => message.room === room).map((message) => message.seq));
    }
    asking = next;
  }
  return { messages, completeThrough };
}
