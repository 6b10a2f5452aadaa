/** The direct conversations, titled by the other people in them, and "New message": pick 1 to 7 people. */
import { useState } from 'react';
import { LIMITS, type PublicUser, type RoomSummary } from '../../shared/protocol';
import { useAttempt } from '../hooks/useAttempt';
import { conversationTitle } from '../state/chat';
import { PeopleSearch } from './PeopleSearch';
import { FormError } from './FormError';
import { UnreadBadges } from './UnreadBadges';

interface DirectListProps {
  conversations: RoomSummary[];
  activeRoom: string;
  selfId: number;
  /** The conversation being read (open, tab visible): its counts are being marked read, so none show. */
  reading: string | null;
  onSelect: (room: string) => void;
  onLeave: (room: string) => Promise<void>;
  findUsers: (prefix: string) => Promise<PublicUser[]>;
  onStart: (userIds: number[]) => Promise<void>;
}

/** The others one may pick besides oneself. */
const MAX_OTHERS = LIMITS.directMaxPeople - 1;

export function DirectList({ conversations, activeRoom, selfId, reading, onSelect, onLeave, findUsers, onStart }: DirectListProps) {
  const [picking, setPicking] = useState(false);
  const [picked, setPicked] = useState<PublicUser[]>([]);
  const { error, setError, attempt } = useAttempt();

  async function start() {
    if (await attempt(() => onStart(picked.map((user) => user.id)))) {
      setPicked([]);
      setPicking(false);
    }
  }

  return (
    <section className="panel rooms" aria-label="Direct messages">
      <h3 className="panel__title">Direct messages</h3>
      {conversations.length === 0 && <p className="panel__empty">No direct messages yet</p>}
      <ul className="rooms__list">
        {conversations.map((room) => {
          const title = conversationTitle(room, room.name, selfId);
          return (
            <li key={room.name} className={room.name === activeRoom ? 'rooms__item rooms__item--active' : 'rooms__item'}>
              <button type="button" className="rooms__open" aria-current={room.name === activeRoom ? 'page' : undefined} onClick={() => onSelect(room.name)}>
                <span className="rooms__name">@ {title}</span>
                <UnreadBadges room={room} reading={reading} />
              </button>
              {/* A one-to-one conversation cannot be left; a group can. */}
              {room.memberCount > 2 && (
                <button type="button" className="rooms__leave" aria-label={`Leave the conversation with ${title}`} onClick={() => void attempt(() => onLeave(room.name))}>
                  ×
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {picking ? (
        <div className="direct__new" aria-label="New message">
          {picked.length > 0 && (
            <ul className="direct__picked" aria-label="Picked people">
              {picked.map((user) => (
                <li key={user.id} className="chip">
                  {user.username}
                  <button type="button" className="chip__remove" aria-label={`Remove ${user.username}`} onClick={() => setPicked(picked.filter((other) => other.id !== user.id))}>
                    ×
                  </button>
                </li>
              ))}
            </ul>
          )}
          {picked.length < MAX_OTHERS ? (
            <PeopleSearch
              label="Find people"
              findUsers={findUsers}
              exclude={new Set([selfId, ...picked.map((user) => user.id)])}
              onPick={(user) => setPicked([...picked, user])}
            />
          ) : (
            <p className="panel__empty">At most {MAX_OTHERS} people besides you</p>
          )}
          <div className="direct__actions">
            <button type="button" className="button button--small button--primary" disabled={picked.length === 0} onClick={() => void start()}>
              Start
            </button>
            <button
              type="button"
              className="button button--small"
              onClick={() => {
                setPicking(false);
                setPicked([]);
                setError(null);
              }}
            >
              Cancel
            </button>
          </div>
        </div>
      ) : (
        <button type="button" className="button button--small direct__open" onClick={() => setPicking(true)}>
          New message
        </button>
      )}
      <FormError error={error} />
    </section>
  );
}
