/**
 * Enter sends, Shift+Enter starts a new line; the text stays if it cannot be sent as is.
 * Each room keeps its own draft: what was typed for one room is never sent to the next one opened.
 * Typing `@` and the start of a name suggests the room's members: arrows choose, Enter or Tab (or a click) takes
 * one, Escape closes the list.
 */
import { useLayoutEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { LIMITS, type PublicUser } from '../../shared/protocol';
import { completeMention, mentionQuery, suggestions, type MentionQuery } from '../state/mentions';
import { Avatar } from './Avatar';

const MAX_ROWS = 6;
/** Show the character count only when it starts to matter. */
const COUNTER_FROM = LIMITS.messageMaxLength - 500;

interface ComposerProps {
  room: string;
  /** The conversation as the header names it, with its mark (#general, @bob). */
  title: string;
  selfId: number;
  onSend: (body: string) => void;
  onTyping: () => void;
  /** The room's members, for `@name` completion. */
  members: (room: string) => Promise<PublicUser[]>;
}

export function Composer({ room, title, selfId, onSend, onTyping, members }: ComposerProps) {
  const [drafts, setDrafts] = useState<Readonly<Record<string, string>>>({});
  const text = drafts[room] ?? '';
  const setText = (value: string) => setDrafts((current) => ({ ...current, [room]: value }));
  const input = useRef<HTMLTextAreaElement>(null);
  /** Where the caret goes once a completed mention is in the text. */
  const pendingCaret = useRef<number | null>(null);
  const length = text.trim().length;
  const tooLong = length > LIMITS.messageMaxLength;
  const rows = Math.min(text.split('\n').length, MAX_ROWS);
  const [query, setQuery] = useState<MentionQuery | null>(null);
  const [known, setKnown] = useState<{ room: string; members: PublicUser[] }>({ room, members: [] });
  const [selected, setSelected] = useState(0);
  const options = query && known.room === room ? suggestions(known.members, query.prefix, selfId) : [];
  const listId = `mentions-${room}`;

  /** Follows the caret: an `@name` being typed opens the suggestions (the member list is asked for once a room). */
  function track(value: string, caret: number) {
    const next = mentionQuery(value, caret);
    setQuery(next);
    setSelected(0);
    if (next) {
      members(room)
        .then((list) => setKnown({ room, members: list }))
        .catch(() => setKnown({ room, members: [] }));
    }
  }

  function choose(member: PublicUser) {
    const field = input.current;
    if (!query || !field) return;
    const completed = completeMention(text, query, field.selectionStart, member.username);
    pendingCaret.current = completed.caret;
    setText(completed.text);
    setQuery(null);
    field.focus();
  }

  // The caret goes after a completed mention as soon as React has put the new text in, before the next key is
  // handled: placed later (a frame later, say), it jumped back over what was typed meanwhile.
  useLayoutEffect(() => {
    const caret = pendingCaret.current;
    if (caret === null) return;
    pendingCaret.current = null;
    input.current?.setSelectionRange(caret, caret);
  }, [text]);

  function submit() {
    if (length === 0 || tooLong) return;
    onSend(text.trim());
    setText('');
    // After a click on Send too: the next message is typed right away, without reaching for the mouse.
    input.current?.focus();
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (options.length > 0 && !event.nativeEvent.isComposing) {
      const step = { ArrowDown: 1, ArrowUp: -1 }[event.key as 'ArrowDown' | 'ArrowUp'];
      if (step !== undefined) {
        event.preventDefault();
        setSelected((selected + step + options.length) % options.length);
        return;
      }
      if ((event.key === 'Enter' && !event.shiftKey) || event.key === 'Tab') {
        event.preventDefault();
        choose(options[selected] ?? (options[0] as PublicUser));
        return;
      }
      if (event.key === 'Escape') {
        event.preventDefault();
        setQuery(null);
        return;
      }
    }
    // isComposing: Enter that confirms an IME candidate (Japanese, Chinese…) is not "send".
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  }

  return (
    <form
      className="composer"
      onSubmit={(event: FormEvent<HTMLFormElement>) => {
        event.preventDefault();
        submit();
      }}
    >
      <textarea
        ref={input}
        className="composer__input"
        aria-label={`Message ${title}`}
        placeholder={`Message ${title}`}
        rows={rows}
        value={text}
        aria-autocomplete="list"
        aria-controls={options.length > 0 ? listId : undefined}
        aria-expanded={options.length > 0}
        aria-activedescendant={options.length > 0 ? `${listId}-${selected}` : undefined}
        onChange={(event) => {
          setText(event.target.value);
          track(event.target.value, event.target.selectionStart);
          if (event.target.value.trim()) onTyping();
        }}
        onKeyDown={onKeyDown}
        onBlur={() => setQuery(null)}
      />
      {options.length > 0 && (
        <ul className="composer__suggestions" id={listId} role="listbox" aria-label="Mention a member">
          {options.map((member, index) => (
            <li
              key={member.id}
              id={`${listId}-${index}`}
              role="option"
              aria-selected={index === selected}
              className="composer__suggestion"
              // Keeps the focus (and the caret) in the text field.
              onMouseDown={(event) => event.preventDefault()}
              onClick={() => choose(member)}
            >
              <Avatar user={member} size="small" />
              {member.username}
            </li>
          ))}
        </ul>
      )}
      {length >= COUNTER_FROM && (
        <span className={tooLong ? 'composer__count composer__count--over' : 'composer__count'} aria-live="polite">
          {length}/{LIMITS.messageMaxLength}
        </span>
      )}
      <button type="submit" className="button button--primary composer__send" disabled={length === 0 || tooLong}>
        Send
      </button>
    </form>
  );
}
