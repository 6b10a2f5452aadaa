import { Router } from 'express';
import type { AroundResponse, ChatMessage, HistoryResponse } from '../../shared/protocol';
import { DomainError } from '../errors';
import { conversationNameSchema } from '../rooms';
import { requireUser, sessionUserId } from '../session-user';
import { parseInput } from '../validation';
import type { MessageService } from './service';
import { editRequestSchema, historyQuerySchema, messageIdParamSchema } from './validation';

/**
 * GET /rooms/:name/messages (history, newest first; or the window around a message), PATCH and DELETE /messages/:id
 * (edit, delete), mounted under /api; only for logged-in users.
 */
export function createMessagesRouter(messages: MessageService): Router {
  const router = Router();
  router.get('/rooms/:name/messages', requireUser, async (req, res) => {
    const userId = sessionUserId(req);
    const name = conversationNameSchema.safeParse(req.params.name);
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
  router.patch('/messages/:id', requireUser, async (req, res) => {
    const id = parseInput(messageIdParamSchema, req.params.id);
    const { body } = parseInput(editRequestSchema, req.body);
    const edited: ChatMessage = await messages.edit(sessionUserId(req), id, body);
    res.json(edited);
  });
  router.delete('/messages/:id', requireUser, async (req, res) => {
    const deleted: ChatMessage = await messages.delete(sessionUserId(req), parseInput(messageIdParamSchema, req.params.id));
    res.json(deleted);
  });
  return router;
}
