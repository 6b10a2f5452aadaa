import type { Request, RequestHandler } from 'express';
import { DomainError } from './errors';

declare module 'express-session' {
  interface SessionData {
    userId?: number;
    csrfToken?: string;
  }
}

const NOT_LOGGED_IN = 'not logged in';

/** Lets only logged-in sessions through; everything behind it may call sessionUserId. */
export const requireUser: RequestHandler = (req, _res, next) => {
  if (typeof req.session.userId !== 'number') return next(new DomainError('unauthorized', NOT_LOGGED_IN));
  next();
};

/** The logged-in user's id; `unauthorized` for an anonymous session. */
export function sessionUserId(req: Request): number {
  const id = req.session.userId;
  if (typeof id !== 'number') throw new DomainError('unauthorized', NOT_LOGGED_IN);
  return id;
}
