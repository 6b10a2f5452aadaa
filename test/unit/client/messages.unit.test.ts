import type { ChatMessage, PublicUser } from '../../../node/shared/protocol';
import { addPending, applyChange, mergeMessages, newestId, newestRevision, oldestId, pendingMessage, removeMessage, setUnsentStatus, type ListedMessage } from '../../../node/client/state/messages';

const alice: PublicUser = { id: 1, username: 'alice', avatarUrl: '/avatars/default/alice.svg' };
const bob: PublicUser = { id: 2, username: 'bob', avatarUrl: '/avatars/default/bob.svg' };

function stored(id: number, user: PublicUser = bob, clientId = `c-${id}`): ChatMessage {
  return { id, room: 'general', clientId, body: `message ${id}`, createdAt: new Date(1_700_000_000_000 + id * 1000).toISOString(), user, editedAt: null, deletedAt: null, revision: 0, seq: id, mentions: [] };
}

function pending(clientId: string, body = 'typed'): ListedMessage {
  return pendingMessage({ room: 'general', clientId, body, user: alice, now: new Date(1_800_000_000_000) });
}

const ids = (list: ListedMessage[]) => list.map((message) => message.id);

describe('mergeMessages', () => {
  it('orders stored messages by id whatever order they arrive in', () => {
    expect(ids(mergeMessages([], [stored(3), stored(1), stored(2)]))).toEqual([1, 2, 3]);
  });

  it('prepends an older history page and ignores the overlap with what is shown', () => {
    const shown = mergeMessages([], [stored(5), stored(6)]);
    const merged = mergeMessages(shown, [stored(4), stored(5), stored(3)]);
    expect(ids(merged)).toEqual([3, 4, 5, 6]);
  });

  it('does not duplicate a message delivered twice (live event and sync after a reconnect)', () => {
    const once = mergeMessages([], [stored(7)]);
    expect(mergeMessages(once, [stored(7)])).toHaveLength(1);
  });

  it('turns the pending message into the stored one by clientId, keeping its key', () => {
    const list = addPending(mergeMessages([], [stored(1)]), pending('uuid-1', 'hello'));
    const confirmed = mergeMessages(list, [{ ...stored(2, alice, 'uuid-1'), body: 'hello' }]);
    expect(confirmed.map((message) => [message.id, message.status, message.key])).toEqual([
      [1, 'sent', '2:c-1'],
      [2, 'sent', '1:uuid-1'],
    ]);
  });

  it('keeps unconfirmed messages after every stored one, in typing order', () => {
    const list = addPending(addPending([], pending('a')), pending('b'));
    const merged = mergeMessages(list, [stored(9)]);
    expect(merged.map((message) => message.clientId)).toEqual(['c-9', 'a', 'b']);
  });

  it('tells apart the same clientId used by two different authors', () => {
    const merged = mergeMessages([], [stored(1, alice, 'same'), stored(2, bob, 'same')]);
    expect(ids(merged)).toEqual([1, 2]);
  });

  it('returns the same list when nothing arrives', () => {
    const list = mergeMessages([], [stored(1)]);
    expect(mergeMessages(list, [])).toBe(list);
  });
});

describe('unconfirmed messages', () => {
  it('adds a pending message once, even when added again', () => {
    const list = addPending([], pending('x'));
    expect(addPending(list, pending('x'))).toBe(list);
  });

  it('marks a refused message failed with the reason, and pending again on retry', () => {
    const list = addPending([], pending('x'));
    const failed = setUnsentStatus(list, '1:x', 'failed', 'message is too long');
    expect(failed[0]).toMatchObject({ status: 'failed', error: 'message is too long' });
    expect(setUnsentStatus(failed, '1:x', 'pending')[0]).toMatchObject({ status: 'pending', error: undefined });
  });

  it('never downgrades or removes a stored message by key', () => {
    const list = mergeMessages([], [stored(1, alice, 'x')]);
    expect(setUnsentStatus(list, '1:x', 'failed', 'late timeout')[0]?.status).toBe('sent');
    expect(removeMessage(list, '1:x')).toHaveLength(1);
  });
});

describe('cursors', () => {
  it('gives the newest id for sync and the oldest id for the next history page', () => {
    const list = addPending(mergeMessages([], [stored(12), stored(10), stored(11)]), pending('p'));
    expect(newestId(list)).toBe(12);
    expect(oldestId(list)).toBe(10);
  });

  it('gives 0 / null for a room with nothing stored', () => {
    const list = addPending([], pending('p'));
    expect(newestId(list)).toBe(0);
    expect(oldestId(list)).toBeNull();
    expect(newestRevision(list)).toBe(0);
  });

  it('gives the newest revision among the messages held, for sync', () => {
    const list = mergeMessages([], [stored(1), { ...stored(2), revision: 9 }, { ...stored(3), revision: 4 }]);
    expect(newestRevision(list)).toBe(9);
  });
});

describe('applyChange', () => {
  it('replaces a held message by id, keeping its key and place', () => {
    const list = mergeMessages([], [stored(1), stored(2)]);
    const changed = applyChange(list, { ...stored(1), body: 'fixed', editedAt: '2026-01-01T00:00:00.000Z', revision: 1 });
    expect(changed.map((message) => [message.key, message.body, message.revision])).toEqual([
      ['2:c-1', 'fixed', 1],
      ['2:c-2', 'message 2', 0],
    ]);
  });

  it('returns the same list for a message it does not hold or a revision it already has', () => {
    const list = mergeMessages([], [{ ...stored(1), revision: 5 }]);
    expect(applyChange(list, { ...stored(8), revision: 6 })).toBe(list);
    expect(applyChange(list, { ...stored(1), body: 'older', revision: 5 })).toBe(list);
    expect(applyChange(list, { ...stored(1), body: 'older', revision: 2 })).toBe(list);
  });
});
