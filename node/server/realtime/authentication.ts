/** Who may connect: a socket.io handshake needs a logged-in session of a user who still exists. */
import type { RequestHandler } from 'express';
import type { ErrorCode, PublicUser } from '../../shared/protocol';
import { asDomainError } from '../errors';
import type { Logger } from '../logger';
import { sessionOf } from './session';
import { sessionChannel, userChannel, type ChatServer, type ChatServerSocket } from './types';

export interface SocketIdentity {
  /** The user's public profile; undefined once the account is gone. */
  profileOf(userId: number): Promise<PublicUser | undefined>;
  /** What must happen before the connection counts (joining the user's rooms). */
  prepare(socket: ChatServerSocket): Promise<void>;
}

/** A refused handshake: the client gets the message as connect_error, and the code in its `data`. */
function handshakeError(message: string, code: ErrorCode): Error {
  return Object.assign(new Error(message), { data: { code } });
}

export function authenticateSockets(io: ChatServer, sessionMiddleware: RequestHandler, identity: SocketIdentity, logger: Logger): void {
  io.engine.use(sessionMiddleware);
  io.use((socket, next) => {
    const { session, sessionId } = sessionOf(socket);
    const userId = session?.userId;
    if (typeof userId !== 'number' || !sessionId) return next(handshakeError('unauthorized', 'unauthorized'));
    (async () => {
      const user = await identity.profileOf(userId);
      // A session of a deleted user.
      if (!user) return next(handshakeError('unauthorized', 'unauthorized'));
      socket.data.user = user;
      await socket.join([userChannel(userId), sessionChannel(sessionId)]);
      await identity.prepare(socket);
      next();
    })().catch((error: unknown) => {
      const domain = asDomainError(error);
      logger[domain ? 'warn' : 'error']({ err: error, userId }, 'socket handshake failed');
      next(domain ? handshakeError(domain.message, domain.code) : handshakeError('internal error', 'internal'));
    });
  });
}
