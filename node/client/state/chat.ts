/**
 * Everything the chat screen shows, as one reducer: socket and REST handlers dispatch actions,
 * components render the state. Pure (time comes in with the action), so it is unit-tested.
 */
import {
  DEFAULT_ROOM,
  type AroundResponse,
  type ChatMessage,
  type HistoryResponse,
  LIMITS,
  NOTHING_READ,
  type PublicUser,
  type ReadState,
  type RoomJoined,
  type RoomSummary,
  type RoomUpdate,
} from '../../shared/protocol';
import type { HeldCursor } from '../lib/sync';
import { addPending, applyChange, fromServer, heldThrough, mergeMessages, newestId, newestRevision, oldestId, removeMessage, setUnsentStatus, type ListedMessage } from './messages';
import { noteTyping, pruneTyping, type TypingState } from './typing';

export type ConnectionState = 'connecting' | 'online' | 'reconnecting';

/** Paging through a room's history, newest page first. */
export interface HistoryState {
  /** The first (newest) page has arrived. */
  loaded: boolean;
  loading: boolean;
  /** The server has older messages than the oldest one shown. */
  hasMore: boolean;
  error: string | null;
}

export interface RoomView {
  messages: ListedMessage[];
  history: HistoryState;
  online: PublicUser[];
  typing: TypingState;
  /**
   * Where the "new" divider goes: after this message id, the read position when the reader came to the room
   * (opened it, or came back to the tab) with unread messages in it; null for none.
   */
  newAfter: number | null;
  /**
   * Every message of the room numbered (`seq`) up to here is held: the newest history page or a sync said so (0
   * before either). Past it, the messages held count as far as their numbers follow on without a gap.
   */
  completeThrough: number;
}

/**
 * A message opened from a search, shown in its room with its neighbours instead of the room's latest messages
 * until the reader goes back to them (or sends, or opens another room). Kept apart from the room's own list, which
 * must stay one unbroken run of messages for paging and sync.
 */
export interface Focus {
  room: string;
  messageId: number;
  messages: ListedMessage[];
  hasOlder: boolean;
  hasNewer: boolean;
}

export interface ChatState {
  selfId: number;
  connection: ConnectionState;
  rooms: RoomSummary[];
  activeRoom: string;
  views: Readonly<Record<string, RoomView>>;
  /** The newest profile of every user seen, so an avatar change shows on all their messages at once. */
  users: Readonly<Record<number, PublicUser>>;
  /** The last problem worth telling the user (a refused room name, a failed request). */
  notice: string | null;
  focus: Focus | null;
  /** The tab is visible: messages arriving in the open room are read as they come. */
  visible: boolean;
}

export type ChatAction =
  | { type: 'connection'; state: ConnectionState }
  | { type: 'rooms'; rooms: RoomSummary[] }
  | { type: 'room:updated'; room: RoomUpdate }
  | { type: 'room:joined'; joined: RoomJoined; activate: boolean }
  | { type: 'room:left'; name: string }
  /** The user was added to a conversation (a DM, an invitation), or the owner's invite or remove changed it. */
  | { type: 'room:summary'; room: RoomSummary }
  /** The user was removed from a private room: it goes from the list, with what was shown of it. */
  | { type: 'conversation:removed'; name: string }
  | { type: 'room:select'; name: string }
  | { type: 'history:loading'; room: string }
  | { type: 'history:page'; room: string; page: HistoryResponse }
  | { type: 'history:failed'; room: string; error: string }
  /** Messages stored on the server; `live` for message:new, which the room list's counts do not hold yet. */
  | { type: 'messages'; messages: ChatMessage[]; live?: boolean }
  /** What a reconnect's sync answered, and per room the number up to which that holds every message now. */
  | { type: 'synced'; messages: ChatMessage[]; completeThrough: Record<string, number> }
  /** The user's read position in a room moved (the answer to room:read, or another device's). */
  | { type: 'room:read'; state: ReadState }
  | { type: 'visibility'; visible: boolean }
  /** A message was edited or deleted (live event, or the answer to the user's own edit or delete). */
  | { type: 'message:changed'; message: ChatMessage }
  | { type: 'message:pending'; message: ListedMessage }
  | { type: 'message:failed'; room: string; key: string; error: string }
  | { type: 'message:retry'; room: string; key: string }
  | { type: 'message:discard'; room: string; key: string }
  | { type: 'presence'; room: string; online: PublicUser[] }
  | { type: 'typing'; room: string; user: PublicUser; now: number }
  | { type: 'typing:prune'; now: number }
  | { type: 'user:updated'; user: PublicUser }
  | { type: 'notice'; notice: string | null }
  | { type: 'focus:open'; room: string; messageId: number; window: AroundResponse }
  /** The same window loaded again after a reconnect: `sync` only covers the room's latest run of messages. */
  | { type: 'focus:refresh'; room: string; messageId: number; window: AroundResponse }
  | { type: 'focus:close' };

