import type { RequestHandler } from 'express';
import { DomainError } from '../errors';
import { READ_RATE, TokenBucket } from '../realtime/token-bucket';
import { sessionUserId } from '../session-user';

/** Users whose buckets are kept before the ones that have refilled are let go. */
const KEEP_BUCKETS = 10_000;

/**
 * REST searches of one user, limited like a socket's reads (READ_RATE), per process. A bucket untouched long enough
 * to have refilled is the same as a new one, so those are dropped once many users have searched.
 */
export function searchRateLimit(): RequestHandler {
  const buckets = new Map<number, { bucket: TokenBucket; usedAt: number }>();
  const refillMs = (READ_RATE.capacity / READ_RATE.refillPerSecond) * 1000;
  return (req, _res, next) => {
    const userId = sessionUserId(req);
    const now = performance.now();
    if (buckets.size >= KEEP_BUCKETS) {
      for (const [id, entry] of buckets) if (now - entry.usedAt >= refillMs) buckets.delete(id);
    }
    const entry = buckets.get(userId) ?? { bucket: new TokenBucket(READ_RATE.capacity, READ_RATE.refillPerSecond), usedAt: now };
    entry.usedAt = now;
    buckets.set(userId, entry);
    if (!entry.bucket.take()) return next(new DomainError('rate_limited', 'too many searches: slow down'));
    next();
  };
}
