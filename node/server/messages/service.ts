import { LIMITS, type AroundResponse, type ChatMessage, type HistoryResponse } from '../../shared/protocol';
import { DomainError } from '../errors';
import type { RoomService } from '../rooms';
import { parseInput } from '../validation';
import type { MessageRepository } from './repository';
import { clientIdSchema, DEFAULT_AROUND, DEFAULT_HISTORY_PAGE, messageBodySchema } from './validation';

export interface NewMessage {
  userId: number;
  room: string;
  clientId: string;
  body: string;
}

/** Where a stored message is announced (socket.io, to everyone in its room, on every process). */
export interface MessageAnnouncer {
  /** True once the server is shutting down: a message stored then could not be announced, so none is taken. */
  isClosing(): boolean;
  messageCreated(message: ChatMessage): void;
}

/** Use cases of messages: send (validated, stored, then announced; idempotent), history pages and what a reconnecting client missed. */
export class MessageService {
  constructor(
    private readonly messages: MessageRepository,
    private readonly rooms: RoomService,
    private readonly announcer: MessageAnnouncer,
  ) {}

  /**
   * Stores the message, then announces it. A repeat of a client id this user already sent answers the stored
   * message and is not announced again. People must be members of the room; bots may post to any existing room.
   */
  async send(input: NewMessage, options: { requireMembership: boolean }): Promise<ChatMessage> {
    const body = parseInput(messageBodySchema, input.body);
    const clientId = parseInput(clientIdSchema, input.clientId);
    // Refused before it is stored: a caller such as the bot consumer then leaves it for a process that runs.
    if (this.announcer.isClosing()) throw new DomainError('unavailable', 'realtime is closed: the server is shutting down');
    const room = options.requireMembership ? await this.rooms.requireMember(input.userId, input.room) : await this.rooms.requireExisting(input.room);
    const { message, created } = await this.messages.insert({ roomId: room.id, userId: input.userId, clientId, body });
    if (created) this.announcer.messageCreated(message);
    return message;
  }

  async history(userId: number, room: string, before: number | undefined, limit = DEFAULT_HISTORY_PAGE): Promise<HistoryResponse> {
    const record = await this.rooms.requireMember(userId, room);
    return this.messages.page(record.id, before, Math.min(limit, LIMITS.historyPageMax));
  }

  /**
   * The message and its neighbours in its room, for opening a search result. Whether the room or the message exists
   * is told only to its members: everyone else gets the same `not_found`.
   */
  async around(userId: number, room: string, id: number, perSide = DEFAULT_AROUND): Promise<AroundResponse> {
    const window = await this.messages.around(userId, room, id, Math.min(perSide, LIMITS.aroundMax));
    if (!window) throw new DomainError('not_found', 'no such message');
    return window;
  }

  /** The messages with these ids that the user can read, in the order of the ids; the others are left out. */
  async readable(userId: number, ids: number[]): Promise<ChatMessage[]> {
    const byId = new Map((await this.messages.readable(userId, ids)).map((message) => [message.id, message]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /** Messages after each given id in the user's rooms, oldest first, at most one history page per room. */
  missed(userId: number, lastSeen: Record<string, number>): Promise<ChatMessage[]> {
    const seen = Object.entries(lastSeen).map(([room, afterId]) => ({ room, afterId }));
    return this.messages.after(userId, seen, LIMITS.historyPageMax);
  }
}
