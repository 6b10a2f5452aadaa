import { Router } from 'express';
import type { Pool } from 'pg';
import type { HistoryResponse, RoomSummary } from '../../shared/protocol';
import { requireUser, sessionUserId } from '../auth/require-user';
import type { Config } from '../config';
import { HttpError } from '../http/errors';
import { parseBody } from '../http/validation';
import { MessageService } from '../messages/service';
import { historyQuerySchema } from '../messages/validation';
import { RoomService } from './service';
import { roomNameSchema } from './validation';

/** GET /rooms and GET /rooms/:name/messages, mounted under /api; only for logged-in users. */
export function createRoomsRouter(deps: { config: Pick<Config, 'CDN_PREFIX'>; db: Pool }): Router {
  const rooms = new RoomService(deps.db);
  const messages = new MessageService(deps.db, deps.config.CDN_PREFIX, rooms);
  const router = Router();
  router.use('/rooms', requireUser);

  router.get('/rooms', async (req, res) => {
    const body: RoomSummary[] = await rooms.list(sessionUserId(req));
    res.json(body);
  });

  router.get('/rooms/:name/messages', async (req, res) => {
    const userId = sessionUserId(req);
    const name = roomNameSchema.safeParse(req.params.name);
    if (!name.success) throw new HttpError(404, 'no such room');
    const query = parseBody(historyQuerySchema, req.query);
    const body: HistoryResponse = await messages.history(userId, name.data, query.before, query.limit);
    res.json(body);
  });

  return router;
}
