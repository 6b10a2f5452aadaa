/** A conversation's counts in the sidebar: its unread messages and, apart, how many of those mention the user. */
import { LIMITS, type RoomSummary } from '../../shared/protocol';

/** The server counts up to LIMITS.unreadCountMax. */
function countLabel(count: number): string {
  return count >= LIMITS.unreadCountMax ? `${LIMITS.unreadCountMax - 1}+` : String(count);
}

/** `reading`: the conversation being read (open, tab visible), whose counts are being marked read, so none show. */
export function UnreadBadges({ room, reading }: { room: RoomSummary; reading: string | null }) {
  if (room.name === reading) return null;
  const { unreadCount: unread, mentionCount: mentions } = room;
  return (
    <>
      {mentions > 0 && (
        <span className="badge badge--mention" aria-label={`${mentions} mentioning you`}>
          @{mentions}
        </span>
      )}
      {unread > 0 && (
        <span className="badge" aria-label={`${countLabel(unread)} unread`}>
          {countLabel(unread)}
        </span>
      )}
    </>
  );
}
