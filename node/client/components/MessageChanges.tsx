/**
 * Editing and deleting a message in the list: the inline editor (Enter saves, Shift+Enter starts a new line,
 * Escape cancels) and the Edit / Delete buttons, where Delete asks to be confirmed. Both work from the keyboard.
 */
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { LIMITS } from '../../shared/protocol';
import { FormError } from './FormError';

function describe(error: unknown): string {
  return error instanceof Error && error.message ? error.message : 'Something went wrong';
}

export function MessageEditor({ initial, onSave, onClose }: { initial: string; onSave: (body: string) => Promise<void>; onClose: () => void }) {
  const [text, setText] = useState(initial);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const length = text.trim().length;

  useEffect(() => {
    const element = input.current;
    if (!element) return;
    element.focus();
    // The caret at the end, where a correction usually goes.
    element.setSelectionRange(element.value.length, element.value.length);
  }, []);

  async function save() {
    if (saving) return;
    // Nothing changed: nothing to store, nothing to announce.
    if (text.trim() === initial) {
      onClose();
      return;
    }
    setSaving(true);
    setError(null);
    try {
      await onSave(text);
      onClose();
    } catch (failure) {
      setError(describe(failure));
      setSaving(false);
    }
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Escape') {
      event.preventDefault();
      // The phone drawer closes on Escape too: this Escape belongs to the editor.
      event.stopPropagation();
      onClose();
    } else if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void save();
    }
  }

  return (
    <div className="message-editor">
      <textarea
        ref={input}
        className="message-editor__input"
        aria-label="Edit message"
        aria-describedby="message-editor-hint"
        rows={Math.min(text.split('\n').length, 6)}
        value={text}
        disabled={saving}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={onKeyDown}
      />
      <div className="message-editor__bar">
        <span id="message-editor-hint" className="message-editor__hint">
          Enter to save, Escape to cancel
        </span>
        {length > LIMITS.messageMaxLength && (
          <span className="composer__count composer__count--over">
            {length}/{LIMITS.messageMaxLength}
          </span>
        )}
        <button type="button" className="button button--small" onClick={onClose} disabled={saving}>
          Cancel
        </button>
        <button type="button" className="button button--small button--primary" onClick={() => void save()} disabled={saving || length === 0}>
          Save
        </button>
      </div>
      <FormError error={error} />
    </div>
  );
}

interface MessageActionsProps {
  /** Whose message it is, for the buttons' accessible names. */
  author: string;
  /** Set when the user may edit it (their own message). */
  editKey?: string;
  onEdit?: () => void;
  onDelete: () => Promise<void>;
}

/** Edit (own messages) and Delete (own messages, or any in a room the user owns), shown on hover and on focus. */
export function MessageActions({ author, editKey, onEdit, onDelete }: MessageActionsProps) {
  const [confirming, setConfirming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const keep = useRef<HTMLButtonElement>(null);
  const deleteButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (confirming) keep.current?.focus();
  }, [confirming]);

  function cancel() {
    setConfirming(false);
    deleteButton.current?.focus();
  }

  async function confirm() {
    setDeleting(true);
    setError(null);
    try {
      await onDelete();
    } catch (failure) {
      setError(describe(failure));
      setDeleting(false);
      setConfirming(false);
    }
  }

  if (confirming) {
    return (
      <div
        className="message-actions message-actions--confirm"
        role="group"
        aria-label="Confirm delete"
        onKeyDown={(event) => {
          if (event.key !== 'Escape') return;
          event.stopPropagation();
          cancel();
        }}
      >
        <span>Delete this message?</span>
        <button type="button" className="button button--small button--danger" onClick={() => void confirm()} disabled={deleting}>
          Delete
        </button>
        <button ref={keep} type="button" className="button button--small" onClick={cancel} disabled={deleting}>
          Keep
        </button>
      </div>
    );
  }
  return (
    <div className={error ? 'message-actions message-actions--error' : 'message-actions'}>
      {onEdit && (
        <button type="button" className="button button--small" aria-label="Edit message" data-edit-key={editKey} onClick={onEdit}>
          Edit
        </button>
      )}
      <button ref={deleteButton} type="button" className="button button--small" aria-label={`Delete message by ${author}`} onClick={() => setConfirming(true)}>
        Delete
      </button>
      <FormError error={error} inline />
    </div>
  );
}
