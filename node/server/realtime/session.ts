/** The login session behind a socket: who it is at the handshake, and whether it still exists later. */
import type { SessionData } from 'express-session';
import type { Logger } from '../logger';
import type { ChatServerSocket } from './types';

type SessionOnRequest = Partial<SessionData> & { reload(done: (error?: unknown) => void): void };
type RequestWithSession = { session?: SessionOnRequest; sessionID?: string };

export function sessionOf(socket: { request: unknown }): { session?: SessionOnRequest; sessionId?: string } {
  const request = socket.request as RequestWithSession;
  return { session: request.session, sessionId: request.sessionID };
}

/**
 * How often a connected socket checks that its session still exists. A logout ends its sockets at once (endSession);
 * this catches what nobody announces: expiry, and a logout whose announcement did not reach this process.
 */
export const SESSION_RECHECK_MS = 10_000;

/** Reloads the session from Redis; once it is gone (logout, expiry) or belongs to someone else, the socket goes. */
function endIfLoggedOut(socket: ChatServerSocket, logger: Logger): void {
  const { session } = sessionOf(socket);
  if (!session) return;
  session.reload((error) => {
    if (!error && session.userId === socket.data.user.id) return;
    // express-session reports a missing session as an error; a Redis outage is not a logout.
    if (error && !(error instanceof Error && error.message === 'failed to load session')) {
      logger.warn({ err: error }, 'session check failed');
      return;
    }
    logger.info('session ended: socket disconnected');
    socket.disconnect(true);
  });
}

/** Re-checks the socket's session every SESSION_RECHECK_MS until it disconnects. */
export function recheckSessionPeriodically(socket: ChatServerSocket, logger: Logger): void {
  const timer = setInterval(() => endIfLoggedOut(socket, logger), SESSION_RECHECK_MS);
  socket.on('disconnect', () => clearInterval(timer));
}
