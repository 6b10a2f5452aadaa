import { Router, type Request, type Response } from 'express';
import type { SessionResponse } from '../../shared/protocol';
import type { Config } from '../config';
import { DomainError } from '../errors';
import type { Logger } from '../logger';
import { requireUser, sessionUserId } from '../session-user';
import type { UserProfiles, UserRecord } from '../users';
import { ensureCsrfToken, newCsrfToken } from './csrf';
import type { AuthRateLimits } from './rate-limit';
import type { AuthService } from './service';
import { SESSION_COOKIE, sessionStoreUnavailable } from './session';

/** A session operation as a promise; a store failure becomes `unavailable`. */
function sessionOperation(run: (done: (error?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => run((error) => (error ? reject(sessionStoreUnavailable()) : resolve())));
}

export interface AuthRouterDeps {
  config: Pick<Config, 'COOKIE_SECURE'>;
  logger: Logger;
  auth: AuthService;
  profiles: UserProfiles;
  limits: AuthRateLimits;
  /** A logout ends that session's live sockets. */
  endSession: (sessionId: string) => void;
}

/** GET /session, POST /register, /login, /logout and GET /me, mounted under /api. */
export function createAuthRouter({ config, logger, auth, profiles, limits, endSession }: AuthRouterDeps): Router {
  const router = Router();

  async function sessionResponse(req: Request): Promise<SessionResponse> {
    const isNew = !req.session.csrfToken;
    const csrfToken = ensureCsrfToken(req.session);
    // Saved now rather than after the response, so that a token is only handed out once it is stored.
    if (isNew) await sessionOperation((done) => req.session.save(done));
    const userId = req.session.userId;
    const user = typeof userId === 'number' ? await auth.account(userId) : undefined;
    return { user: user ? profiles.selfOf(user) : null, csrfToken };
  }

  /** A fresh session id and CSRF token at every login (no session fixation), then the user is remembered. */
  async function startSession(req: Request, res: Response, user: UserRecord, status: number): Promise<void> {
    await sessionOperation((done) => req.session.regenerate(done));
    req.session.userId = Number(user.id);
    req.session.csrfToken = newCsrfToken();
    await sessionOperation((done) => req.session.save(done));
    const body: SessionResponse = { user: profiles.selfOf(user), csrfToken: req.session.csrfToken };
    res.status(status).json(body);
  }

  router.get('/session', async (req, res) => {
    res.set('Cache-Control', 'no-store').json(await sessionResponse(req));
  });

  router.post('/register', limits.perIp, limits.perAccount, async (req, res) => {
    const user = await auth.register(req.body);
    logger.info({ userId: Number(user.id) }, 'user registered');
    await startSession(req, res, user, 201);
  });

  router.post('/login', limits.perIp, limits.perAccount, async (req, res) => {
    const user = await auth.login(req.body).catch((error: unknown) => {
      if (error instanceof DomainError && error.code === 'unauthorized') logger.info('login failed');
      throw error;
    });
    logger.info({ userId: Number(user.id) }, 'user logged in');
    await startSession(req, res, user, 200);
  });

  router.post('/logout', async (req, res) => {
    const sessionId = req.sessionID;
    await sessionOperation((done) => req.session.destroy(done));
    // After the destroy: a socket that reconnects right away finds no session.
    endSession(sessionId);
    res.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: config.COOKIE_SECURE });
    res.status(204).end();
  });

  router.get('/me', requireUser, async (req, res) => {
    const user = await auth.account(sessionUserId(req));
    if (!user) throw new DomainError('unauthorized', 'not logged in');
    res.set('Cache-Control', 'no-store').json(profiles.selfOf(user));
  });

  return router;
}
