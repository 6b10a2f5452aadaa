/**
 * The contract between the browser and the server: REST payloads and socket.io events.
 * Both sides import these types, so a change here is checked on both by the compiler.
 */

import sharedLimits from './limits.json';

/** Limits; the ones the Python workers check too come from limits.json, which both languages read. */
export const LIMITS = {
  usernamePattern: new RegExp(sharedLimits.usernamePattern),
  roomNamePattern: new RegExp(sharedLimits.roomNamePattern),
  /** A direct conversation's key: '@' and 20 hex digits, a form no room name can take. */
  directNamePattern: /^@[0-9a-f]{20}$/,
  /** People in a direct conversation, its starter included: 2 (one-to-one) up to this many (a group). */
  directMaxPeople: 8,
  /** Users answered by the people picker (`users:find`, GET /api/users), at most. */
  userSearchMax: 10,
  /** In characters (code points), after trimming. */
  messageMaxLength: sharedLimits.messageMaxLength,
  passwordMinLength: 8,
  passwordMaxLength: 256,
  clientIdMaxLength: 64,
  historyPageMax: 100,
  /** Unread counts stop here: a client shows this many as "99+" (counting further would read a long history). */
  unreadCountMax: 100,
  /** A search query, in characters after trimming. */
  searchQueryMaxLength: 200,
  searchPageMax: 50,
  /** Messages on each side of the one an around-window is centred on, at most. */
  aroundMax: 50,
  avatarMaxBytes: 2 * 1024 * 1024,
  /** A typing indicator disappears this long after the last keystroke event. */
  typingTtlMs: 4000,
} as const;

export const DEFAULT_ROOM = 'general';

/** What anyone may see about a user. */
export interface PublicUser {
  id: number;
  username: string;
  avatarUrl: string;
}

/** What the logged-in user sees about themself. */
export interface SelfUser extends PublicUser {
  email: string;
}

/**
 * A public room is listed to everyone and anyone may join it; a private room and a direct conversation (DM) exist
 * only for their members: to anyone else they look exactly like a conversation that does not exist.
 */
export type ConversationKind = 'public' | 'private' | 'direct';

export interface RoomSummary {
  /** The protocol key of the conversation: a room's name, or a DM's '@…' key (LIMITS.directNamePattern). */
  name: string;
  kind: ConversationKind;
  memberCount: number;
  /** Whether the current user is a member. */
  joined: boolean;
  /** The owner (the room's creator), who may delete any message in it; null for a room nobody owns (general). */
  ownerId: number | null;
  /** A direct conversation's members, the user included, so that clients can title it by the others' names. */
  members?: PublicUser[];
  /** The newest message id the user has read here (0: none; always 0 when not joined). */
  lastReadId: number;
  /** Messages of others after lastReadId that are not deleted, up to LIMITS.unreadCountMax (0 when not joined). */
  unreadCount: number;
  /** Of those, the ones that mention the user (not capped). */
  mentionCount: number;
}

/** The user's read position in a room and the counts after it (room:read, and the answer to it). */
export type ReadState = Pick<RoomSummary, 'name' | 'lastReadId' | 'unreadCount' | 'mentionCount'>;

/** The read state with nothing read and nothing unread: a room one is not in, has just created or has just left. */
export const NOTHING_READ = { lastReadId: 0, unreadCount: 0, mentionCount: 0 } as const satisfies Omit<ReadState, 'name'>;

/** What a room's audience hears when its member count changes: everyone for a public room (rooms:updated), the members for the others (room:updated). */
export type RoomUpdate = Pick<RoomSummary, 'name' | 'memberCount' | 'members'>;

export interface ChatMessage {
  id: number;
  room: string;
  clientId: string;
  /** Plain text as typed: clients must render it as text, never as HTML. Empty once the message is deleted. */
  body: string;
  createdAt: string;
  user: PublicUser;
  /** When the text was last edited; null if never. */
  editedAt: string | null;
  /** When the message was deleted (its text is gone, it stays as a placeholder); null if it was not. */
  deletedAt: string | null;
  /**
   * 0 until the message is edited or deleted; then the room's change number of its latest change. Changes to the
   * messages of one room are numbered 1, 2, 3… in the order they happened: a higher revision is the newer state.
   */
  revision: number;
  /**
   * Its number in its room: 1, 2, 3… in the order the room's messages were stored (committed). A client that has
   * seen number n can rely on every lower number being stored already, so holding every number from its oldest
   * message up to n means it missed none of them (see SyncCursor.through). Rarely a number is left unused.
   */
  seq: number;
  /**
   * The usernames this message mentions (`@name`, node/shared/mentions.ts), lower-cased: only members of the room
   * when it was sent, never the sender. Resolved once when it is stored: an edit neither adds nor removes mentions.
   */
  mentions: string[];
}

