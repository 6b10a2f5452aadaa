import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { ApiError, ErrorCode } from '../../shared/protocol';
import { asDomainError, DomainError } from '../errors';
import type { Logger } from '../logger';

const STATUS_OF_CODE: Record<ErrorCode, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  busy: 503,
  unavailable: 503,
  internal: 500,
};

/** Messages for the errors that body parsers raise (they carry a status and a `type`). */
const PARSER_MESSAGES: Record<string, string> = {
  'entity.parse.failed': 'request body is not valid JSON',
  'entity.too.large': 'request body is too large',
  'encoding.unsupported': 'unsupported content encoding',
  'charset.unsupported': 'unsupported charset',
  'request.aborted': 'request aborted',
};

/** A client error raised by Express itself or a body parser: it carries a 4xx status (413, 415, …). */
function parserError(error: unknown): { status: number; message: string } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, statusCode, type } = error as { status?: unknown; statusCode?: unknown; type?: unknown };
  const value = typeof status === 'number' ? status : statusCode;
  if (typeof value !== 'number' || value < 400 || value >= 500) return undefined;
  return { status: value, message: (typeof type === 'string' ? PARSER_MESSAGES[type] : undefined) ?? 'bad request' };
}

export const notFound: RequestHandler = (_req, _res, next) => next(new DomainError('not_found', 'not found'));

/** Every error becomes `{ error, code }` JSON; user errors say what was wrong, server faults are logged and say nothing more. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const domain = asDomainError(error);
    const parser = domain ? undefined : parserError(error);
    let status: number;
    let body: ApiError;
    if (domain) {
      status = domain.httpStatus ?? STATUS_OF_CODE[domain.code];
      body = { error: domain.message, code: domain.code };
    } else if (parser) {
      status = parser.status;
      body = { error: parser.message, code: 'invalid' };
    } else {
      status = 500;
      body = { error: 'internal error', code: 'internal' };
      logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    }
    // An outage is worth a line too, but not the stack of a bug.
    if (domain && !(error instanceof DomainError)) logger.warn({ err: error, method: req.method, path: req.path }, 'request failed: dependency unavailable');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).json(body);
  };
}
