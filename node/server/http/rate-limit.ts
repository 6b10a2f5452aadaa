import type { Request, RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { RedisClientType } from 'redis';
import type { ApiError } from '../../shared/protocol';
import type { Config } from '../config';

function limiter(
  config: Config,
  redis: RedisClientType,
  options: { name: string; limit: number; message: string; key?: (req: Request) => string; onlyFailures?: boolean },
): RequestHandler {
  return rateLimit({
    windowMs: config.RATE_LIMIT_WINDOW * 1000,
    limit: options.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // Counters live in Redis, so every replica sees the same count.
    store: new RedisStore({
      prefix: `${config.REDIS_PREFIX}rl:${options.name}:`,
      sendCommand: (...args: string[]) => redis.sendCommand(args) as Promise<RedisReply>,
    }),
    ...(options.key ? { keyGenerator: options.key } : {}),
    skipSuccessfulRequests: options.onlyFailures ?? false,
    // With Redis down, sessions fail anyway; the limiter should not add a second, misleading error.
    passOnStoreError: true,
    handler: (_req, res) => {
      const body: ApiError = { error: options.message };
      res.status(429).json(body);
    },
  });
}

/** The account a login or registration names; normalised like usernames are stored. */
function accountKey(req: Request): string {
  const username: unknown = (req.body as { username?: unknown } | undefined)?.username;
  return typeof username === 'string' ? username.trim().toLowerCase().slice(0, 64) : '';
}

export interface AuthRateLimits {
  /** All login and registration attempts of one client IP. */
  perIp: RequestHandler;
  /** Failed attempts against one account, from any IP (slows down distributed password guessing). */
  perAccount: RequestHandler;
}

export function createAuthRateLimits(config: Config, redis: RedisClientType): AuthRateLimits {
  return {
    perIp: limiter(config, redis, {
      name: 'ip',
      limit: config.RATE_LIMIT_PER_IP,
      message: 'too many attempts from this address, try again later',
    }),
    perAccount: limiter(config, redis, {
      name: 'account',
      limit: config.RATE_LIMIT_PER_ACCOUNT,
      message: 'too many failed attempts for this account, try again later',
      key: accountKey,
      onlyFailures: true,
    }),
  };
}
