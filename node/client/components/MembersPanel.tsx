/** A private room's members; its owner invites people (the people picker) and removes members here. */
import { useEffect, useState } from 'react';
import type { PublicUser, RoomSummary } from '../../shared/protocol';
import { useAttempt } from '../hooks/useAttempt';
import { Avatar } from './Avatar';
import { PeopleSearch } from './PeopleSearch';
import { FormError } from './FormError';

interface MembersPanelProps {
  room: RoomSummary;
  selfId: number;
  members: (name: string) => Promise<PublicUser[]>;
  findUsers: (prefix: string) => Promise<PublicUser[]>;
  onInvite: (name: string, userId: number) => Promise<void>;
  onRemove: (name: string, userId: number) => Promise<void>;
}

export function MembersPanel({ room, selfId, members, findUsers, onInvite, onRemove }: MembersPanelProps) {
  const [list, setList] = useState<PublicUser[]>([]);
  const { error, attempt } = useAttempt();
  const owns = room.ownerId === selfId;

  // Read again whenever the count changes (an invitation or removal, here or by the server's room:updated).
  useEffect(() => {
    let current = true;
    void attempt(async () => {
      const found = await members(room.name);
      if (current) setList(found);
    });
    return () => {
      current = false;
    };
  }, [room.name, room.memberCount, members, attempt]);

  return (
    <section className="panel members" aria-label={`Members of ${room.name}`}>
      <h3 className="panel__title">Members of 🔒{room.name}</h3>
      <ul className="online__list">
        {list.map((user) => (
          <li key={user.id} className="members__user">
            <Avatar user={user} size="small" />
            <span className="online__name">
              {user.username}
              {user.id === room.ownerId && <span className="members__owner"> (owner)</span>}
            </span>
            {owns && user.id !== selfId && (
              <button type="button" className="rooms__leave" aria-label={`Remove ${user.username}`} onClick={() => void attempt(() => onRemove(room.name, user.id))}>
                ×
              </button>
            )}
          </li>
        ))}
      </ul>
      {owns && (
        <>
          <h4 className="panel__subtitle">Invite</h4>
          <PeopleSearch
            label={`Invite to ${room.name}`}
            findUsers={findUsers}
            exclude={new Set(list.map((user) => user.id))}
            onPick={(user) => void attempt(() => onInvite(room.name, user.id))}
          />
        </>
      )}
      <FormError error={error} />
    </section>
  );
}
