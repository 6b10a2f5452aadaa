import type { ChatMessage, PublicUser, RoomSummary } from '../../../node/shared/protocol';
import { chatReducer, conversationTitle, initialChatState, olderPageCursor, readable, syncCursor, unconfirmed, viewOf, type ChatAction, type ChatState } from '../../../node/client/state/chat';
import { pendingMessage } from '../../../node/client/state/messages';

const alice: PublicUser = { id: 1, username: 'alice', avatarUrl: '/avatars/default/alice.svg' };
const bob: PublicUser = { id: 2, username: 'bob', avatarUrl: '/avatars/default/bob.svg' };

function message(id: number, room = 'general', user: PublicUser = bob): ChatMessage {
  return { id, room, clientId: `c-${id}`, body: `#${id}`, createdAt: new Date(id * 1000).toISOString(), user, editedAt: null, deletedAt: null, revision: 0, seq: id, mentions: [] };
}

const run = (...actions: ChatAction[]): ChatState => actions.reduce(chatReducer, initialChatState(alice));
const page = (room: string, ids: number[], hasMore: boolean): ChatAction => ({ type: 'history:page', room, page: { messages: ids.map((id) => message(id, room)), hasMore } });

describe('history paging', () => {
  it('asks for nothing before the first page, then pages back from the oldest id until the server has no more', () => {
    expect(olderPageCursor(viewOf(run(), 'general'))).toBeNull();
    const first = run({ type: 'history:loading', room: 'general' }, page('general', [30, 29, 28], true));
    expect(viewOf(first, 'general').messages.map((m) => m.id)).toEqual([28, 29, 30]);
    expect(olderPageCursor(viewOf(first, 'general'))).toBe(28);

    const loading = chatReducer(first, { type: 'history:loading', room: 'general' });
    expect(olderPageCursor(viewOf(loading, 'general'))).toBeNull();

    const last = chatReducer(loading, page('general', [27, 26], false));
    expect(viewOf(last, 'general').messages.map((m) => m.id)).toEqual([26, 27, 28, 29, 30]);
    expect(olderPageCursor(viewOf(last, 'general'))).toBeNull();
  });

  it('keeps the cursor after a failed page so the user can try again', () => {
    const failed = run(page('general', [5], true), { type: 'history:loading', room: 'general' }, { type: 'history:failed', room: 'general', error: 'boom' });
    expect(viewOf(failed, 'general').history).toMatchObject({ loading: false, error: 'boom' });
    expect(olderPageCursor(viewOf(failed, 'general'))).toBe(5);
  });
});

describe('reconnecting', () => {
  it('syncs every room whose history was loaded: the ids it holds and the newest change seen among them', () => {
    const state = run(
      page('general', [3, 2], true),
      page('random', [], false),
      { type: 'messages', messages: [message(9, 'elsewhere')] },
      { type: 'message:changed', message: { ...message(2), body: 'edited', editedAt: new Date(5000).toISOString(), revision: 7 } },
    );
    expect(syncCursor(state)).toEqual({ general: { after: 3, from: 2, through: 3, revision: 7 }, random: { after: 0, from: 0, through: 0, revision: 0 } });
  });

  it('syncs from the run it holds without a gap: a message missing below the newest held is asked for again', () => {
    // The newest page holds 1 to 3; 4 has not arrived when 5 and 6 do (they come through several processes).
    const held = run(page('general', [3, 2, 1], false), { type: 'messages', messages: [message(5), message(6)], live: true });
    expect(syncCursor(held).general).toMatchObject({ after: 6, through: 3 });
    // Once 4 is there, the run goes on through 6.
    expect(syncCursor(chatReducer(held, { type: 'messages', messages: [message(4)], live: true })).general).toMatchObject({ through: 6 });
    // Older pages do not move it; a sync that said it holds everything up to 9 does, whatever it lacks below.
    expect(syncCursor(chatReducer(held, page('general', [], false))).general).toMatchObject({ through: 3 });
    const synced = chatReducer(held, { type: 'synced', messages: [message(4), message(7), message(9)], completeThrough: { general: 9 } });
    expect(syncCursor(synced).general).toMatchObject({ after: 9, through: 9 });
  });

  it('resends pending messages but not refused ones', () => {
    const typed = (clientId: string) => pendingMessage({ room: 'general', clientId, body: 'hi', user: alice, now: new Date(0) });
    const state = run(
      { type: 'message:pending', message: typed('a') },
      { type: 'message:pending', message: typed('b') },
      { type: 'message:failed', room: 'general', key: '1:b', error: 'too long' },
    );
    expect(unconfirmed(state).map((m) => m.clientId)).toEqual(['a']);
    const confirmed = chatReducer(state, { type: 'messages', messages: [{ ...message(4, 'general', alice), clientId: 'a' }] });
    expect(unconfirmed(confirmed)).toEqual([]);
  });
});

