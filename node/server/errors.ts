import type { ErrorCode } from '../shared/protocol';

/**
 * The one error type of the use cases: a machine-readable code and a message meant for the user. http/ turns the code
 * into a status, realtime/ into an acknowledgement; both send `{ error, code }`.
 */
export class DomainError extends Error {
  constructor(
    readonly code: Exclude<ErrorCode, 'internal'>,
    message: string,
    /** A more precise HTTP status for the same code, where HTTP has one (415 for an image of the wrong type). */
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** node-postgres and the network's ways of saying PostgreSQL cannot be reached right now. */
const UNREACHABLE_DATABASE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);

/** Read by shape, not instanceof: errors of Node's own sockets come from another realm under test runners (jest's vm). */
function isDatabaseOutage(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && UNREACHABLE_DATABASE.has(code)) return true;
  return typeof message === 'string' && /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error)/.test(message);
}

/** A DomainError as it is; a database outage as `unavailable`; anything else is not the user's error (undefined). */
export function asDomainError(error: unknown): DomainError | undefined {
  if (error instanceof DomainError) return error;
  if (isDatabaseOutage(error)) return new DomainError('unavailable', 'the database is unavailable, try again later');
  return undefined;
}
