/** `@name` completion in the composer, and mention highlighting in rendered messages. */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { MessageText } from '../../../node/client/components/MessageText';
import { plainText } from '../../../node/client/lib/markdown';
import { notificationText, notifies } from '../../../node/client/lib/notifications';
import { completeMention, mentionQuery, suggestions } from '../../../node/client/state/mentions';
import type { ChatMessage, PublicUser } from '../../../node/shared/protocol';

const user = (id: number, username: string): PublicUser => ({ id, username, avatarUrl: `/avatars/default/${username}.svg` });
const [ann, bob, bobby, cat] = [user(1, 'ann'), user(2, 'bob'), user(3, 'bobby'), user(4, 'cat')] as [PublicUser, PublicUser, PublicUser, PublicUser];

describe('@name completion', () => {
  it('finds the @prefix before the caret, not glued to a word', () => {
    expect(mentionQuery('hi @Bo', 6)).toEqual({ at: 3, prefix: 'bo' });
    expect(mentionQuery('@', 1)).toEqual({ at: 0, prefix: '' });
    expect(mentionQuery('hi @bo there', 12)).toBeNull();
    expect(mentionQuery('mail ann@bo', 11)).toBeNull();
  });

  it('suggests members by prefix, by name, never the writer', () => {
    expect(suggestions([cat, bobby, ann, bob], 'bo', ann.id)).toEqual([bob, bobby]);
    expect(suggestions([cat, bobby, ann, bob], '', ann.id)).toEqual([bob, bobby, cat]);
  });

  it('replaces the prefix with the name and a space, and puts the caret after it', () => {
    expect(completeMention('hi @bo and more', { at: 3, prefix: 'bo' }, 6, 'bobby')).toEqual({ text: 'hi @bobby and more', caret: 10 });
    expect(completeMention('@', { at: 0, prefix: '' }, 1, 'cat')).toEqual({ text: '@cat ', caret: 5 });
  });
});

describe('mention highlighting', () => {
  const render = (body: string, mentions: string[], selfName = 'ann') => renderToStaticMarkup(createElement(MessageText, { body, mentions, selfName }));

  it('highlights the names the message mentions, the reader more strongly, any case as typed', () => {
    expect(render('hi @Bob and @ann!', ['ann', 'bob'])).toBe('<p>hi <span class="mention">@Bob</span> and <span class="mention mention--self">@ann</span>!</p>');
  });

  it('leaves plain an @name the server did not resolve, and any @name in code', () => {
    expect(render('@carol is not here', ['bob'])).toBe('<p>@carol is not here</p>');
    expect(render('`@bob` and\n```\n@bob\n```', ['bob'])).toBe('<p><code>@bob</code> and</p><pre><code>@bob</code></pre>');
    expect(render('**@bob** ok', ['bob'])).toBe('<p><strong><span class="mention">@bob</span></strong> ok</p>');
  });
});

describe('notifications', () => {
  const message = (body: string, mentions: string[], from = bob): ChatMessage => {
    return { id: 7, room: 'general', clientId: 'c', body, createdAt: new Date(0).toISOString(), user: from, editedAt: null, deletedAt: null, revision: 0, seq: 7, mentions };
  };

  it('notifies a reader the message mentions, and nobody for their own message', () => {
    const room = { kind: 'public' } as const;
    expect(notifies(message('hi @ann', ['ann']), ann, room)).toBe(true);
    expect(notifies(message('hi @cat', ['cat']), ann, room)).toBe(false);
    expect(notifies(message('hi @ann', ['ann'], ann), ann, room)).toBe(false);
  });

  it('notifies every direct message to the reader, mention or not, but not their own', () => {
    const direct = { kind: 'direct' } as const;
    expect(notifies(message('are you there?', []), ann, direct)).toBe(true);
    expect(notifies(message('are you there?', [], ann), ann, direct)).toBe(false);
    expect(notifies(message('are you there?', []), ann, { kind: 'private' })).toBe(false);
    expect(notificationText({ ...message('are you there?', []), room: '@0123456789abcdef0123' }, direct).title).toBe('bob');
  });

  it('titles with sender and room, and shows the text without its Markdown', () => {
    expect(notificationText(message('**hi** @ann, see `code`\n- one', ['ann']), { kind: 'public' })).toEqual({ title: 'bob in #general', body: 'hi @ann, see code one' });
    expect(notificationText(message('x'.repeat(300), []), { kind: 'public' }).body).toHaveLength(140);
    expect(plainText('> quoted\n\ntwo')).toBe('quoted two');
  });
});