describe('rooms, people and notices', () => {

  it('keeps the newest profile of each user so an avatar change shows on old messages', () => {
    const updated = { ...bob, avatarUrl: '/avatars/bob-2.png' };
    const state = run({ type: 'messages', messages: [message(1)] }, { type: 'user:updated', user: updated });
    expect(state.users[bob.id]?.avatarUrl).toBe('/avatars/bob-2.png');
    // Messages carry the author as the server knows them now, so a newer message confirms the change.
    expect(chatReducer(state, { type: 'messages', messages: [message(2, 'general', updated)] }).users[bob.id]).toEqual(updated);
  });

  it('goes back to general after leaving the open room, and forgets the room it left', () => {
    // (The count stays as the server last said: its room:updated may come before or after the leave's answer.)
    const joined = run({
      type: 'room:joined',
      joined: { room: { name: 'random', kind: 'public', memberCount: 2, joined: true, ownerId: bob.id, lastReadId: 0, unreadCount: 0, mentionCount: 0 }, online: [bob] },
      activate: true,
    });
    expect(joined.activeRoom).toBe('random');
    expect(viewOf(joined, 'random').online).toEqual([bob]);
    const left = chatReducer(joined, { type: 'room:left', name: 'random' });
    expect(left.activeRoom).toBe('general');
    expect(left.rooms).toEqual([{ name: 'random', kind: 'public', memberCount: 2, joined: false, ownerId: bob.id, lastReadId: 0, unreadCount: 0, mentionCount: 0 }]);
    expect(left.views.random).toBeUndefined();
  });

  it('updates member counts from room:updated without changing whether the user is in the room', () => {
    const state = run(
      { type: 'rooms', rooms: [{ name: 'general', kind: 'public', memberCount: 1, joined: true, ownerId: null, lastReadId: 0, unreadCount: 0, mentionCount: 0 }] },
      { type: 'room:updated', room: { name: 'general', memberCount: 5 } },
      { type: 'room:updated', room: { name: 'new', memberCount: 1 } },
    );
    expect(state.rooms).toEqual([
      { name: 'general', kind: 'public', memberCount: 5, joined: true, ownerId: null, lastReadId: 0, unreadCount: 0, mentionCount: 0 },
      { name: 'new', kind: 'public', memberCount: 1, joined: false, ownerId: null, lastReadId: 0, unreadCount: 0, mentionCount: 0 },
    ]);
  });

  it('shows others typing, not the user, and a message from them ends their typing line', () => {
    const state = run({ type: 'typing', room: 'general', user: alice, now: 0 }, { type: 'typing', room: 'general', user: bob, now: 0 });
    expect(Object.keys(viewOf(state, 'general').typing)).toEqual([String(bob.id)]);
    expect(viewOf(chatReducer(state, { type: 'messages', messages: [message(1)] }), 'general').typing).toEqual({});
  });

  it('prunes expired typing indicators and changes nothing when none expired', () => {
    const state = run({ type: 'typing', room: 'general', user: bob, now: 0 });
    expect(chatReducer(state, { type: 'typing:prune', now: 1 })).toBe(state);
    expect(viewOf(chatReducer(state, { type: 'typing:prune', now: 60_000 }), 'general').typing).toEqual({});
  });
});

