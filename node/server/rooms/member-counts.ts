import type { RoomUpdate } from '../../shared/protocol';
import type { Logger } from '../logger';
import { Throttle } from '../realtime/throttle';
import type { ChatServer } from '../realtime/types';

/**
 * Public rooms' member counts are told to everyone at most once in this time, all the rooms that changed in one
 * rooms:updated. Everyone hears them, so telling each join to everyone made the issue's 1,000 joins a million frames.
 */
export const MEMBER_COUNT_INTERVAL_MS = 1000;

/**
 * Tells every client the new member counts of the public rooms whose membership changed, as this process saw them
 * change. Each count is read when it is sent, after the changes that asked for it: counts computed at each change
 * could arrive out of order (two joins on two pool connections) and leave a client on an older count.
 */
export class PublicMemberCounts {
  private readonly changed = new Set<string>();
  private readonly throttle = new Throttle(() => this.send(), MEMBER_COUNT_INTERVAL_MS);

  constructor(
    private readonly io: ChatServer,
    private readonly read: (names: string[]) => Promise<RoomUpdate[]>,
    private readonly logger: Logger,
  ) {}

  /** The room's membership changed (committed): its count is due. */
  changedIn(name: string): void {
    this.changed.add(name);
    this.throttle.ask();
  }

  private async send(): Promise<void> {
    const names = [...this.changed];
    this.changed.clear();
    try {
      const rooms = await this.read(names);
      if (rooms.length > 0) this.io.emit('rooms:updated', rooms);
    } catch (error) {
      this.logger.warn({ err: error, rooms: names.length }, 'member counts not told');
      // Told once the database answers again; at shutdown there is no later for it.
      if (this.throttle.isClosing) return;
      for (const name of names) this.changed.add(name);
      this.throttle.ask();
    }
  }

  /** At shutdown: the counts still due are told at once, before the adapter that carries them to the others closes. */
  settled(): Promise<void> {
    return this.throttle.close();
  }
}
