import { nextSyncCursors, syncUntilCaughtUp, type HeldCursor } from '../../../node/client/lib/sync';
import type { ChatMessage, PublicUser } from '../../../node/shared/protocol';

const bob: PublicUser = { id: 2, username: 'bob', avatarUrl: '/avatars/default/bob.svg' };

function message(id: number, revision = 0, room = 'general'): ChatMessage {
  return { id, room, clientId: `c-${id}`, body: `#${id}`, createdAt: new Date(id * 1000).toISOString(), user: bob, editedAt: null, deletedAt: null, revision, seq: id, mentions: [] };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);

describe('sync paging', () => {
  const held = { general: { after: 10, from: 1, through: 10, revision: 4 } };

  it('is done when no room filled a page of new messages or of changes', () => {
    expect(nextSyncCursors(held, [message(11), message(12), message(3, 5)], 3)).toEqual({});
    expect(nextSyncCursors(held, [], 3)).toEqual({});
  });

  it('asks again after the last new message when the new messages filled a page, with the highest revision seen', () => {
    const answer = [message(11), message(12, 9), message(13), message(3, 5)];
    expect(nextSyncCursors(held, answer, 3)).toEqual({ general: { after: 13, from: 1, through: 13, revision: 9 } });
  });

  it('asks again after the last change when the changes filled a page, skipping no change to what is held', () => {
    // A new message edited later (revision 20) must not move the cursor past changes 6..19 not yet answered.
    const answer = [message(11, 20), message(2, 5), message(7, 6), message(3, 7)];
    expect(nextSyncCursors(held, answer, 3)).toEqual({ general: { after: 10, from: 1, through: 10, revision: 7 } });
  });

  it('pages each room on its own, and only the rooms that need it', () => {
    const cursors = { general: { after: 0, from: 0, through: 0, revision: 0 }, random: { after: 5, from: 1, through: 5, revision: 0 } };
    const answer = [...range(1, 3).map((id) => message(id)), message(6, 0, 'random')];
    expect(nextSyncCursors(cursors, answer, 3)).toEqual({ general: { after: 3, from: 0, through: 3, revision: 0 } });
  });

  it('counts what comes after the run held without a gap as new, also below the newest id held', () => {
    // Holds 1 to 8 and 10: 9 is missing, so 9, 10 and 11 are the new ones, a full page.
    const gap = { general: { after: 10, from: 1, through: 8, revision: 4 } };
    expect(nextSyncCursors(gap, [message(9), message(10), message(11)], 3)).toEqual({ general: { after: 11, from: 1, through: 11, revision: 4 } });
    expect(nextSyncCursors(gap, [message(9), message(10)], 3)).toEqual({});
  });
});

describe('sync until caught up', () => {
  it('asks until no answer fills a page and tells, per room, up to where every message is held', async () => {
    const stored = range(1, 7).map((id) => message(id));
    const asked: number[] = [];
    const sync = (cursors: Record<string, HeldCursor>) => {
      const through = cursors.general?.through ?? 0;
      asked.push(through);
      return Promise.resolve(stored.filter((stored) => stored.seq > through).slice(0, 3));
    };
    const { messages, completeThrough } = await syncUntilCaughtUp(sync, { general: { after: 2, from: 1, through: 1, revision: 0 } }, 3);
    expect(asked).toEqual([1, 4, 7]);
    expect(messages.map((message) => message.id)).toEqual(range(2, 7));
    expect(completeThrough).toEqual({ general: 7 });
  });
});
