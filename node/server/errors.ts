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

function isDatabaseOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code } = error as { code?: unknown };
  if (typeof code === 'string' && UNREACHABLE_DATABASE.has(code)) return true;
  return /^(Connection terminated|timeout exceeded when trying to connect)/.test(error.message);
}

/** A DomainError as it is; a database outage as `unavailable`; anything else is not the user's error (undefined). */
export function asDomainError(error: unknown): DomainError | undefined {
  if (error instanceof DomainError) return error;
  if (isDatabaseOutage(error)) return new DomainError('unavailable', 'the database is unavailable, try again later');
  return undefined;
}
