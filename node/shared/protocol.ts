/**
 * The contract between the browser and the server: REST payloads and socket.io events.
 * Both sides import these types, so a change here is checked on both by the compiler.
 */

export const LIMITS = {
  usernamePattern: /^[a-z0-9_-]{3,32}$/,
  roomNamePattern: /^[a-z0-9_-]{2,32}$/,
  passwordMinLength: 8,
  passwordMaxLength: 256,
  messageMaxLength: 4000,
  clientIdMaxLength: 64,
  historyPageMax: 100,
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

export interface RoomSummary {
  name: string;
  memberCount: number;
  /** Whether the current user is a member. */
  joined: boolean;
}

export interface ChatMessage {
  id: number;
  room: string;
  clientId: string;
  /** Plain text as typed: clients must render it as text, never as HTML. */
  body: string;
  createdAt: string;
  user: PublicUser;
}

// ---- REST (JSON; every error is { error: string } with a 4xx/5xx status) ----

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

export interface ApiError {
  error: string;
}

export const CSRF_HEADER = 'x-csrf-token';

// ---- socket.io ----

export type Ack<T> = { data: T } | { error: string };
export type AckCallback<T> = (response: Ack<T>) => void;

export interface RoomJoined {
  room: RoomSummary;
  online: PublicUser[];
}

export interface ClientToServerEvents {
  'room:list': (ack: AckCallback<RoomSummary[]>) => void;
  'room:create': (payload: { name: string }, ack: AckCallback<RoomJoined>) => void;
  'room:join': (payload: { name: string }, ack: AckCallback<RoomJoined>) => void;
  'room:leave': (payload: { name: string }, ack: AckCallback<true>) => void;
  'message:send': (payload: { room: string; clientId: string; body: string }, ack: AckCallback<ChatMessage>) => void;
  /** Rooms the client has seen, each with the newest message id it holds: the server answers with what came after. */
  sync: (payload: { rooms: Record<string, number> }, ack: AckCallback<ChatMessage[]>) => void;
  typing: (payload: { room: string }) => void;
}

export interface ServerToClientEvents {
  'message:new': (message: ChatMessage) => void;
  presence: (payload: { room: string; online: PublicUser[] }) => void;
  typing: (payload: { room: string; user: PublicUser }) => void;
  'room:updated': (room: Omit<RoomSummary, 'joined'>) => void;
  'user:updated': (user: PublicUser) => void;
}
