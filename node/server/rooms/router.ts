import { Router } from 'express';
import type { RoomSummary } from '../../shared/protocol';
import { requireUser, sessionUserId } from '../session-user';
import type { RoomService } from './service';

/** GET /rooms, mounted under /api; only for logged-in users. */
export function createRoomsRouter(rooms: RoomService): Router {
  const router = Router();
  router.get('/rooms', requireUser, async (req, res) => {
    const body: RoomSummary[] = await rooms.list(sessionUserId(req));
    res.json(body);
  });
  return router;
}
