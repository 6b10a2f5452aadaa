import { Router } from 'express';
import type { AroundResponse, HistoryResponse } from '../../shared/protocol';
import { DomainError } from '../errors';
import { roomNameSchema } from '../rooms';
import { requireUser, sessionUserId } from '../session-user';
import { parseInput } from '../validation';
import type { MessageService } from './service';
import { historyQuerySchema } from './validation';

/** GET /rooms/:name/messages (history, newest first; or the window around a message), mounted under /api; only for logged-in users. */
export function createMessagesRouter(messages: MessageService): Router {
  const router = Router();
  router.get('/rooms/:name/messages', requireUser, async (req, res) => {
    const userId = sessionUserId(req);
    const name = roomNameSchema.safeParse(req.params.name);
    if (!name.success) throw new DomainError('not_found', 'no such room');
    const query = parseInput(historyQuerySchema, req.query);
    if (query.around !== undefined) {
      const window: AroundResponse = await messages.around(userId, name.data, query.around, query.limit);
      res.json(window);
      return;
    }
    const body: HistoryResponse = await messages.history(userId, name.data, query.before, query.limit);
    res.json(body);
  });
  return router;
}
