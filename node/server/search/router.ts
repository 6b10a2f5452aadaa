import { Router } from 'express';
import type { SearchResponse } from '../../shared/protocol';
import { requireUser, sessionUserId } from '../session-user';
import { parseInput } from '../validation';
import { searchRateLimit } from './rate-limit';
import type { SearchService } from './service';
import { searchQuerySchema } from './validation';

/** GET /search?q=…&before=…&limit=…, mounted under /api; only for logged-in users. */
export function createSearchRouter(search: SearchService): Router {
  const router = Router();
  router.get('/search', requireUser, searchRateLimit(), async (req, res) => {
    const { q, before, limit } = parseInput(searchQuerySchema, req.query);
    const body: SearchResponse = await search.find({ userId: sessionUserId(req), query: q, before, limit });
    res.json(body);
  });
  return router;
}
