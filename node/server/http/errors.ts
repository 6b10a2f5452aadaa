import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { ApiError } from '../../shared/protocol';
import type { Logger } from '../logger';

/** An error whose message is meant for the client. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Messages for the errors that body parsers raise (they carry a status and a `type`). */
const PARSER_MESSAGES: Record<string, string> = {
  'entity.parse.failed': 'request body is not valid JSON',
  'entity.too.large': 'request body is too large',
  'encoding.unsupported': 'unsupported content encoding',
  'charset.unsupported': 'unsupported charset',
  'request.aborted': 'request aborted',
};

function clientStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  const value = typeof status === 'number' ? status : statusCode;
  return typeof value === 'number' && value >= 400 && value < 500 ? value : undefined;
}

/**
 * What of an unexpected error goes to the log: name, message, code and stack, but not PostgreSQL's `detail`
 * and similar fields, which may quote the row that failed (e-mail address, password hash).
 */
export function loggableError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const { code } = error as { code?: unknown };
  return { type: error.name, message: error.message, ...(code === undefined ? {} : { code }), stack: error.stack };
}

export const notFound: RequestHandler = (_req, _res, next) => next(new HttpError(404, 'not found'));

/** Every error becomes `{error}` JSON; client errors say what was wrong, server errors are logged and say nothing more. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    let status: number;
    let message: string;
    if (error instanceof HttpError) {
      status = error.status;
      message = error.message;
    } else if (clientStatus(error) !== undefined) {
      status = clientStatus(error) as number;
      const type = (error as { type?: unknown }).type;
      message = (typeof type === 'string' ? PARSER_MESSAGES[type] : undefined) ?? 'bad request';
    } else {
      status = 500;
      message = 'internal error';
    }
    // HttpErrors are expected outcomes (a 503 says which dependency is down); anything else is a bug worth a log line.
    if (!(error instanceof HttpError) && status >= 500) logger.error({ err: loggableError(error), method: req.method, path: req.path }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body: ApiError = { error: message };
    res.status(status).json(body);
  };
}
