import express, { Router } from 'express';
import type { Pool } from 'pg';
import { LIMITS } from '../../shared/protocol';
import { requireUser, sessionUserId } from '../auth/require-user';
import { findUserById, toSelfUser } from '../auth/users';
import type { Config } from '../config';
import { HttpError } from '../http/errors';
import type { Logger } from '../logger';
import type { Realtime } from '../realtime';
import { defaultAvatarSvg } from './default-svg';
import { sniffImageType } from './sniff';
import { AVATAR_KEY_PATTERN, isMissingObject, mimeOfKey, newAvatarKey, type AvatarStorage } from './storage';
import { toPublicUser } from './urls';

export interface AvatarDeps {
  config: Config;
  db: Pool;
  logger: Logger;
  storage: AvatarStorage;
  realtime: Pick<Realtime, 'broadcastUserUpdated'>;
}

const UNAVAILABLE = 'avatar storage is unavailable, try again later';

/** PUT /me/avatar, mounted under /api behind the session and CSRF check. */
export function createAvatarUploadRouter({ config, db, logger, storage, realtime }: AvatarDeps): Router {
  const router = Router();
  router.put(
    '/me/avatar',
    requireUser,
    // Any declared type: what counts is the content.
    express.raw({ type: () => true, limit: LIMITS.avatarMaxBytes }),
    async (req, res) => {
      const userId = sessionUserId(req);
      const bytes: unknown = req.body;
      if (!Buffer.isBuffer(bytes) || bytes.length === 0) throw new HttpError(400, 'send the image as the request body');
      const type = sniffImageType(bytes);
      if (!type) throw new HttpError(415, 'expected a PNG, JPEG or WebP image');

      const key = newAvatarKey(userId, type);
      try {
        await storage.put(key, bytes, type);
      } catch (error) {
        logger.warn({ err: { message: (error as Error).message } }, 'avatar upload to S3 failed');
        throw new HttpError(503, UNAVAILABLE);
      }
      let previousKey: string | null;
      try {
        // The row lock makes two concurrent uploads see each other's key, so each old object gets deleted.
        const { rows } = await db.query<{ previous: string | null }>(
          `UPDATE users SET avatar_key = $1
             FROM (SELECT avatar_key AS previous FROM users WHERE id = $2 FOR UPDATE) AS old
            WHERE id = $2 RETURNING old.previous`,
          [key, userId],
        );
        if (rows.length === 0) throw new HttpError(401, 'not logged in');
        previousKey = rows[0]?.previous ?? null;
      } catch (error) {
        await storage.remove(key).catch(() => undefined);
        throw error;
      }
      if (previousKey) {
        await storage.remove(previousKey).catch((error: unknown) => {
          logger.warn({ err: { message: (error as Error).message }, key: previousKey }, 'old avatar not deleted');
        });
      }
      const user = await findUserById(db, userId);
      if (!user) throw new HttpError(401, 'not logged in');
      realtime.broadcastUserUpdated(toPublicUser(user, config.CDN_PREFIX));
      res.json(toSelfUser(user, config.CDN_PREFIX));
    },
  );
  return router;
}

/** GET /avatars/default/<name>.svg and GET /avatars/<key>: public, cacheable. */
export function createAvatarServeRouter({ logger, storage }: Pick<AvatarDeps, 'logger' | 'storage'>): Router {
  const router = Router();

  router.get('/avatars/default/:file', (req, res) => {
    const file = req.params.file;
    if (!file.endsWith('.svg') || file.length > 68) throw new HttpError(404, 'not found');
    res
      .type('image/svg+xml')
      .set('Cache-Control', 'public, max-age=86400')
      // The SVG is a document of its own when opened directly: no scripts, ever.
      .set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
      .send(defaultAvatarSvg(file.slice(0, -'.svg'.length)));
  });

  router.get('/avatars/:key', async (req, res) => {
    const key = req.params.key;
    if (!AVATAR_KEY_PATTERN.test(key)) throw new HttpError(404, 'not found');
    let object: Awaited<ReturnType<AvatarStorage['open']>>;
    try {
      object = await storage.open(key);
    } catch (error) {
      if (isMissingObject(error)) throw new HttpError(404, 'not found');
      logger.warn({ err: { message: (error as Error).message } }, 'avatar download from S3 failed');
      throw new HttpError(503, UNAVAILABLE);
    }
    res.set({
      'Content-Type': mimeOfKey(key),
      'Content-Length': String(object.size),
      'Cache-Control': 'public, max-age=31536000, immutable',
      ETag: `"${object.etag}"`,
    });
    object.stream.on('error', () => res.destroy());
    object.stream.pipe(res);
  });

  return router;
}