const EMPTY_VIEW: RoomView = {
  messages: [],
  history: { loaded: false, loading: false, hasMore: true, error: null },
  online: [],
  typing: {},
  newAfter: null,
  completeThrough: 0,
};

export function initialChatState(self: PublicUser): ChatState {
  return {
    selfId: self.id,
    connection: 'connecting',
    rooms: [],
    activeRoom: DEFAULT_ROOM,
    views: {},
    users: { [self.id]: self },
    notice: null,
    focus: null,
    visible: true,
  };
}

export function viewOf(state: ChatState, room: string): RoomView {
  return state.views[room] ?? EMPTY_VIEW;
}

function updateView(state: ChatState, room: string, update: (view: RoomView) => RoomView): ChatState {
  return { ...state, views: { ...state.views, [room]: update(viewOf(state, room)) } };
}

function rememberUsers(users: ChatState['users'], seen: PublicUser[]): ChatState['users'] {
  const changed = seen.filter((user) => users[user.id]?.avatarUrl !== user.avatarUrl || users[user.id]?.username !== user.username);
  if (changed.length === 0) return users;
  return { ...users, ...Object.fromEntries(changed.map((user) => [user.id, user])) };
}

function upsertRoom(rooms: RoomSummary[], room: RoomSummary): RoomSummary[] {
  const others = rooms.filter((existing) => existing.name !== room.name);
  return [...others, room].sort((a, b) => a.name.localeCompare(b.name));
}

/** Whether the reader sees the room's new messages as they arrive: it is open, the tab visible, no search result shown. */
export function isReading(state: ChatState, room: string): boolean {
  return state.visible && state.activeRoom === room && state.focus?.room !== room;
}

/**
 * Counts live messages that are news to the reader: others' messages after the read position, not held before, in a
 * room they are not reading. (Messages from a sync or a history page are in the counts the server already gave.)
 */
function countUnread(state: ChatState, room: string, view: RoomView, messages: ChatMessage[]): RoomSummary[] {
  const summary = state.rooms.find((candidate) => candidate.name === room);
  if (!summary?.joined || isReading(state, room)) return state.rooms;
  const held = new Set(view.messages.map((message) => message.id));
  const self = state.users[state.selfId]?.username;
  const news = messages.filter((message) => message.user.id !== state.selfId && message.id > summary.lastReadId && message.deletedAt === null && !held.has(message.id));
  if (news.length === 0) return state.rooms;
  const mentions = news.filter((message) => self !== undefined && message.mentions.includes(self)).length;
  const counted = { ...summary, unreadCount: Math.min(summary.unreadCount + news.length, LIMITS.unreadCountMax), mentionCount: summary.mentionCount + mentions };
  return upsertRoom(state.rooms, counted);
}

