import type { PublicUser } from '../../shared/protocol';
import { Avatar } from './Avatar';

interface OnlineListProps {
  /** The open conversation's title, as the header shows it. */
  title: string;
  online: PublicUser[];
  users: Readonly<Record<number, PublicUser>>;
  selfId: number;
  /** A click on someone else's name opens a direct conversation with them. */
  onStartDirect: (userId: number) => void;
}

/** Who is online in the open room (the server counts several tabs of one user once). */
export function OnlineList({ title, online, users, selfId, onStartDirect }: OnlineListProps) {
  const sorted = [...online].sort((a, b) => a.username.localeCompare(b.username));
  return (
    <section className="panel online" aria-label={`Online in ${title}`}>
      <h3 className="panel__title">Online in {title}</h3>
      {sorted.length === 0 ? (
        <p className="panel__empty">Nobody online</p>
      ) : (
        <ul className="online__list">
          {sorted.map((user) => (
            <li key={user.id} className="online__user">
              <Avatar user={users[user.id] ?? user} size="small" />
              {user.id === selfId ? (
                <span className="online__name">{user.username}</span>
              ) : (
                <button type="button" className="online__name person" title={`Message ${user.username}`} onClick={() => onStartDirect(user.id)}>
                  {user.username}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
