import { RedisStore } from 'connect-redis';
import type { RequestHandler } from 'express';
import session from 'express-session';
import type { RedisClientType } from 'redis';
import type { Config } from '../config';
import { DomainError } from '../errors';

export const SESSIONS_UNAVAILABLE = 'sessions are unavailable, try again later';

/** A session store failure (Redis down) is `unavailable`, not an anonymous internal error. */
export function sessionStoreUnavailable(): DomainError {
  return new DomainError('unavailable', SESSIONS_UNAVAILABLE);
}

/** The session middleware for HTTP routes: the same, with store failures turned into `unavailable`. */
export function withSessionErrorsAsUnavailable(sessionMiddleware: RequestHandler): RequestHandler {
  return (req, res, next) => sessionMiddleware(req, res, (error?: unknown) => next(error ? sessionStoreUnavailable() : undefined));
}

export const SESSION_COOKIE = 'chat.sid';

/** express-session backed by Redis; the same middleware authenticates socket.io handshakes. */
export function createSessionMiddleware(config: Config, redis: RedisClientType): RequestHandler {
  return session({
    name: SESSION_COOKIE,
    secret: config.COOKIE_SECRET,
    store: new RedisStore({ client: redis, prefix: `${config.REDIS_PREFIX}sess:`, ttl: config.SESSION_TTL }),
    resave: false,
    // No cookie until there is something to remember (a CSRF token or a login).
    saveUninitialized: false,
    // Sliding expiry: an active user stays logged in.
    rolling: true,
    proxy: config.TRUST_PROXY > 0,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.COOKIE_SECURE,
      maxAge: config.SESSION_TTL * 1000,
      path: '/',
    },
  });
}
