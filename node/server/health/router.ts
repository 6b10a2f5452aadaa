import { Router } from 'express';
import type { Pool } from 'pg';
import type { RedisClientType } from 'redis';

const CHECK_TIMEOUT_MS = 2000;

function withTimeout<T>(work: Promise<T>): Promise<T> {
  return Promise.race([
    work,
    new Promise<T>((_resolve, reject) => setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS).unref()),
  ]);
}

async function passes(check: () => Promise<unknown>): Promise<boolean> {
  try {
    await withTimeout(check());
    return true;
  } catch {
    return false;
  }
}

/** /healthz: the process answers. /readyz: it can serve (PostgreSQL and Redis reachable, not shutting down). */
export function createHealthRouter(deps: { db: Pool; redis: RedisClientType; isStopping: () => boolean }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const [postgres, redis] = await Promise.all([passes(() => deps.db.query('SELECT 1')), passes(() => deps.redis.ping())]);
    const stopping = deps.isStopping();
    const ready = postgres && redis && !stopping;
    res
      .status(ready ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({ status: ready ? 'ok' : 'unavailable', checks: { postgres, redis, stopping } });
  });
  return router;
}
