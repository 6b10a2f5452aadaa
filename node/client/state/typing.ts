/**
 * "X is typing…": the server relays a `typing` event per keystroke burst; the client shows the name
 * until LIMITS.typingTtlMs after the last one, so a user who stops typing (or drops) disappears.
 */
import { LIMITS, type PublicUser } from '../../shared/protocol';

/** Who is typing, by user id, with the moment the indicator expires. */
export type TypingState = Readonly<Record<number, { user: PublicUser; expiresAt: number }>>;

export function noteTyping(state: TypingState, user: PublicUser, now: number, ttlMs: number = LIMITS.typingTtlMs): TypingState {
  return { ...state, [user.id]: { user, expiresAt: now + ttlMs } };
}

/** Drops expired entries; returns the same object when nothing expired, so React skips a render. */
export function pruneTyping(state: TypingState, now: number): TypingState {
  const entries = Object.entries(state);
  const alive = entries.filter(([, entry]) => entry.expiresAt > now);
  return alive.length === entries.length ? state : Object.fromEntries(alive);
}

/** When the next entry expires (to schedule one timer), or null when nobody is typing. */
export function nextExpiry(state: TypingState): number | null {
  const times = Object.values(state).map((entry) => entry.expiresAt);
  return times.length === 0 ? null : Math.min(...times);
}

/**
 * The line under the message list, without the user themself; null when nobody else is typing.
 * Expiry is pruneTyping's job (on a timer), so rendering stays a pure function of the state.
 */
export function typingLine(state: TypingState, selfId: number): string | null {
  const names = Object.values(state)
    .filter((entry) => entry.user.id !== selfId)
    .map((entry) => entry.user.username)
    .sort();
  if (names.length === 0) return null;
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}

/** The client tells the server at most once per interval while the user keeps typing. */
export const TYPING_SEND_INTERVAL_MS = Math.floor(LIMITS.typingTtlMs / 2);

export function shouldSendTyping(lastSentAt: number | null, now: number): boolean {
  return lastSentAt === null || now - lastSentAt >= TYPING_SEND_INTERVAL_MS;
}
