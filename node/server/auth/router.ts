import { Router, type Request, type Response } from 'express';
import type { Pool } from 'pg';
import { z } from 'zod';
import { LIMITS, type LoginRequest, type RegisterRequest, type SessionResponse } from '../../shared/protocol';
import type { Config } from '../config';
import { withTransaction } from '../db';
import { enqueueEvent, userEvent } from '../events/outbox';
import { ensureCsrfToken, newCsrfToken } from '../http/csrf';
import { HttpError } from '../http/errors';
import type { AuthRateLimits } from '../http/rate-limit';
import { parseBody } from '../http/validation';
import type { Logger } from '../logger';
import type { Realtime } from '../realtime';
import { hashPassword, verifyPassword } from './passwords';
import { requireUser, sessionUserId } from './require-user';
import { SESSION_COOKIE, sessionStoreUnavailable } from './session';
import { findUserById, findUserByUsername, insertUser, toSelfUser, type UserRecord } from './users';

const username = z
  .string({ message: 'expected a username' })
  .trim()
  .toLowerCase()
  .regex(LIMITS.usernamePattern, 'expected 3-32 characters of a-z 0-9 _ -');
const password = z
  .string({ message: 'expected a password' })
  .min(LIMITS.passwordMinLength, `expected at least ${LIMITS.passwordMinLength} characters`)
  .max(LIMITS.passwordMaxLength, `expected at most ${LIMITS.passwordMaxLength} characters`);

const registerSchema: z.ZodType<RegisterRequest> = z.object({
  username,
  email: z.string({ message: 'expected an e-mail address' }).trim().max(254, 'expected at most 254 characters').pipe(z.email('expected an e-mail address')),
  password,
});
const loginSchema: z.ZodType<LoginRequest> = z.object({
  username: z.string({ message: 'expected a username' }).trim().toLowerCase().max(64, 'expected a username'),
  password: z.string({ message: 'expected a password' }).max(LIMITS.passwordMaxLength, 'wrong username or password'),
});

/** PostgreSQL's unique_violation, with the constraint that tells which field was taken. */
function takenField(error: unknown): 'username' | 'email' | undefined {
  const { code, constraint } = (error ?? {}) as { code?: string; constraint?: string };
  if (code !== '23505') return undefined;
  if (constraint === 'users_username_key') return 'username';
  if (constraint === 'users_email_lower_key') return 'email';
  return undefined;
}

/** A session operation as a promise; a store failure becomes a 503. */
function sessionOperation(run: (done: (error?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => run((error) => (error ? reject(sessionStoreUnavailable()) : resolve())));
}

export interface AuthRouterDeps {
  config: Config;
  db: Pool;
  logger: Logger;
  limits: AuthRateLimits;
  /** Called after an event was committed to the outbox, so the publisher sends it now rather than at its next sweep. */
  onEventStored: () => void;
  /** A logout ends that session's live sockets. */
  realtime: Pick<Realtime, 'endSession'>;
}

export function createAuthRouter({ config, db, logger, limits, onEventStored, realtime }: AuthRouterDeps): Router {
  const router = Router();

  async function sessionResponse(req: Request): Promise<SessionResponse> {
    const isNew = !req.session.csrfToken;
    const csrfToken = ensureCsrfToken(req.session);
    // Saved now rather than after the response, so that a token is only handed out once it is stored.
    if (isNew) await sessionOperation((done) => req.session.save(done));
    const userId = req.session.userId;
    const user = typeof userId === 'number' ? await findUserById(db, userId) : undefined;
    return { user: user ? toSelfUser(user, config.CDN_PREFIX) : null, csrfToken };
  }

  /** A fresh session id and CSRF token at every login (no session fixation), then the user is remembered. */
  async function startSession(req: Request, res: Response, user: UserRecord, status: number): Promise<void> {
    await sessionOperation((done) => req.session.regenerate(done));
    req.session.userId = Number(user.id);
    req.session.csrfToken = newCsrfToken();
    await sessionOperation((done) => req.session.save(done));
    const body: SessionResponse = { user: toSelfUser(user, config.CDN_PREFIX), csrfToken: req.session.csrfToken };
    res.status(status).json(body);
  }

  router.get('/session', async (req, res) => {
    res.set('Cache-Control', 'no-store').json(await sessionResponse(req));
  });

  router.post('/register', limits.perIp, limits.perAccount, async (req, res) => {
    const input = parseBody(registerSchema, req.body);
    const passwordHash = await hashPassword(input.password);
    let user: UserRecord;
    try {
      user = await withTransaction(db, async (client) => {
        const inserted = await insertUser(client, { username: input.username, email: input.email, passwordHash });
        await enqueueEvent(client, userEvent('user.registered', inserted));
        // Registering logs the new user in: that is their first login, and the greeter welcomes them for it.
        await enqueueEvent(client, userEvent('user.login', inserted));
        return inserted;
      });
    } catch (error) {
      const field = takenField(error);
      if (field === 'username') throw new HttpError(409, 'this username is taken');
      if (field === 'email') throw new HttpError(409, 'this e-mail address is already registered');
      throw error;
    }
    onEventStored();
    logger.info({ userId: Number(user.id) }, 'user registered');
    await startSession(req, res, user, 201);
  });

  router.post('/login', limits.perIp, limits.perAccount, async (req, res) => {
    const input = parseBody(loginSchema, req.body);
    const user = await findUserByUsername(db, input.username);
    // One message for an unknown user and a wrong password: no hint which usernames exist.
    if (!(await verifyPassword(user?.password_hash, input.password)) || !user) {
      logger.info('login failed');
      throw new HttpError(401, 'wrong username or password');
    }
    await enqueueEvent(db, userEvent('user.login', user));
    onEventStored();
    logger.info({ userId: Number(user.id) }, 'user logged in');
    await startSession(req, res, user, 200);
  });

  router.post('/logout', async (req, res) => {
    const sessionId = req.sessionID;
    await sessionOperation((done) => req.session.destroy(done));
    // After the destroy: a socket that reconnects right away finds no session.
    realtime.endSession(sessionId);
    res.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: config.COOKIE_SECURE });
    res.status(204).end();
  });

  router.get('/me', requireUser, async (req, res) => {
    const user = await findUserById(db, sessionUserId(req));
    if (!user) throw new HttpError(401, 'not logged in');
    res.set('Cache-Control', 'no-store').json(toSelfUser(user, config.CDN_PREFIX));
  });

  return router;
}