function receive(state: ChatState, messages: ChatMessage[], live: boolean): ChatState {
  const byRoom = new Map<string, ChatMessage[]>();
  for (const message of messages) byRoom.set(message.room, [...(byRoom.get(message.room) ?? []), message]);
  let next: ChatState = { ...state, users: rememberUsers(state.users, messages.map((message) => message.user)) };
  for (const [room, roomMessages] of byRoom) {
    if (live) next = { ...next, rooms: countUnread(next, room, viewOf(next, room), roomMessages) };
    next = updateView(next, room, (view) => {
      // A message from someone clears their typing line at once rather than at its expiry.
      const authors = new Set(roomMessages.map((message) => message.user.id));
      const typing = Object.fromEntries(Object.entries(view.typing).filter(([id]) => !authors.has(Number(id))));
      return { ...view, messages: mergeMessages(view.messages, roomMessages), typing };
    });
  }
  return next;
}

/**
 * A message deleted live no longer counts, if it was counted: someone else's, after the read position, held here as
 * not yet deleted, in a room not being read, with the count below the server's cap (above it, the true count is unknown).
 */
function uncountDeleted(state: ChatState, changed: ChatMessage): RoomSummary[] {
  const summary = state.rooms.find((room) => room.name === changed.room);
  const held = viewOf(state, changed.room).messages.find((message) => message.id === changed.id);
  const counted =
    summary?.joined === true &&
    !isReading(state, changed.room) &&
    changed.deletedAt !== null &&
    changed.user.id !== state.selfId &&
    changed.id > summary.lastReadId &&
    summary.unreadCount > 0 &&
    summary.unreadCount < LIMITS.unreadCountMax &&
    held?.deletedAt === null;
  if (!counted) return state.rooms;
  const mentioned = held.mentions.includes(state.users[state.selfId]?.username ?? '');
  return upsertRoom(state.rooms, { ...summary, unreadCount: summary.unreadCount - 1, mentionCount: Math.max(summary.mentionCount - (mentioned ? 1 : 0), 0) });
}

/** A read position only moves forward: an older answer arriving late changes nothing. */
function applyRead(state: ChatState, read: ReadState): ChatState {
  const summary = state.rooms.find((room) => room.name === read.name);
  if (!summary?.joined || read.lastReadId < summary.lastReadId) return state;
  return { ...state, rooms: upsertRoom(state.rooms, { ...summary, ...read }) };
}

/** Puts the "new" divider at the read position of a room the reader comes to, if anything after it is unread. */
function markNewMessages(state: ChatState, room: string): ChatState {
  const summary = state.rooms.find((candidate) => candidate.name === room);
  const newAfter = summary && summary.unreadCount > 0 ? summary.lastReadId : null;
  return updateView(state, room, (view) => ({ ...view, newAfter }));
}

function changeInView(state: ChatState, changed: ChatMessage): ChatState {
  const view = state.views[changed.room];
  if (!view) return state;
  const messages = applyChange(view.messages, changed);
  return messages === view.messages ? state : updateView(state, changed.room, () => ({ ...view, messages }));
}

