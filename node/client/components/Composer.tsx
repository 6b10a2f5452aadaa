/**
 * Enter sends, Shift+Enter starts a new line; the text stays if it cannot be sent as is.
 * Each room keeps its own draft: what was typed for one room is never sent to the next one opened.
 */
import { useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { LIMITS } from '../../shared/protocol';

const MAX_ROWS = 6;
/** Show the character count only when it starts to matter. */
const COUNTER_FROM = LIMITS.messageMaxLength - 500;

/** `title` names the conversation as the header shows it, with its mark (#general, @bob). */
export function Composer({ room, title, onSend, onTyping }: { room: string; title: string; onSend: (body: string) => void; onTyping: () => void }) {
  const [drafts, setDrafts] = useState<Readonly<Record<string, string>>>({});
  const text = drafts[room] ?? '';
  const setText = (value: string) => setDrafts((current) => ({ ...current, [room]: value }));
  const input = useRef<HTMLTextAreaElement>(null);
  const length = text.trim().length;
  const tooLong = length > LIMITS.messageMaxLength;
  const rows = Math.min(text.split('\n').length, MAX_ROWS);

  function submit() {
    if (length === 0 || tooLong) return;
    onSend(text.trim());
    setText('');
    // After a click on Send too: the next message is typed right away, without reaching for the mouse.
    input.current?.focus();
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
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
        onChange={(event) => {
          setText(event.target.value);
          if (event.target.value.trim()) onTyping();
        }}
        onKeyDown={onKeyDown}
      />
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
