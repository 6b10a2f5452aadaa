import type { PublicUser } from '../../shared/protocol';
import { Avatar } from './Avatar';

/** Who is online in the open room (the server counts several tabs of one user once). */
export function OnlineList({ room, online, users }: { room: string; online: PublicUser[]; users: Readonly<Record<number, PublicUser>> }) {
  const sorted = [...online].sort((a, b) => a.username.localeCompare(b.username));
  return (
    <section className="panel online" aria-label={`Online in ${room}`}>
      <h3 className="panel__title">Online in #{room}</h3>
      {sorted.length === 0 ? (
        <p className="panel__empty">Nobody online</p>
      ) : (
        <ul className="online__list">
          {sorted.map((user) => (
            <li key={user.id} className="online__user">
              <Avatar user={users[user.id] ?? user} size="small" />
              <span className="online__name">{user.username}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
