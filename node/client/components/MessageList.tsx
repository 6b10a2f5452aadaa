/**
 * The open room's messages. Scrolling near the top loads the previous page and keeps the view
 * where it was; new messages scroll into view only when the reader is already at the bottom. A reader
 * further up gets a "New messages" button instead, which takes them down. Own messages can be edited in place;
 * own messages, and every message in a room the user owns, can be deleted. A message opened from a search is
 * shown with its neighbours instead, centred and marked, until the reader goes back to the latest messages. A "new"
 * divider marks where the reader had read to when they came to the room.
 */
import { Fragment, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { PublicUser } from '../../shared/protocol';
import type { Focus, RoomView } from '../state/chat';
import type { ListedMessage } from '../state/messages';
import { messageTimeFormats, messageTimeLabel } from '../lib/time';
import { Avatar } from './Avatar';
import { MessageText } from './MessageText';
import { MessageActions, MessageEditor } from './MessageChanges';

/** Start fetching older messages this close to the top, before the reader hits it. */
const LOAD_MARGIN_PX = 120;
const STICK_TO_BOTTOM_PX = 40;
/** Messages by one author closer together than this share one avatar and name. */
const GROUP_WITHIN_MS = 5 * 60 * 1000;

interface MessageListProps {
  room: string;
  /** The conversation as the header names it, with its mark (#general, @bob). */
  title: string;
  view: RoomView;
  users: Readonly<Record<number, PublicUser>>;
  selfId: number;
  /** Mentions of this name are highlighted more strongly. */
  selfName: string;
  /** The user owns the room: they may delete anyone's message in it. */
  ownsRoom: boolean;
  onLoadOlder: () => void;
  onEdit: (message: ListedMessage, body: string) => Promise<void>;
  onDelete: (message: ListedMessage) => Promise<void>;
  onRetry: (message: ListedMessage) => void;
  onDiscard: (message: ListedMessage) => void;
  /** The opened search result, when it is in this room. */
  focus: Focus | null;
  onCloseFocus: () => void;
  /** A click on someone else's name opens a direct conversation with them. */
  onStartDirect: (userId: number) => void;
}

interface ScrollSnapshot {
  /** The room, and the opened message if any: a change starts the view afresh. */
  shown: string | null;
  firstKey: string | undefined;
  lastKey: string | undefined;
  scrollHeight: number;
  scrollTop: number;
  atBottom: boolean;
}

function continues(previous: ListedMessage | undefined, message: ListedMessage): boolean {
  if (!previous || previous.user.id !== message.user.id) return false;
  return Date.parse(message.createdAt) - Date.parse(previous.createdAt) < GROUP_WITHIN_MS;
}

const timeFormats = messageTimeFormats();

export function MessageList({ room, title, view, users, selfId, selfName, ownsRoom, onLoadOlder, onEdit, onDelete, onRetry, onDiscard, focus, onCloseFocus, onStartDirect }: MessageListProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const snapshot = useRef<ScrollSnapshot>({ shown: null, firstKey: undefined, lastKey: undefined, scrollHeight: 0, scrollTop: 0, atBottom: true });
  const { history } = view;
  const messages = focus ? focus.messages : view.messages;
  const shown = focus ? `${room}@${focus.messageId}` : room;
  const focusedId = focus?.messageId;
  // The "new" divider goes above the first message of someone else after the read position the reader came with.
  const newAfter = focus ? null : view.newAfter;
  const firstNewKey = newAfter === null ? undefined : messages.find((message) => message.id !== null && message.id > newAfter && message.user.id !== selfId)?.key;
  // Paging back belongs to the room's own list, not to the window around an opened message.
  const loadOlder = focus ? undefined : onLoadOlder;
  const now = new Date();
  /** Messages arrived below while the reader was further up in the history. */
  const [unseenBelow, setUnseenBelow] = useState(false);
  /** The message being edited in place (its key), if any. */
  const [editing, setEditing] = useState<string | null>(null);

  /** Back to where the keyboard was: the message's Edit button. */
  function stopEditing(key: string) {
    setEditing(null);
    requestAnimationFrame(() => scroller.current?.querySelector<HTMLElement>(`[data-edit-key="${CSS.escape(key)}"]`)?.focus());
  }

  async function deleteMessage(message: ListedMessage) {
    await onDelete(message);
    // Its buttons are gone with its text: the focus stays in the list rather than falling to the page.
    scroller.current?.focus();
  }

  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const before = snapshot.current;
    const firstKey = messages[0]?.key;
    const lastKey = messages.at(-1)?.key;
    if (before.shown !== shown) {
      const focused = focusedId === undefined ? null : element.querySelector(`[data-id="${focusedId}"]`);
      if (focused) focused.scrollIntoView({ block: 'center' });
      else element.scrollTop = element.scrollHeight;
      setUnseenBelow(false);
    } else if (firstKey !== before.firstKey && before.firstKey !== undefined && messages.some((message) => message.key === before.firstKey)) {
      // An older page went in above: keep the same messages under the reader's eyes.
      element.scrollTop = before.scrollTop + (element.scrollHeight - before.scrollHeight);
    } else if (before.atBottom || (lastKey !== before.lastKey && messages.at(-1)?.user.id === selfId)) {
      // A reader at the bottom stays there whatever arrived (also a missed message synced in above a pending one).
      element.scrollTop = element.scrollHeight;
    } else if (lastKey !== before.lastKey && messages.some((message) => message.key === before.lastKey)) {
      // Something came after what was the newest (not a discarded message going away).
      setUnseenBelow(true);
    }
    snapshot.current = {
      shown,
      firstKey,
      lastKey,
      scrollHeight: element.scrollHeight,
      scrollTop: element.scrollTop,
      atBottom: element.scrollHeight - element.scrollTop - element.clientHeight <= STICK_TO_BOTTOM_PX,
    };
    // A first page that does not fill the screen leaves nothing to scroll: fetch the next one now.
    if (loadOlder && history.loaded && history.hasMore && !history.loading && element.scrollHeight <= element.clientHeight + LOAD_MARGIN_PX) loadOlder();
  }, [messages, shown, focusedId, selfId, history, loadOlder]);

  // The list's box changes size too (the Reconnecting… bar, a phone's keyboard): keep a reader at the bottom there.
  useEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const observer = new ResizeObserver(() => {
      if (snapshot.current.atBottom) element.scrollTop = element.scrollHeight;
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  function onScroll() {
    const element = scroller.current;
    if (!element) return;
    snapshot.current = {
      ...snapshot.current,
      scrollTop: element.scrollTop,
      scrollHeight: element.scrollHeight,
      atBottom: element.scrollHeight - element.scrollTop - element.clientHeight <= STICK_TO_BOTTOM_PX,
    };
    if (snapshot.current.atBottom) setUnseenBelow(false);
    if (element.scrollTop < LOAD_MARGIN_PX) loadOlder?.();
  }

  function jumpToLatest() {
    const element = scroller.current;
    if (element) element.scrollTop = element.scrollHeight;
    setUnseenBelow(false);
  }

  return (
    <div className="messages" ref={scroller} onScroll={onScroll} role="log" aria-label={`Messages in ${title}`} tabIndex={-1}>
      <div className="messages__top">
        {focus && !focus.hasOlder && <span>This is the beginning of {title}.</span>}
        {!focus && history.loading && <span>Loading older messages…</span>}
        {!focus && history.error && (
          <span role="alert">
            Could not load messages: {history.error}{' '}
            <button type="button" className="link-button" onClick={onLoadOlder}>
              Try again
            </button>
          </span>
        )}
        {!focus && history.loaded && !history.hasMore && (
          <span>{messages.length === 0 ? `No messages in ${title} yet: write the first one below.` : `This is the beginning of ${title}.`}</span>
        )}
      </div>
      <ol className="messages__list">
        {messages.map((message, index) => {
          const author = users[message.user.id] ?? message.user;
          const grouped = continues(messages[index - 1], message) && message.status === 'sent';
          const created = new Date(message.createdAt);
          const own = message.user.id === selfId;
          const changeable = message.status === 'sent' && message.deletedAt === null && editing !== message.key;
          return (
            <Fragment key={message.key}>
              {message.key === firstNewKey && (
                <li className="messages__divider" role="separator" aria-label="New messages">
                  <span>new</span>
                </li>
              )}
              <li
                className={[
                  'message',
                  grouped && 'message--continued',
                  message.user.id === selfId && 'message--own',
                  message.status !== 'sent' && `message--${message.status}`,
                  message.id === focusedId && 'message--focused',
                  message.deletedAt !== null && 'message--deleted',
                ]
                  .filter(Boolean)
                  .join(' ')}
                data-author={author.username}
                data-id={message.id ?? undefined}
              >
                <div className="message__gutter">{grouped ? null : <Avatar user={author} />}</div>
                <div className="message__main">
                  {!grouped && (
                    <div className="message__meta">
                      {message.user.id === selfId ? (
                        <>
                          <span className="message__author">{author.username}</span>
                          <span className="message__you">(you)</span>
                        </>
                      ) : (
                        <button type="button" className="message__author person" title={`Message ${author.username}`} onClick={() => onStartDirect(author.id)}>
                          {author.username}
                        </button>
                      )}
                      <time className="message__time" dateTime={message.createdAt} title={timeFormats.full.format(created)}>
                        {messageTimeLabel(created, now, timeFormats)}
                      </time>
                    </div>
                  )}
                  {message.deletedAt !== null ? (
                    <p className="message__body message__body--deleted">message deleted</p>
                  ) : editing === message.key ? (
                    <MessageEditor initial={message.body} onSave={(body) => onEdit(message, body)} onClose={() => stopEditing(message.key)} />
                  ) : (
                    <div className="message__body">
                      <MessageText body={message.body} mentions={message.mentions} selfName={selfName} />
                    </div>
                  )}
                  {message.editedAt !== null && message.deletedAt === null && editing !== message.key && (
                    <span className="message__edited" title={`Edited ${timeFormats.full.format(new Date(message.editedAt))}`}>
                      (edited)
                    </span>
                  )}
                  {changeable && (own || ownsRoom) && (
                    <MessageActions
                      author={own ? 'you' : author.username}
                      editKey={message.key}
                      onEdit={own ? () => setEditing(message.key) : undefined}
                      onDelete={() => deleteMessage(message)}
                    />
                  )}
                  {message.status === 'pending' && <span className="message__status">Sending…</span>}
                  {message.status === 'failed' && (
                    <span className="message__status message__status--failed" role="alert">
                      Not sent: {message.error}{' '}
                      <button type="button" className="link-button" onClick={() => onRetry(message)}>
                        Retry
                      </button>{' '}
                      <button type="button" className="link-button" onClick={() => onDiscard(message)}>
                        Discard
                      </button>
                    </span>
                  )}
                </div>
              </li>
            </Fragment>
          );
        })}
      </ol>
      {focus && (
        <div className="messages__jump">
          <button type="button" className="button button--small button--primary" onClick={onCloseFocus}>
            Back to the latest messages ↓
          </button>
        </div>
      )}
      {!focus && unseenBelow && (
        <div className="messages__jump">
          <button type="button" className="button button--small button--primary" onClick={jumpToLatest}>
            New messages ↓
          </button>
        </div>
      )}
    </div>
  );
}
