/** The messages' socket events: send, edit, delete, sync after a reconnect, and the window around a message. */
import type { ChatMessage } from '../../shared/protocol';
import type { Logger } from '../logger';
import { onAcked } from '../realtime/acked';
import { bucketsOf } from '../realtime/token-bucket';
import { roomChannel, type ChatServerSocket } from '../realtime/types';
import type { MessageService } from './service';
import { aroundPayload, deletePayload, editPayload, messagePayload, syncPayload } from './validation';

export interface MessageSocketDeps {
  logger: Logger;
  messages: MessageService;
  /** Told how long each send took from its arrival to its answer, and with what: `stored` or the error code (metrics). */
  onAnswered?: (seconds: number, result: string) => void;
}

export function registerMessageHandlers(socket: ChatServerSocket, { logger, messages, onAnswered }: MessageSocketDeps): void {
  const userId = socket.data.user.id;
  const buckets = bucketsOf(socket);

  onAcked(socket, logger, 'message:send', {
    schema: messagePayload,
    bucket: buckets.message,
    handle: send,
    onAnswered: onAnswered && ((seconds, code) => onAnswered(seconds, code ?? 'stored')),
  });

  /**
   * The socket is in the socket.io room of every room its user is a member of (joins and leaves reach every
   * process), so no database read is needed. Otherwise the database decides: a join made on another process may not
   * have reached this socket yet. (No async function here: see onAcked.)
   */
  function send(payload: { room: string; clientId: string; body: string }): Promise<ChatMessage> {
    const channel = roomChannel(payload.room);
    const input = { user: socket.data.user, ...payload, connectedAt: socket.handshake.issued, socketId: socket.id };
    if (socket.rooms.has(channel)) return messages.send(input, 'member');
    return messages.send(input, 'check-membership').then(async (message) => {
      await socket.join(channel);
      return message;
    });
  }

  onAcked(socket, logger, 'message:around', {
    schema: aroundPayload,
    bucket: buckets.read,
    handle: ({ room, id, limit }) => messages.around(userId, room, id, limit),
  });

  onAcked(socket, logger, 'message:edit', {
    schema: editPayload,
    bucket: buckets.message,
    handle: ({ id, body }) => messages.edit(userId, id, body),
  });

  onAcked(socket, logger, 'message:delete', { schema: deletePayload, bucket: buckets.message, handle: ({ id }) => messages.delete(userId, id) });

  onAcked(socket, logger, 'sync', { schema: syncPayload, bucket: buckets.read, handle: ({ rooms }) => messages.missed(userId, rooms) });
}