describe('a message opened from a search', () => {
  const around = (room: string, ids: number[], hasOlder = true, hasNewer = true): ChatAction => ({
    type: 'focus:open',
    room,
    messageId: ids[Math.floor(ids.length / 2)] as number,
    window: { messages: ids.map((id) => message(id, room)), hasOlder, hasNewer },
  });

  it("opens its room with the window around it, and leaves the room's own list as it was", () => {
    const state = run(page('general', [100, 99], true), page('random', [50], true), around('random', [9, 10, 11]));
    expect(state.activeRoom).toBe('random');
    expect(state.focus).toMatchObject({ room: 'random', messageId: 10, hasOlder: true, hasNewer: true });
    expect(state.focus?.messages.map((m) => m.id)).toEqual([9, 10, 11]);
    expect(viewOf(state, 'random').messages.map((m) => m.id)).toEqual([50]);
    // Paging and sync go on from the room's own list.
    expect(olderPageCursor(viewOf(state, 'random'))).toBe(50);
    expect(syncCursor(state)).toEqual({ general: { after: 100, from: 99, through: 100, revision: 0 }, random: { after: 50, from: 50, through: 50, revision: 0 } });
  });

  it('is closed by going back, by opening another room, and by sending in its room', () => {
    const opened = run(page('general', [100], true), around('general', [9, 10, 11]));
    expect(chatReducer(opened, { type: 'focus:close' }).focus).toBeNull();
    expect(chatReducer(opened, { type: 'room:select', name: 'random' }).focus).toBeNull();
    expect(chatReducer(opened, { type: 'room:select', name: 'general' }).focus).not.toBeNull();
    const sent = chatReducer(opened, { type: 'message:pending', message: pendingMessage({ room: 'general', clientId: 'x', body: 'hi', user: alice, now: new Date(0) }) });
    expect(sent.focus).toBeNull();
    // A live message goes to the room's list, not into the window.
    const live = chatReducer(opened, { type: 'messages', messages: [message(101)] });
    expect(live.focus?.messages.map((m) => m.id)).toEqual([9, 10, 11]);
    expect(viewOf(live, 'general').messages.map((m) => m.id)).toEqual([100, 101]);
  });
});

