/**
 * The message list of one room as the client shows it: messages the server stored (with an id)
 * plus the user's own messages still on their way (pending) or refused (failed).
 * Pure functions, so the merging rules are unit-tested without a browser.
 */
import type { ChatMessage, PublicUser } from '../../shared/protocol';

export type MessageStatus = 'sent' | 'pending' | 'failed';

export interface ListedMessage {
  /** Stable identity: the author's id and the client-generated id, so a confirmed message keeps its row. */
  key: string;
  id: number | null;
  clientId: string;
  room: string;
  body: string;
  createdAt: string;
  user: PublicUser;
  editedAt: string | null;
  deletedAt: string | null;
  /** The room's change number of the message's latest edit or delete; 0 if never changed. */
  revision: number;
  /** Its number in its room (ChatMessage.seq); null while it is not stored. */
  seq: number | null;
  /** Usernames the message mentions (resolved by the server; none while pending). */
  mentions: string[];
  status: MessageStatus;
  /** Why the server refused it (only when status is 'failed'). */
  error?: string;
}

export function messageKey(userId: number, clientId: string): string {
  return `${userId}:${clientId}`;
}

export function fromServer(message: ChatMessage): ListedMessage {
  return { ...message, key: messageKey(message.user.id, message.clientId), status: 'sent' };
}

export function pendingMessage(input: { room: string; clientId: string; body: string; user: PublicUser; now: Date }): ListedMessage {
  return {
    key: messageKey(input.user.id, input.clientId),
    id: null,
    clientId: input.clientId,
    room: input.room,
    body: input.body,
    createdAt: input.now.toISOString(),
    user: input.user,
    editedAt: null,
    deletedAt: null,
    revision: 0,
    seq: null,
    mentions: [],
    status: 'pending',
  };
}

/** Stored messages in id order (ids grow with time), then the unconfirmed ones in the order they were typed. */
function ordered(messages: ListedMessage[]): ListedMessage[] {
  const sent = messages.filter((message) => message.id !== null).sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  const unsent = messages.filter((message) => message.id === null);
  return [...sent, ...unsent];
}

/**
 * Adds messages from the server (live, history or a sync after a reconnect). A message the list already
 * holds, by server id or by (author, clientId), is replaced, never duplicated: that is how a pending
 * message becomes sent, and why a page or a sync that overlaps what is shown changes nothing. A message never
 * goes back to an older revision: a history page read just before an edit may arrive after the edit's event.
 */
export function mergeMessages(list: ListedMessage[], incoming: ChatMessage[]): ListedMessage[] {
  if (incoming.length === 0) return list;
  const byKey = new Map(list.map((message) => [message.key, message]));
  for (const message of incoming) {
    const listed = fromServer(message);
    const held = byKey.get(listed.key);
    if (held?.id === listed.id && held.revision > listed.revision) continue;
    for (const [key, existing] of byKey) {
      if (existing.id === listed.id && key !== listed.key) byKey.delete(key);
    }
    byKey.set(listed.key, listed);
  }
  return ordered([...byKey.values()]);
}

/**
 * An edit or delete announced live: replaces the message if the list holds it (and holds an older revision).
 * One it does not hold is left out: it is older than the history shown, or in a room not loaded yet, and a
 * history page will bring it as it now is.
 */
export function applyChange(list: ListedMessage[], changed: ChatMessage): ListedMessage[] {
  const held = list.find((message) => message.id === changed.id);
  if (!held || held.revision >= changed.revision) return list;
  return mergeMessages(list, [changed]);
}

export function addPending(list: ListedMessage[], message: ListedMessage): ListedMessage[] {
  if (list.some((existing) => existing.key === message.key)) return list;
  return [...list, message];
}

/** Marks an unconfirmed message as refused (with the server's reason) or as being sent again. */
export function setUnsentStatus(list: ListedMessage[], key: string, status: 'pending' | 'failed', error?: string): ListedMessage[] {
  return list.map((message) => {
    if (message.key !== key || message.status === 'sent') return message;
    return status === 'failed' ? { ...message, status, error } : { ...message, status, error: undefined };
  });
}

export function removeMessage(list: ListedMessage[], key: string): ListedMessage[] {
  return list.filter((message) => message.key !== key || message.status === 'sent');
}

/** The newest stored id, which a reconnecting client sends in `sync`; 0 when it holds none. */
export function newestId(list: ListedMessage[]): number {
  return list.reduce((newest, message) => Math.max(newest, message.id ?? 0), 0);
}

/**
 * The room number up to which the list holds every message, given that it holds every one up to `complete`: from
 * there on, as far as the numbers held follow on without a gap. A reconnecting client sends it in `sync`
 * (SyncCursor.through). Messages come in any order, so one may be missing below the newest held; the sync answers it.
 */
export function heldThrough(list: readonly Pick<ListedMessage, 'seq'>[], complete: number): number {
  const held = new Set(list.flatMap((message) => (message.seq === null ? [] : [message.seq])));
  let through = complete;
  while (held.has(through + 1)) through += 1;
  return through;
}

/** The newest change seen among the messages held, which a reconnecting client sends in `sync`; 0 when none. */
export function newestRevision(list: ListedMessage[]): number {
  return list.reduce((newest, message) => Math.max(newest, message.revision), 0);
}

/** The oldest stored id, the `before` cursor of the next history page; null when it holds none. */
export function oldestId(list: ListedMessage[]): number | null {
  const ids = list.flatMap((message) => (message.id === null ? [] : [message.id]));
  return ids.length === 0 ? null : Math.min(...ids);
}
