import type { RequestHandler } from 'express';
import { HttpError } from '../http/errors';

/** Lets only logged-in sessions through; everything behind it may rely on req.session.userId. */
export const requireUser: RequestHandler = (req, _res, next) => {
  if (typeof req.session.userId !== 'number') return next(new HttpError(401, 'not logged in'));
  next();
};

/** The logged-in user's id; only for handlers behind requireUser. */
export function sessionUserId(req: Parameters<RequestHandler>[0]): number {
  const id = req.session.userId;
  if (typeof id !== 'number') throw new HttpError(401, 'not logged in');
  return id;
}
