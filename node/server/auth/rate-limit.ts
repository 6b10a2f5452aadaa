import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { RedisClientType } from 'redis';
import type { ApiError } from '../../shared/protocol';
import type { Config } from '../config';
import type { Logger } from '../logger';

/** express-rate-limit's problems (a Redis outage, a misconfiguration) as our JSON log lines, with only the message. */
function limiterLogger(logger: Logger): { error: (error: unknown, message?: string) => void; warn: (error: unknown, message?: string) => void } {
  const log = (level: 'error' | 'warn') => (error: unknown, message?: string) =>
    logger[level]({ err: error }, message ?? 'rate limiter problem');
  return { error: log('warn'), warn: log('warn') };
}

/**
 * Sends rate-limit-redis's commands. It loads its Lua scripts once, when it is created, and keeps a failed load for
 * good, which would turn the limits off for the life of a process that started while Redis was down. So a SCRIPT LOAD
 * that fails answers what Redis would have: the script's SHA1. An EVALSHA of a script Redis does not have yet gets
 * NOSCRIPT, and rate-limit-redis then loads it.
 */
async function sendLimiterCommand(redis: RedisClientType, args: string[]): Promise<RedisReply> {
  try {
    return (await redis.sendCommand(args)) as RedisReply;
  } catch (error) {
    const [command, subcommand, script] = args;
    if (command?.toUpperCase() === 'SCRIPT' && subcommand?.toUpperCase() === 'LOAD' && script !== undefined) {
      return createHash('sha1').update(script).digest('hex');
    }
    throw error;
  }
}

function limiter(
  config: Config,
  redis: RedisClientType,
  logger: Logger,
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
      sendCommand: (...args: string[]) => sendLimiterCommand(redis, args),
    }),
    ...(options.key ? { keyGenerator: options.key } : {}),
    skipSuccessfulRequests: options.onlyFailures ?? false,
    // With Redis down, sessions fail anyway; the limiter should not add a second, misleading error.
    passOnStoreError: true,
    logger: limiterLogger(logger),
    handler: (_req, res) => {
      const body: ApiError = { error: options.message, code: 'rate_limited' };
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

export function createAuthRateLimits(config: Config, redis: RedisClientType, logger: Logger): AuthRateLimits {
  return {
    perIp: limiter(config, redis, logger, {
      name: 'ip',
      limit: config.RATE_LIMIT_PER_IP,
      message: 'too many attempts from this address, try again later',
    }),
    perAccount: limiter(config, redis, logger, {
      name: 'account',
      limit: config.RATE_LIMIT_PER_ACCOUNT,
      message: 'too many failed attempts for this account, try again later',
      key: accountKey,
      onlyFailures: true,
    }),
  };
}
