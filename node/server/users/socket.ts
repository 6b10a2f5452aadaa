/** The socket event `users:find` (the people picker), limited like every read of the socket. */
import type { Logger } from '../logger';
import { onAcked } from '../realtime/acked';
import { bucketsOf } from '../realtime/token-bucket';
import type { ChatServerSocket } from '../realtime/types';
import { findUsersPayload, type UserDirectory } from './directory';

export function registerUserHandlers(socket: ChatServerSocket, { logger, directory }: { logger: Logger; directory: UserDirectory }): void {
  onAcked(socket, logger, 'users:find', {
    schema: findUsersPayload,
    bucket: bucketsOf(socket).read,
    handle: ({ prefix }) => directory.find(socket.data.user.id, prefix),
  });
}