describe('edits and deletes', () => {
  const edited = (id: number, revision: number, body = `#${id} edited`): ChatMessage => ({ ...message(id), body, editedAt: new Date(id * 1000 + 500).toISOString(), revision });
  const deleted = (id: number, revision: number): ChatMessage => ({ ...message(id), body: '', deletedAt: new Date(id * 1000 + 900).toISOString(), revision });

  it('replaces a message the room holds, live, without counting it as unread', () => {
    const next = run(page('general', [2, 1], false), { type: 'room:select', name: 'random' }, { type: 'message:changed', message: edited(1, 1) }, { type: 'message:changed', message: deleted(2, 2) });
    expect(viewOf(next, 'general').messages.map((m) => [m.id, m.body, m.editedAt !== null, m.deletedAt !== null])).toEqual([
      [1, '#1 edited', true, false],
      [2, '', false, true],
    ]);
    expect(next.rooms).toEqual([]);
  });

  it('leaves out a change to a message it does not hold, and any change to a room it has not loaded', () => {
    const state = run(page('general', [5, 4], true));
    expect(chatReducer(state, { type: 'message:changed', message: edited(1, 3) })).toBe(state);
    expect(chatReducer(state, { type: 'message:changed', message: { ...edited(7, 1), room: 'random' } })).toBe(state);
  });

  it('never goes back to an older revision, whether it comes live, in a page or in a sync', () => {
    const state = run(page('general', [1], false), { type: 'message:changed', message: deleted(1, 4) });
    expect(chatReducer(state, { type: 'message:changed', message: edited(1, 3) })).toBe(state);
    // A history page read before the delete, answered after it.
    const stalePage = chatReducer(state, page('general', [1], false));
    expect(viewOf(stalePage, 'general').messages[0]).toMatchObject({ body: '', revision: 4 });
    const staleSync = chatReducer(state, { type: 'messages', messages: [edited(1, 2)] });
    expect(viewOf(staleSync, 'general').messages[0]).toMatchObject({ body: '', revision: 4 });
  });

  it('applies the changes a sync answers along with the new messages', () => {
    const state = run(page('general', [2, 1], false), { type: 'messages', messages: [message(3), edited(1, 1), deleted(2, 2)] });
    expect(viewOf(state, 'general').messages.map((m) => [m.id, m.body, m.revision])).toEqual([
      [1, '#1 edited', 1],
      [2, '', 2],
      [3, '#3', 0],
    ]);
  });

  it('reaches the window opened from a search as well as the room list', () => {
    const next = run(
      page('general', [100, 10], true),
      { type: 'focus:open', room: 'general', messageId: 10, window: { messages: [message(9), message(10), message(11)], hasOlder: true, hasNewer: true } },
      { type: 'message:changed', message: edited(10, 1) },
      { type: 'message:changed', message: deleted(11, 2) },
    );
    expect(next.focus?.messages.map((m) => [m.id, m.body, m.deletedAt !== null])).toEqual([
      [9, '#9', false],
      [10, '#10 edited', false],
      [11, '', true],
    ]);
    expect(viewOf(next, 'general').messages.find((m) => m.id === 10)?.body).toBe('#10 edited');
  });

  it('replaces the search window with its fresh copy after a reconnect, unless the reader moved on', () => {
    const open: ChatAction = { type: 'focus:open', room: 'general', messageId: 10, window: { messages: [message(9), message(10)], hasOlder: true, hasNewer: true } };
    const fresh = { messages: [message(9), edited(10, 3), message(11)], hasOlder: true, hasNewer: false };
    const refreshed = run(open, { type: 'focus:refresh', room: 'general', messageId: 10, window: fresh });
    expect(refreshed.focus?.messages.map((m) => [m.id, m.body])).toEqual([
      [9, '#9'],
      [10, '#10 edited'],
      [11, '#11'],
    ]);
    expect(refreshed.focus?.hasNewer).toBe(false);
    expect(run(open, { type: 'focus:close' }, { type: 'focus:refresh', room: 'general', messageId: 10, window: fresh }).focus).toBeNull();
    const elsewhere = run(open, { ...open, messageId: 9 }, { type: 'focus:refresh', room: 'general', messageId: 10, window: fresh });
    expect(elsewhere.focus?.messages.map((m) => m.id)).toEqual([9, 10]);
  });
});


describe('direct conversations and private rooms', () => {
  const carol: PublicUser = { id: 3, username: 'carol', avatarUrl: '/avatars/default/carol.svg' };
  const dm: RoomSummary = { name: '@0123456789abcdef0123', kind: 'direct', memberCount: 3, joined: true, ownerId: null, members: [alice, bob, carol], lastReadId: 0, unreadCount: 0, mentionCount: 0 };
  const hidden: RoomSummary = { name: 'hidden', kind: 'private', memberCount: 2, joined: true, ownerId: bob.id, lastReadId: 0, unreadCount: 0, mentionCount: 0 };

  it('lists a conversation it was added to, with its members remembered, and titles a DM by the others', () => {
    const state = run({ type: 'room:summary', room: dm });
    expect(state.rooms).toEqual([dm]);
    expect(state.users[carol.id]).toEqual(carol);
    expect(conversationTitle(dm, dm.name, alice.id)).toBe('bob, carol');
    expect(conversationTitle(hidden, hidden.name, alice.id)).toBe('hidden');
  });

  it('drops a private room it was removed from, and a DM it left, with their messages, back in general', () => {
    const state = run(
      { type: 'room:summary', room: dm },
      { type: 'room:summary', room: hidden },
      { type: 'room:joined', joined: { room: hidden, online: [] }, activate: true },
      page('hidden', [7], false),
      { type: 'conversation:removed', name: 'hidden' },
      { type: 'room:left', name: dm.name },
    );
    expect(state.rooms).toEqual([]);
    expect(state.views.hidden).toBeUndefined();
    expect(state.activeRoom).toBe('general');
  });
});

