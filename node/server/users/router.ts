import { Router } from 'express';
import type { PublicUser } from '../../shared/protocol';
import { requireUser, sessionUserId } from '../session-user';
import { parseInput } from '../validation';
import { usernamePrefixSchema, type UserDirectory } from './directory';

/** GET /users?prefix=… (the people picker), mounted under /api; only for logged-in users. */
export function createUsersRouter(directory: UserDirectory): Router {
  const router = Router();
  router.get('/users', requireUser, async (req, res) => {
    const body: PublicUser[] = await directory.find(sessionUserId(req), parseInput(usernamePrefixSchema, req.query.prefix));
    res.json(body);
  });
  return router;
}
