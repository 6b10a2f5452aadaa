import { LIMITS, type AroundResponse, type ChatMessage, type HistoryResponse, type PublicUser, type SyncCursor } from '../../shared/protocol';
import { DomainError } from '../errors';
import type { RoomService } from '../rooms';
import { parseInput } from '../validation';
import type { BatchRowOutcome, MessageAccess, MessageRepository } from './repository';
import type { MessageWriter } from './writer';
import { clientIdSchema, DEFAULT_AROUND, DEFAULT_HISTORY_PAGE, messageBodySchema } from './validation';

export interface NewMessage {
  /** The sender as the socket (or the bot consumer) knows them: their message carries this profile. */
  user: PublicUser;
  room: string;
  clientId: string;
  body: string;
  /**
   * When the sender's connection began (ms since the epoch), for a person's send. A repeat of a message stored
   * before it is a resend after a reconnect: the process that stored the message may have died between the commit
   * and the broadcast, so the repeat is announced again (clients drop a message they hold, by its id). A repeat on
   * the connection that sent it first is not announced again.
   */
  connectedAt?: number;
  /** The sending socket, which has the message in its acknowledgement: the announcement leaves it out. */
  socketId?: string;
}

/**
 * Why the sender may post in the room: a person whose socket is in the room (membership held by the socket, kept
 * exact by joins and leaves), a person whose membership must be looked up, or a bot (any public room).
 */
export type PostingRight = 'member' | 'check-membership' | 'bot';

/** Where a stored message is announced (socket.io, to everyone in its room, on every process). */
export interface MessageAnnouncer {
  /** True once the server is shutting down: a message stored then could not be announced, so none is taken. */
  isClosing(): boolean;
  /** To every member's sockets but `exceptSocket`, the sender's own, which has it in its acknowledgement. */
  messageCreated(message: ChatMessage, exceptSocket?: string): void;
  messageUpdated(message: ChatMessage): void;
  messageDeleted(message: ChatMessage): void;
}

/**
 * Use cases of messages: send (validated, stored, then announced; idempotent), edit and delete, history pages and
 * what a reconnecting client missed.
 */
export class MessageService {
  constructor(
    private readonly messages: MessageRepository,
    private readonly writer: MessageWriter,
    private readonly rooms: RoomService,
    private readonly announcer: MessageAnnouncer,
  ) {}

  /**
   * Stores the message (committed with its batch), then announces it. A repeat of a client id this user already sent
   * answers the stored message, announced again only after a reconnect (see NewMessage.connectedAt). Only a refused
   * send reads the database first.
   *
   * Not an async function that awaits the batch: every send waiting for its batch would keep its suspended frame
   * alive (see onAcked).
   */
  send(input: NewMessage, right: PostingRight): Promise<ChatMessage> {
    return this.queue(input, right).then((outcome) => {
      if ('refused' in outcome && outcome.refused === 'room_gone') {
        // A remembered room id whose room was deleted (and perhaps created anew): once more with what the database says now.
        this.rooms.forget(input.room);
        return this.queue(input, right === 'bot' ? 'bot' : 'check-membership').then((again) => this.announced(again, input));
      }
      return this.announced(outcome, input);
    });
  }

  /** Validates the message and hands it to the writer; settles once its batch is committed. */
  private async queue(input: NewMessage, right: PostingRight): Promise<BatchRowOutcome> {
    const body = parseInput(messageBodySchema, input.body);
    const clientId = parseInput(clientIdSchema, input.clientId);
    // Refused before it is stored: a caller such as the bot consumer then leaves it for a process that runs.
    this.refuseWhileClosing();
    const roomId = await this.roomIdFor(input, right);
    // Returned, not awaited: this function's frame ends here.
    return this.writer.write({ roomId, room: input.room, userId: input.user.id, user: input.user, clientId, body });
  }