describe('unread and mention counts, the "new" divider and marking read', () => {
  const summary = (name: string, lastReadId: number, unreadCount = 0, mentionCount = 0): RoomSummary => ({ name, kind: 'public', memberCount: 2, joined: true, ownerId: null, lastReadId, unreadCount, mentionCount });
  const rooms: ChatAction = { type: 'rooms', rooms: [summary('general', 10), summary('random', 20, 3, 1)] };
  const live = (...messages: ChatMessage[]): ChatAction => ({ type: 'messages', messages, live: true });
  const mentioning = (id: number, room: string): ChatMessage => ({ ...message(id, room), mentions: ['alice'] });
  const counts = (state: ChatState, room: string) => {
    const found = state.rooms.find((candidate) => candidate.name === room);
    return [found?.lastReadId, found?.unreadCount, found?.mentionCount];
  };

  it('counts live messages of others after the read position in rooms not being read, mentions of the reader apart', () => {
    const state = run(rooms, live(message(21, 'random'), mentioning(22, 'random'), message(23, 'random', alice), message(19, 'random')));
    expect(counts(state, 'random')).toEqual([20, 5, 2]);
    // The same message again (a reconnect's sync, a repeat) is not counted twice; a sync's messages are in the server's counts.
    expect(counts(chatReducer(state, live(message(21, 'random'))), 'random')).toEqual([20, 5, 2]);
    expect(counts(chatReducer(state, { type: 'messages', messages: [message(24, 'random')] }), 'random')).toEqual([20, 5, 2]);
  });

  it('uncounts an unread message deleted live, and its mention', () => {
    const state = run(rooms, live(mentioning(21, 'random'), message(22, 'random')));
    const deleted = (held: ChatMessage): ChatAction => ({ type: 'message:changed', message: { ...held, body: '', mentions: [], deletedAt: new Date(0).toISOString(), revision: 1 } });
    const once = chatReducer(state, deleted(mentioning(21, 'random')));
    expect(counts(once, 'random')).toEqual([20, 4, 1]);
    // Deleted again (a repeat), or one it never counted (read already): nothing changes.
    expect(counts(chatReducer(once, deleted(mentioning(21, 'random'))), 'random')).toEqual([20, 4, 1]);
    expect(counts(chatReducer(once, deleted(message(19, 'random'))), 'random')).toEqual([20, 4, 1]);
  });

  it('does not count in the open room while the tab is visible, but does while it is hidden', () => {
    expect(counts(run(rooms, live(mentioning(11, 'general'))), 'general')).toEqual([10, 0, 0]);
    expect(counts(run(rooms, { type: 'visibility', visible: false }, live(mentioning(11, 'general'))), 'general')).toEqual([10, 1, 1]);
  });

  it('marks the newest message of the room being read, and only while it is read', () => {
    const state = run(rooms, page('general', [12, 11], false));
    expect(readable(state)).toEqual({ room: 'general', messageId: 12 });
    expect(readable(chatReducer(state, { type: 'visibility', visible: false }))).toBeNull();
    expect(readable(chatReducer(state, { type: 'room:read', state: { name: 'general', lastReadId: 12, unreadCount: 0, mentionCount: 0 } }))).toBeNull();
  });

  it('takes read positions from the server only forward, whichever device moved them', () => {
    const state = run(rooms, { type: 'room:read', state: { name: 'random', lastReadId: 25, unreadCount: 1, mentionCount: 0 } });
    expect(counts(state, 'random')).toEqual([25, 1, 0]);
    expect(chatReducer(state, { type: 'room:read', state: { name: 'random', lastReadId: 21, unreadCount: 4, mentionCount: 1 } })).toBe(state);
  });

  it('puts the "new" divider at the read position of a room opened with unread messages, and when the tab comes back', () => {
    const opened = run(rooms, { type: 'room:select', name: 'random' });
    expect(viewOf(opened, 'random').newAfter).toBe(20);
    expect(viewOf(opened, 'general').newAfter).toBeNull();
    const back = run(rooms, { type: 'visibility', visible: false }, live(message(11, 'general')), { type: 'visibility', visible: true });
    expect(viewOf(back, 'general').newAfter).toBe(10);
  });
});
