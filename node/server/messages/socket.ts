/** The messages' socket events: send, edit, delete, sync after a reconnect, and the window around a message. */
import type { Logger } from '../logger';
import { onAcked } from '../realtime/acked';
import { bucketsOf } from '../realtime/token-bucket';
import type { ChatServerSocket } from '../realtime/types';
import type { MessageService } from './service';
import { aroundPayload, deletePayload, editPayload, messagePayload, syncPayload } from './validation';

export function registerMessageHandlers(socket: ChatServerSocket, { logger, messages }: { logger: Logger; messages: MessageService }): void {
  const userId = socket.data.user.id;
  const buckets = bucketsOf(socket);

  onAcked(socket, logger, 'message:send', {
    schema: messagePayload,
    bucket: buckets.message,
    handle: (payload) => messages.send({ userId, ...payload }, { requireMembership: true }),
  });

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
