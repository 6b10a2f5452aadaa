/** The messages' socket events: send, edit, delete, and sync after a reconnect. */
import type { Logger } from '../logger';
import { onAcked } from '../realtime/acked';
import { bucketsOf } from '../realtime/token-bucket';
import { roomChannel, type ChatServerSocket } from '../realtime/types';
import type { MessageService } from './service';
import { deletePayload, editPayload, messagePayload, syncPayload } from './validation';

export function registerMessageHandlers(socket: ChatServerSocket, { logger, messages }: { logger: Logger; messages: MessageService }): void {
  const userId = socket.data.user.id;
  const buckets = bucketsOf(socket);

  onAcked(socket, logger, 'message:send', {
    schema: messagePayload,
    bucket: buckets.message,
    handle: async (payload) => {
      // The socket is in the socket.io room of every room its user is a member of (joins and leaves reach every
      // process), so no database read is needed. Otherwise the database decides: a join made on another process may
      // not have reached this socket yet.
      const channel = roomChannel(payload.room);
      const knownMember = socket.rooms.has(channel);
      const message = await messages.send({ user: socket.data.user, ...payload }, knownMember ? 'member' : 'check-membership');
      if (!knownMember) await socket.join(channel);
      return message;
    },
  });

  onAcked(socket, logger, 'message:edit', {
    schema: editPayload,
    bucket: buckets.message,
    handle: ({ id, body }) => messages.edit(userId, id, body),
  });

  onAcked(socket, logger, 'message:delete', { schema: deletePayload, bucket: buckets.message, handle: ({ id }) => messages.delete(userId, id) });

  onAcked(socket, logger, 'sync', { schema: syncPayload, bucket: buckets.read, handle: ({ rooms }) => messages.missed(userId, rooms) });
}