  /** The stored message, announced when this send created it (or it is a resend after a reconnect); a refusal as its error. */
  private announced(outcome: BatchRowOutcome, input: NewMessage): ChatMessage {
    if ('refused' in outcome) {
      if (outcome.refused === 'user_gone') throw new DomainError('unauthorized', 'your account no longer exists');
      throw new DomainError('not_found', `no room named ${input.room}`);
    }
    const { created, message } = outcome;
    if (created || (input.connectedAt !== undefined && Date.parse(message.createdAt) < input.connectedAt)) this.announcer.messageCreated(message, input.socketId);
    return message;
  }

  private async roomIdFor(input: NewMessage, right: PostingRight): Promise<number> {
    if (right === 'check-membership') return (await this.rooms.requireMember(input.user.id, input.room)).id;
    if (right === 'bot') return this.rooms.requirePublicId(input.room);
    return this.rooms.requireId(input.room);
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

  /**
   * For each of the user's rooms: the messages after the run the client holds without a gap (SyncCursor.through, or
   * else after the newest id it holds), oldest first, at most one history page; then, when the client says what it
   * holds (a SyncCursor rather than a bare id), the changes to those messages after the newest revision it has
   * seen, in the order they happened, at most one page.
   */
  async missed(userId: number, lastSeen: Record<string, SyncCursor | number>): Promise<ChatMessage[]> {
    const cursors = Object.entries(lastSeen).map(([room, cursor]) => ({ room, cursor }));
    const seen = cursors.map(({ room, cursor }) =>
      typeof cursor === 'number' ? { room, afterId: cursor } : { room, afterId: cursor.after, through: cursor.through },
    );
    const held = cursors.flatMap(({ room, cursor }) =>
      typeof cursor === 'number' ? [] : [{ room, from: cursor.from, to: cursor.after, through: cursor.through, revision: cursor.revision }],
    );
    const [fresh, changed] = await Promise.all([
      this.messages.after(userId, seen, LIMITS.historyPageMax),
      this.messages.changedSince(userId, held, LIMITS.historyPageMax),
    ]);
    return [...fresh, ...changed];
  }

  /** Edits the caller's own message; an edit to the text it already has changes nothing and announces nothing. */
  async edit(userId: number, messageId: number, text: string): Promise<ChatMessage> {
    const body = parseInput(messageBodySchema, text);
    const { message } = await this.requireAccess(userId, messageId);
    if (message.user.id !== userId) throw new DomainError('forbidden', 'you can only edit your own messages');
    if (message.deletedAt !== null) throw new DomainError('not_found', `message ${messageId} was deleted`);
    if (message.body === body) return message;
    return this.announceChange(messageId, await this.messages.edit(messageId, userId, body), (edited) => this.announcer.messageUpdated(edited));
  }

  /** Deletes the caller's own message, or any message in a room the caller owns; deleting it again changes nothing. */
  async delete(userId: number, messageId: number): Promise<ChatMessage> {
    const { message, roomOwnerId } = await this.requireAccess(userId, messageId);
    if (message.user.id !== userId && roomOwnerId !== userId) {
      throw new DomainError('forbidden', 'you can only delete your own messages, or any in a room you own');
    }
    if (message.deletedAt !== null) return message;
    return this.announceChange(messageId, await this.messages.delete(messageId, userId), (placeholder) => this.announcer.messageDeleted(placeholder));
  }

  /**
   * The message's access rules for the caller. A message in a room the caller is not a member of is answered like
   * one that does not exist, so nobody learns which ids exist in rooms they cannot read.
   */
  private async requireAccess(userId: number, messageId: number): Promise<MessageAccess> {
    // A change stored now could not be announced: refused instead of kept quiet.
    this.refuseWhileClosing();
    const access = await this.messages.access(messageId, userId);
    if (!access?.callerIsMember) throw new DomainError('not_found', `no message with id ${messageId}`);
    return access;
  }

  /** Announces a stored change; none stored means the message changed under us (deleted, left the room): not found. */
  private announceChange(messageId: number, changed: ChatMessage | undefined, announce: (message: ChatMessage) => void): ChatMessage {
    if (!changed) throw new DomainError('not_found', `no message with id ${messageId}`);
    announce(changed);
    return changed;
  }

  private refuseWhileClosing(): void {
    if (this.announcer.isClosing()) throw new DomainError('unavailable', 'realtime is closed: the server is shutting down');
  }
}
