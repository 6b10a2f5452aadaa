import type { Pool } from 'pg';
import { LIMITS, type ChatMessage, type HistoryResponse } from '../../shared/protocol';
import { parseBody } from '../http/validation';
import { RoomService } from '../rooms/service';
import { MessageRepository } from './repository';
import { clientIdSchema, DEFAULT_HISTORY_PAGE, messageBodySchema } from './validation';

export interface NewMessage {
  userId: number;
  room: string;
  clientId: string;
  body: string;
}

/** Use cases of messages: post (validated, stored, idempotent), history pages and what a reconnecting client missed. */
export class MessageService {
  private readonly messages: MessageRepository;

  constructor(
    db: Pool,
    cdnPrefix: string,
    private readonly rooms: RoomService = new RoomService(db),
  ) {
    this.messages = new MessageRepository(db, cdnPrefix);
  }

  /**
   * Stores the message; `created` is false when this user already sent this client id (the stored one comes back).
   * Users must be members of the room; server-side senders (bots) may post to any existing room.
   */
  async post(input: NewMessage, options: { requireMembership: boolean }): Promise<{ message: ChatMessage; created: boolean }> {
    const body = parseBody(messageBodySchema, input.body);
    const clientId = parseBody(clientIdSchema, input.clientId);
    const room = options.requireMembership ? await this.rooms.requireMember(input.userId, input.room) : await this.rooms.requireExisting(input.room);
    return this.messages.insert({ roomId: room.id, userId: input.userId, clientId, body });
  }

  async history(userId: number, room: string, before: number | undefined, limit = DEFAULT_HISTORY_PAGE): Promise<HistoryResponse> {
    const record = await this.rooms.requireMember(userId, room);
    return this.messages.page(record.id, before, Math.min(limit, LIMITS.historyPageMax));
  }

  /** Messages after each given id in the user's rooms, oldest first, at most one history page per room. */
  missed(userId: number, lastSeen: Record<string, number>): Promise<ChatMessage[]> {
    const seen = Object.entries(lastSeen).map(([room, afterId]) => ({ room, afterId }));
    return this.messages.after(userId, seen, LIMITS.historyPageMax);
  }
}