/** The window opened from a search holds its own copies of the messages: they show the edit or delete too. */
function changeFocused(state: ChatState, changed: ChatMessage): ChatState {
  const focus = state.focus;
  if (focus?.room !== changed.room) return state;
  const messages = applyChange(focus.messages, changed);
  return messages === focus.messages ? state : { ...state, focus: { ...focus, messages } };
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case 'connection':
      return { ...state, connection: action.state };
    case 'rooms': {
      const rooms = [...action.rooms].sort((a, b) => a.name.localeCompare(b.name));
      const activeStillJoined = rooms.some((room) => room.name === state.activeRoom && room.joined);
      const next = { ...state, rooms, activeRoom: activeStillJoined ? state.activeRoom : DEFAULT_ROOM };
      // The first list after loading the page: the open room gets its divider as if it had just been opened.
      return viewOf(next, next.activeRoom).newAfter === null ? markNewMessages(next, next.activeRoom) : next;
    }
    case 'room:updated': {
      const existing = state.rooms.find((room) => room.name === action.room.name);
      const known = existing ?? { kind: 'public' as const, joined: false, ownerId: null, ...NOTHING_READ };
      return { ...state, rooms: upsertRoom(state.rooms, { ...known, ...action.room }) };
    }
    case 'room:joined': {
      const { room, online } = action.joined;
      const next = updateView({ ...state, rooms: upsertRoom(state.rooms, room), users: rememberUsers(state.users, online) }, room.name, (view) => ({
        ...view,
        online,
      }));
      return action.activate ? selectRoom(next, room.name) : next;
    }
    case 'room:left':
      return forget(state, action.name);
    case 'room:summary':
      return { ...state, rooms: upsertRoom(state.rooms, action.room), users: rememberUsers(state.users, action.room.members ?? []) };
    case 'conversation:removed':
      return forget(state, action.name);
    case 'room:select':
      return selectRoom(state, action.name);
    case 'history:loading':
      return updateView(state, action.room, (view) => ({ ...view, history: { ...view.history, loading: true, error: null } }));
    case 'history:page':
      return updateView({ ...state, users: rememberUsers(state.users, action.page.messages.map((message) => message.user)) }, action.room, (view) => ({
        ...view,
        messages: mergeMessages(view.messages, action.page.messages),
        history: { loaded: true, loading: false, hasMore: action.page.hasMore, error: null },
        // The first page is the newest: it holds every message up to its newest (older pages change nothing here).
        completeThrough: view.history.loaded ? view.completeThrough : Math.max(view.completeThrough, ...action.page.messages.map((message) => message.seq)),
      }));
    case 'history:failed':
      return updateView(state, action.room, (view) => ({ ...view, history: { ...view.history, loading: false, error: action.error } }));
    case 'messages':
      return receive(state, action.messages, action.live ?? false);
    case 'synced':
      return Object.entries(action.completeThrough).reduce(
        (next, [room, through]) => updateView(next, room, (view) => ({ ...view, completeThrough: Math.max(view.completeThrough, through) })),
        receive(state, action.messages, false),
      );
    case 'room:read':
      return applyRead(state, action.state);
    case 'visibility': {
      const next = { ...state, visible: action.visible };
      // Back to the tab: what came meanwhile in the open room is marked, as when a room is opened.
      return action.visible && !state.visible ? markNewMessages(next, next.activeRoom) : next;
    }
    case 'message:changed': {
      const rooms = uncountDeleted(state, action.message);
      return changeFocused(changeInView(rooms === state.rooms ? state : { ...state, rooms }, action.message), action.message);
    }
    case 'message:pending':
      // Who writes wants to see their message among the latest ones.
      return updateView(state.focus?.room === action.message.room ? { ...state, focus: null } : state, action.message.room, (view) => ({ ...view, messages: addPending(view.messages, action.message) }));
    case 'message:failed':
      return updateView(state, action.room, (view) => ({ ...view, messages: setUnsentStatus(view.messages, action.key, 'failed', action.error) }));
    case 'message:retry':
      return updateView(state, action.room, (view) => ({ ...view, messages: setUnsentStatus(view.messages, action.key, 'pending') }));
    case 'message:discard':
      return updateView(state, action.room, (view) => ({ ...view, messages: removeMessage(view.messages, action.key) }));
    case 'presence':
      return updateView({ ...state, users: rememberUsers(state.users, action.online) }, action.room, (view) => ({ ...view, online: action.online }));
    case 'typing':
      if (action.user.id === state.selfId) return state;
      return updateView(state, action.room, (view) => ({ ...view, typing: noteTyping(view.typing, action.user, action.now) }));
    case 'typing:prune': {
      let changed = false;
      const views = Object.fromEntries(
        Object.entries(state.views).map(([name, view]) => {
          const typing = pruneTyping(view.typing, action.now);
          if (typing !== view.typing) changed = true;
          return [name, typing === view.typing ? view : { ...view, typing }];
        }),
      );
      return changed ? { ...state, views } : state;
    }
    case 'user:updated':
      return { ...state, users: { ...state.users, [action.user.id]: action.user } };
    case 'notice':
      return { ...state, notice: action.notice };
    case 'focus:open':
      return { ...selectRoom(state, action.room), focus: focusOf(action), users: rememberUsers(state.users, action.window.messages.map((message) => message.user)) };
    case 'focus:refresh':
      // Closed or moved to another message meanwhile: the answer is stale.
      if (state.focus?.room !== action.room || state.focus.messageId !== action.messageId) return state;
      return { ...state, focus: focusOf(action), users: rememberUsers(state.users, action.window.messages.map((message) => message.user)) };
    case 'focus:close':
      return { ...state, focus: null };
  }
}

