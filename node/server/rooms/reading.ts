import type { ReadState } from '../../shared/protocol';
import { DomainError } from '../errors';
import type { RoomRepository } from './repository';

/** Where a moved read position is announced: to every socket of its user, on every process (socket.io). */
export interface ReadAnnouncer {
  readPositionMoved(userId: number, state: ReadState): void;
}

/** Use cases of reading a room: read positions, with the counts after them. */
export class ReadingService {
  constructor(
    private readonly rooms: RoomRepository,
    private readonly announcer: ReadAnnouncer,
  ) {}

  /**
   * Moves the user's read position in the room forward to `messageId` (never back) and answers the state now held.
   * Only a move is announced to the user's devices. A room the user is not a member of is answered as one that does
   * not exist.
   */
  async markRead(userId: number, room: string, messageId: number): Promise<ReadState> {
    const outcome = await this.rooms.markRead(room, userId, messageId);
    if (outcome === 'not_member') throw new DomainError('not_found', `no room named ${room}`);
    if (outcome === 'no_message') throw new DomainError('not_found', `no message ${messageId} in ${room}`);
    if (outcome.moved) this.announcer.readPositionMoved(userId, outcome.state);
    return outcome.state;
  }
}