// ---- Errors: REST answers { error, code } with a 4xx/5xx status, acknowledgements { error, code } ----

/**
 * What went wrong, for programs: clients branch on the code, the message is for people and may change.
 * `internal` is a fault of the server itself, never an answer to bad input.
 */
export const ERROR_CODES = ['invalid', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'rate_limited', 'busy', 'unavailable', 'internal'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ApiError {
  error: string;
  code: ErrorCode;
}

// ---- REST (JSON) ----

/** GET /api/session, and the body of POST /api/login and POST /api/register. */
export interface SessionResponse {
  user: SelfUser | null;
  /** Send back as the X-CSRF-Token header on every POST/PUT/DELETE. */
  csrfToken: string;
}

export interface RegisterRequest {
  username: string;
  email: string;
  password: string;
}

export interface LoginRequest {
  username: string;
  password: string;
}

/** GET /api/rooms/:name/messages?before=<id>&limit=<n>: newest first, at most 100. */
export interface HistoryResponse {
  messages: ChatMessage[];
  hasMore: boolean;
}

/** GET /api/rooms/:name/messages?around=<id>&limit=<n>: the message and up to n on each side, oldest first. */
export interface AroundResponse {
  messages: ChatMessage[];
  /** The room has messages older than the first one here. */
  hasOlder: boolean;
  /** The room has messages newer than the last one here. */
  hasNewer: boolean;
}

/** Part of a search result's text: a run of plain text, matched by the query or not. Clients show it as text. */
export interface SnippetPart {
  text: string;
  match: boolean;
}

export interface SearchHit {
  message: ChatMessage;
  /**
   * The message's text in parts, in order, the matched words marked: all of a short message, and of a long one the
   * text around its first match, with "… " first and " …" last where text is left out.
   */
  snippet: SnippetPart[];
}

/**
 * GET /api/search?q=<query>&before=<id>&limit=<n>, and the socket event `search`: messages of every conversation the
 * user can read, newest first. The query is what people type into a search box: words, "a phrase", -excluded.
 */
export interface SearchResponse {
  hits: SearchHit[];
  /** More (older) hits exist: ask again with before = the last hit's message id. */
  hasMore: boolean;
}

export interface SearchRequest {
  q: string;
  before?: number;
  limit?: number;
}

/** PATCH /api/messages/:id (answers the edited ChatMessage); DELETE /api/messages/:id answers the placeholder. */
export interface EditMessageRequest {
  body: string;
}

/** POST /api/dms: start a direct conversation with these people (1 to 7 others); answers its RoomSummary. */
export interface StartDirectRequest {
  userIds: number[];
}

/** POST /api/rooms: create a room, public or private (invite-only); answers its RoomSummary. */
export interface CreateRoomRequest {
  name: string;
  private?: boolean;
}

/** POST /api/rooms/:name/members: the owner of a private room invites someone. */
export interface InviteRequest {
  userId: number;
}

/** POST /api/rooms/:name/read: moves the read position forward to this message of the room; answers the ReadState. */
export interface MarkReadRequest {
  messageId: number;
}

export const CSRF_HEADER = 'x-csrf-token';

// ---- socket.io ----

export type Ack<T> = { data: T } | ApiError;
export type AckCallback<T> = (response: Ack<T>) => void;

export interface RoomJoined {
  room: RoomSummary;
  online: PublicUser[];
}

export interface ClientToServerEvents {
  'room:list': (ack: AckCallback<RoomSummary[]>) => void;
  /** `private: true` makes an invite-only room, which only its members can list, find or join. */
  'room:create': (payload: { name: string; private?: boolean }, ack: AckCallback<RoomJoined>) => void;
  'room:join': (payload: { name: string }, ack: AckCallback<RoomJoined>) => void;
  /** A one-to-one DM cannot be left; a group DM and a private room can. */
  'room:leave': (payload: { name: string }, ack: AckCallback<true>) => void;
  /** The owner of a private room adds someone; they hear conversation:added. Answers the room's new summary. */
  'room:invite': (payload: { name: string; userId: number }, ack: AckCallback<RoomSummary>) => void;
  /** The owner of a private room removes a member; their sockets leave at once and they hear conversation:removed. */
  'room:remove': (payload: { name: string; userId: number }, ack: AckCallback<RoomSummary>) => void;
  /** A conversation's members, for its members only. */
  'room:members': (payload: { name: string }, ack: AckCallback<PublicUser[]>) => void;
  /**
   * Starts a direct conversation with these people (1 to 7 others). One-to-one: the pair's one conversation, the
   * same one every time. A group: a new conversation each time. The others hear conversation:added.
   */
  'dm:start': (payload: { userIds: number[] }, ack: AckCallback<RoomJoined>) => void;
  /** The people picker: users whose name starts with the prefix, not the caller, no bots, at most LIMITS.userSearchMax. */
  'users:find': (payload: { prefix: string }, ack: AckCallback<PublicUser[]>) => void;
  /** Moves the user's read position in the room forward to this message (never back); answers the position now held. */
  'room:read': (payload: { room: string; messageId: number }, ack: AckCallback<ReadState>) => void;
  'message:send': (payload: { room: string; clientId: string; body: string }, ack: AckCallback<ChatMessage>) => void;
  /**
   * Rooms the client has seen, each with what it holds (see SyncCursor; a bare number is the newest message id
   * alone): the server answers the messages that came after, then the changes to the ones it holds.
   */
  sync: (payload: { rooms: Record<string, SyncCursor | number> }, ack: AckCallback<ChatMessage[]>) => void;
  /** Edits one's own message; answers it as now stored. */
  'message:edit': (payload: { id: number; body: string }, ack: AckCallback<ChatMessage>) => void;
  /** Deletes one's own message, or any message in a room one owns; answers the placeholder left. */
  'message:delete': (payload: { id: number }, ack: AckCallback<ChatMessage>) => void;
  /** The messages around one message of a room (opening a search result). */
  'message:around': (payload: { room: string; id: number; limit?: number }, ack: AckCallback<AroundResponse>) => void;
  search: (payload: SearchRequest, ack: AckCallback<SearchResponse>) => void;
  typing: (payload: { room: string }) => void;
}

/** What a client holds of one room, for `sync`. */
export interface SyncCursor {
  /** The newest message id it holds (0 for none): messages after it are new to the client. */
  after: number;
  /** The oldest message id it holds (0 for none): changes to messages from here to `after` are answered. */
  from: number;
  /** The highest `revision` it has seen in the room: changes after it are answered. */
  revision: number;
  /**
   * The room number (`seq`) up to which it holds every message, from its oldest on (0 for none): the messages after
   * it are answered, which covers any it missed among the ones it holds. Messages reach a client in any order (they
   * come through several processes), so the newest id held says less: without `through`, messages after `after`
   * are answered, as older clients ask.
   */
  through?: number;
}

export interface ServerToClientEvents {
  'message:new': (message: ChatMessage) => void;
  /** A message's text was edited: the message as now stored. */
  'message:updated': (message: ChatMessage) => void;
  /** A message was deleted: the placeholder left (empty body, deletedAt set). */
  'message:deleted': (message: ChatMessage) => void;
  presence: (payload: { room: string; online: PublicUser[] }) => void;
  typing: (payload: { room: string; user: PublicUser }) => void;
  /** A private room's or a DM's member count changed: to its members, at most once a second a conversation. */
  'room:updated': (room: RoomUpdate) => void;
  /** Public rooms' member counts changed: to everyone, at most once a second, every room that changed meanwhile. */
  'rooms:updated': (rooms: RoomUpdate[]) => void;
  /** The user was added to a conversation (a DM started, an invitation to a private room): it belongs in the sidebar. */
  'conversation:added': (room: RoomSummary) => void;
  /** The user was removed from a private room (or left it elsewhere): the client drops it. */
  'conversation:removed': (payload: { name: string }) => void;
  /** The user's read position in a room moved (on this or another of their devices): to all of the user's sockets. */
  'room:read': (state: ReadState) => void;
  'user:updated': (user: PublicUser) => void;
}