function focusOf({ room, messageId, window }: { room: string; messageId: number; window: AroundResponse }): Focus {
  return { room, messageId, messages: window.messages.map(fromServer), hasOlder: window.hasOlder, hasNewer: window.hasNewer };
}

/**
 * The user is no longer in the conversation: what was shown of it goes. A public room stays listed, to join again;
 * a private room or a DM is invisible to non-members, so it goes from the list too.
 */
function forget(state: ChatState, name: string): ChatState {
  // The member count is the server's to tell (room:updated), which may arrive before or after this. The read
  // position left with the membership.
  const rooms = state.rooms.flatMap((room) => (room.name !== name ? [room] : room.kind === 'public' ? [{ ...room, joined: false, ...NOTHING_READ }] : []));
  const views = Object.fromEntries(Object.entries(state.views).filter(([room]) => room !== name));
  const next = { ...state, rooms, views };
  return state.activeRoom === name ? selectRoom(next, DEFAULT_ROOM) : next;
}

/** How a conversation is called: a room by its name, a DM by the names of the other people in it. */
export function conversationTitle(room: RoomSummary | undefined, name: string, selfId: number): string {
  if (room?.kind !== 'direct') return name;
  const others = (room.members ?? []).filter((member) => member.id !== selfId).map((member) => member.username);
  return others.length > 0 ? others.join(', ') : 'just you';
}

function selectRoom(state: ChatState, name: string): ChatState {
  return markNewMessages({ ...state, activeRoom: name, focus: state.focus?.room === name ? state.focus : null }, name);
}

/**
 * The message to mark read in the open room, when the reader is reading it and the newest message it holds is past
 * the read position; null otherwise.
 */
export function readable(state: ChatState): { room: string; messageId: number } | null {
  const room = state.activeRoom;
  const summary = state.rooms.find((candidate) => candidate.name === room);
  if (!summary?.joined || !isReading(state, room)) return null;
  const newest = newestId(viewOf(state, room).messages);
  return newest > summary.lastReadId ? { room, messageId: newest } : null;
}

/**
 * What a reconnecting client sends in `sync` for every room whose history it loaded: the range of message ids it
 * holds, how far it holds them without a gap, and the newest change it has seen among them, so it gets the
 * messages it missed and the changes to its own.
 */
export function syncCursor(state: ChatState): Record<string, HeldCursor> {
  return Object.fromEntries(
    Object.entries(state.views)
      .filter(([, view]) => view.history.loaded)
      .map(([room, view]) => [
        room,
        {
          after: newestId(view.messages),
          from: oldestId(view.messages) ?? 0,
          through: heldThrough(view.messages, view.completeThrough),
          revision: newestRevision(view.messages),
        },
      ]),
  );
}

/** The `before` id of the next older page, or null when there is nothing to fetch now. */
export function olderPageCursor(view: RoomView): number | null {
  if (!view.history.loaded || view.history.loading || !view.history.hasMore) return null;
  return oldestId(view.messages);
}

/** The user's own messages that have not been confirmed: resent (same clientId) after a reconnect. */
export function unconfirmed(state: ChatState): ListedMessage[] {
  return Object.values(state.views).flatMap((view) => view.messages.filter((message) => message.status === 'pending'));
}
