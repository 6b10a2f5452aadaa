import type { RequestHandler } from 'express';
import type { Logger } from '../logger';

const QUIET_PATHS = new Set(['/healthz', '/readyz']);

/** One line per request: method, path (no query string, no headers: nothing secret), status and duration. */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (QUIET_PATHS.has(req.path)) return next();
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info({ method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
    next();
  };
}
