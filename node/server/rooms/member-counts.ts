import type { ConversationKind, RoomUpdate } from '../../shared/protocol';
import type { Logger } from '../logger';
import { KeyedThrottles, Throttle } from '../realtime/throttle';
import { roomChannel, type ChatServer } from '../realtime/types';

/**
 * A conversation's member count is told at most once in this time: for public rooms, all the rooms that changed in
 * one rooms:updated to everyone; for a private room or a DM, its own room:updated to its members. Everyone hears public
 * counts, so telling each join to everyone made the benchmark's 1,000 joins a million frames.
 */
export const MEMBER_COUNT_INTERVAL_MS = 1000;

/** Where the counts are read, when they are sent. */
export interface MemberCountSource {
  /** These public rooms' counts; a room that is gone is left out. */
  publicMemberCounts(names: string[]): Promise<RoomUpdate[]>;
  /** A private room's or a DM's count (a DM's with its members, by whom clients title it); undefined once it is gone. */
  conversationUpdate(name: string): Promise<RoomUpdate | undefined>;
}

/**
 * Tells clients the member counts of the conversations whose membership changed, as this process saw them change.
 * Each count is read when it is sent, after the changes that asked for it: counts computed with each change could
 * arrive out of order (two joins on two pool connections) and leave a client on an older count. A count that could
 * not be read (PostgreSQL down) is tried again an interval later.
 */
export class MemberCounts {
  private readonly publicChanged = new Set<string>();
  private readonly publicRooms = new Throttle(() => this.sendPublic(), MEMBER_COUNT_INTERVAL_MS);
  private readonly conversations = new KeyedThrottles((name) => this.sendConversation(name), MEMBER_COUNT_INTERVAL_MS);

  constructor(
    private readonly io: ChatServer,
    private readonly source: MemberCountSource,
    private readonly logger: Logger,
  ) {}

  /** The conversation's membership changed (committed): its count is due. */
  changedIn(kind: ConversationKind, name: string): void {
    if (kind !== 'public') {
      this.conversations.ask(name);
      return;
    }
    this.publicChanged.add(name);
    this.publicRooms.ask();
  }

  private async sendPublic(): Promise<void> {
    const names = [...this.publicChanged];
    this.publicChanged.clear();
    try {
      const rooms = await this.source.publicMemberCounts(names);
      if (rooms.length > 0) this.io.emit('rooms:updated', rooms);
    } catch (error) {
      this.logger.warn({ err: error, rooms: names.length }, 'member counts not told');
      // Still due: the throttle runs this again once its interval is over.
      for (const name of names) this.publicChanged.add(name);
      throw error;
    }
  }

  private async sendConversation(name: string): Promise<void> {
    try {
      const update = await this.source.conversationUpdate(name);
      if (update) this.io.to(roomChannel(name)).emit('room:updated', update);
    } catch (error) {
      this.logger.warn({ err: error, room: name }, 'member count not told');
      throw error;
    }
  }

  /** At shutdown: the counts still due are told at once, before the adapter that carries them to the others closes. */
  async settled(): Promise<void> {
    await Promise.all([this.publicRooms.close(), this.conversations.close()]);
  }
}
