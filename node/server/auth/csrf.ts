import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Session, SessionData } from 'express-session';
import { CSRF_HEADER } from '../../shared/protocol';
import { DomainError } from '../errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function newCsrfToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The session's token, created on first use (this is what makes an anonymous session worth saving). */
export function ensureCsrfToken(session: Session & Partial<SessionData>): string {
  session.csrfToken ??= newCsrfToken();
  return session.csrfToken;
}

/** Constant-time comparison of the header against the session's token; a missing side never matches. */
export function csrfTokenMatches(expected: string | undefined, received: unknown): boolean {
  if (typeof expected !== 'string' || typeof received !== 'string' || expected.length === 0) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(received);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Every cookie-authenticated write must carry the session's token in X-CSRF-Token (synchronizer token pattern). */
export const requireCsrfToken: RequestHandler = (req, _res, next) => {
  if (SAFE_METHODS.has(req.method)) return next();
  if (!csrfTokenMatches(req.session.csrfToken, req.get(CSRF_HEADER))) {
    return next(new DomainError('forbidden', 'missing or wrong CSRF token: send the csrfToken of GET /api/session as X-CSRF-Token'));
  }
  next();
};
