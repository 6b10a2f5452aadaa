/**
 * The rooms the user is in, each with its unread count and, apart, how many of those mention the user; the public
 * ones they may join; and a form to create one, public or private.
 */
import { useState, type FormEvent } from 'react';
import { DEFAULT_ROOM, LIMITS, type RoomSummary } from '../../shared/protocol';
import { FormError } from './FormError';
import { useAttempt } from '../hooks/useAttempt';
import { UnreadBadges } from './UnreadBadges';

interface RoomListProps {
  rooms: RoomSummary[];
  activeRoom: string;
  /** The room the reader is reading (open, tab visible): its counts are being marked read, so none show. */
  reading: string | null;
  onSelect: (room: string) => void;
  onCreate: (room: string, isPrivate: boolean) => Promise<void>;
  onJoin: (room: string) => Promise<void>;
  onLeave: (room: string) => Promise<void>;
}

function members(count: number): string {
  return count === 1 ? '1 member' : `${count} members`;
}

/** A room's mark before its name: a lock for a private (invite-only) room. */
export function roomMark(room: Pick<RoomSummary, 'kind'> | undefined): string {
  if (room?.kind === 'private') return '🔒';
  if (room?.kind === 'direct') return '@';
  return '#';
}

export function RoomList({ rooms, activeRoom, reading, onSelect, onCreate, onJoin, onLeave }: RoomListProps) {
  const [name, setName] = useState('');
  const [isPrivate, setPrivate] = useState(false);
  // The server's refusal is shown under the list.
  const { error, setError, attempt } = useAttempt();
  const joined = rooms.filter((room) => room.joined);
  const others = rooms.filter((room) => !room.joined);

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const trimmed = name.trim().toLowerCase();
    if (!LIMITS.roomNamePattern.test(trimmed)) {
      setError('A room name is 2–32 of a–z, 0–9, _ and -');
      return;
    }
    if (await attempt(() => onCreate(trimmed, isPrivate))) {
      setName('');
      setPrivate(false);
    }
  }

  return (
    <section className="panel rooms" aria-label="Rooms">
      <h3 className="panel__title">Rooms</h3>
      <ul className="rooms__list">
        {joined.map((room) => (
            <li key={room.name} className={room.name === activeRoom ? 'rooms__item rooms__item--active' : 'rooms__item'}>
              <button
                type="button"
                className="rooms__open"
                aria-current={room.name === activeRoom ? 'page' : undefined}
                onClick={() => onSelect(room.name)}
              >
                <span className="rooms__name">
                  {roomMark(room)} {room.name}
                </span>
                <span className="rooms__count">{members(room.memberCount)}</span>
                <UnreadBadges room={room} reading={reading} />
              </button>
              {room.name !== DEFAULT_ROOM && (
                <button type="button" className="rooms__leave" aria-label={`Leave ${room.name}`} onClick={() => void attempt(() => onLeave(room.name))}>
                  ×
                </button>
              )}
            </li>
        ))}
      </ul>
      {others.length > 0 && (
        <>
          <h4 className="panel__subtitle">Other rooms</h4>
          <ul className="rooms__list">
            {others.map((room) => (
              <li key={room.name} className="rooms__item">
                <span className="rooms__name"># {room.name}</span>
                <span className="rooms__count">{members(room.memberCount)}</span>
                <button type="button" className="button button--small" onClick={() => void attempt(() => onJoin(room.name))}>
                  Join
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      <form className="rooms__create" onSubmit={(event) => void create(event)}>
        <input
          aria-label="New room name"
          placeholder="new-room"
          maxLength={32}
          autoCapitalize="none"
          spellCheck={false}
          value={name}
          onChange={(event) => {
            setName(event.target.value);
            // The refusal was about the name as it was.
            setError(null);
          }}
        />
        <button type="submit" className="button button--small">
          Create
        </button>
      </form>
      <label className="rooms__private">
        <input type="checkbox" checked={isPrivate} onChange={(event) => setPrivate(event.target.checked)} /> Private: invited people only
      </label>
      <FormError error={error} />
    </section>
  );
}
