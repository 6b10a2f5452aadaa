import { Router } from 'express';
import type { PublicUser, ReadState, RoomSummary } from '../../shared/protocol';
import { DomainError } from '../errors';
import { requireUser, sessionUserId } from '../session-user';
import { parseInput } from '../validation';
import type { ReadingService } from './reading';
import type { RoomService } from './service';
import { markReadRequestSchema, roomNameSchema } from './validation';

/** A room name in a path: one that cannot name a room names no room. */
function roomParam(name: unknown): string {
  const parsed = roomNameSchema.safeParse(name);
  if (!parsed.success) throw new DomainError('not_found', 'no such room');
  return parsed.data;
}

/** GET /rooms, POST /rooms/:name/read, GET /rooms/:name/members, mounted under /api; only for logged-in users. */
export function createRoomsRouter(rooms: RoomService, reading: ReadingService): Router {
  const router = Router();
  router.get('/rooms', requireUser, async (req, res) => {
    const body: RoomSummary[] = await rooms.list(sessionUserId(req));
    res.json(body);
  });
  router.post('/rooms/:name/read', requireUser, async (req, res) => {
    const room = roomParam(req.params.name);
    const { messageId } = parseInput(markReadRequestSchema, req.body);
    const body: ReadState = await reading.markRead(sessionUserId(req), room, messageId);
    res.json(body);
  });
  router.get('/rooms/:name/members', requireUser, async (req, res) => {
    const body: PublicUser[] = await reading.members(sessionUserId(req), roomParam(req.params.name));
    res.json(body);
  });
  return router;
}
