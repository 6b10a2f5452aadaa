import { LIMITS, type PublicUser } from '../../../node/shared/protocol';
import { nextExpiry, noteTyping, pruneTyping, shouldSendTyping, TYPING_SEND_INTERVAL_MS, typingLine } from '../../../node/client/state/typing';

const user = (id: number, username: string): PublicUser => ({ id, username, avatarUrl: `/avatars/default/${username}.svg` });
const alice = user(1, 'alice');
const bob = user(2, 'bob');
const carol = user(3, 'carol');

describe('typing indicators', () => {
  it('shows a name until the indicator expires, then drops it', () => {
    const typing = noteTyping({}, bob, 1000);
    expect(typingLine(typing, alice.id)).toBe('bob is typing…');
    expect(nextExpiry(typing)).toBe(1000 + LIMITS.typingTtlMs);
    expect(pruneTyping(typing, 1000 + LIMITS.typingTtlMs - 1)).toBe(typing);
    const expired = pruneTyping(typing, 1000 + LIMITS.typingTtlMs);
    expect(typingLine(expired, alice.id)).toBeNull();
    expect(nextExpiry(expired)).toBeNull();
  });

  it('extends the expiry on every new typing event', () => {
    const typing = noteTyping(noteTyping({}, bob, 0), bob, 3000);
    expect(typingLine(pruneTyping(typing, LIMITS.typingTtlMs + 1), alice.id)).toBe('bob is typing…');
  });

  it('never shows the user themself', () => {
    expect(typingLine(noteTyping({}, alice, 0), alice.id)).toBeNull();
  });

  it('names two people and counts more', () => {
    const two = noteTyping(noteTyping({}, carol, 0), bob, 0);
    expect(typingLine(two, alice.id)).toBe('bob and carol are typing…');
    expect(typingLine(noteTyping(two, user(4, 'dave'), 0), alice.id)).toBe('3 people are typing…');
  });

  it('expires each person on their own schedule', () => {
    const typing = noteTyping(noteTyping({}, bob, 0), carol, 2000);
    expect(typingLine(pruneTyping(typing, LIMITS.typingTtlMs), alice.id)).toBe('carol is typing…');
  });

  it('sends typing at most once per interval', () => {
    expect(shouldSendTyping(null, 5)).toBe(true);
    expect(shouldSendTyping(1000, 1000 + TYPING_SEND_INTERVAL_MS - 1)).toBe(false);
    expect(shouldSendTyping(1000, 1000 + TYPING_SEND_INTERVAL_MS)).toBe(true);
  });
});
