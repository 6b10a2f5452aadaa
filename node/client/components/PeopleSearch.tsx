/** Finds people by the start of their name (the people picker): type, then pick one of the answers. */
import { useEffect, useState } from 'react';
import type { PublicUser } from '../../shared/protocol';
import { Avatar } from './Avatar';
import { FormError } from './FormError';

interface PeopleSearchProps {
  label: string;
  findUsers: (prefix: string) => Promise<PublicUser[]>;
  onPick: (user: PublicUser) => void;
  /** People not to offer (already picked, already members). */
  exclude: ReadonlySet<number>;
}

const PREFIX_PATTERN = /^[a-z0-9_-]{1,32}$/;

export function PeopleSearch({ label, findUsers, onPick, exclude }: PeopleSearchProps) {
  const [prefix, setPrefix] = useState('');
  /** The last answer and the prefix it answers: only the answer to what the field says now is shown. */
  const [found, setFound] = useState<{ prefix: string; users: PublicUser[] }>({ prefix: '', users: [] });
  const [error, setError] = useState<string | null>(null);
  const wanted = prefix.trim().toLowerCase();

  useEffect(() => {
    if (!PREFIX_PATTERN.test(wanted)) return;
    // An older answer may arrive after a newer one.
    let current = true;
    findUsers(wanted).then(
      (users) => {
        if (!current) return;
        setFound({ prefix: wanted, users });
        setError(null);
      },
      (failure: unknown) => {
        if (current) setError(failure instanceof Error ? failure.message : String(failure));
      },
    );
    return () => {
      current = false;
    };
  }, [wanted, findUsers]);

  const offered = found.prefix === wanted ? found.users.filter((user) => !exclude.has(user.id)) : [];
  return (
    <div className="people">
      <input
        className="people__input"
        aria-label={label}
        placeholder="Name starts with…"
        maxLength={32}
        autoCapitalize="none"
        spellCheck={false}
        value={prefix}
        onChange={(event) => setPrefix(event.target.value)}
      />
      {offered.length > 0 && (
        <ul className="people__list" aria-label="People found">
          {offered.map((user) => (
            <li key={user.id}>
              <button type="button" className="people__pick" onClick={() => onPick(user)}>
                <Avatar user={user} size="small" />
                <span>{user.username}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <FormError error={error} />
    </div>
  );
}
