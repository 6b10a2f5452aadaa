import express, { Router } from 'express';
import { LIMITS } from '../../shared/protocol';
import { DomainError } from '../errors';
import { requireUser, sessionUserId } from '../session-user';
import { defaultAvatarSvg } from './default-svg';
import type { AvatarService } from './service';
import { mimeOfKey } from './storage';

/** PUT /me/avatar, mounted under /api behind the session and CSRF check. */
export function createAvatarUploadRouter(avatars: AvatarService): Router {
  const router = Router();
  router.put(
    '/me/avatar',
    requireUser,
    // Any declared type: what counts is the content.
    express.raw({ type: () => true, limit: LIMITS.avatarMaxBytes }),
    async (req, res) => {
      res.json(await avatars.upload(sessionUserId(req), req.body));
    },
  );
  return router;
}

/** GET /avatars/default/<name>.svg and GET /avatars/<key>: public, cacheable. */
export function createAvatarServeRouter(avatars: AvatarService): Router {
  const router = Router();

  router.get('/avatars/default/:file', (req, res) => {
    const file = req.params.file;
    if (!file.endsWith('.svg') || file.length > 68) throw new DomainError('not_found', 'not found');
    res
      .type('image/svg+xml')
      .set('Cache-Control', 'public, max-age=86400')
      // The SVG is a document of its own when opened directly: no scripts, ever.
      .set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
      .send(defaultAvatarSvg(file.slice(0, -'.svg'.length)));
  });

  router.get('/avatars/:key', async (req, res) => {
    const key = req.params.key;
    const object = await avatars.open(key);
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
