import path from 'node:path';
import express, { Router } from 'express';
import { projectRoot } from '../paths';

/**
 * The webpack build: content-hashed assets may be cached forever, the page that names them never.
 * In Kubernetes the nginx sidecar serves /assets/ itself; this is for `npm start` and tests.
 */
export function createStaticRouter(distDirectory = path.join(projectRoot(), 'dist')): Router {
  const router = Router();
  router.use(
    '/assets',
    express.static(path.join(distDirectory, 'assets'), {
      index: false,
      fallthrough: true,
      immutable: true,
      maxAge: '365d',
    }),
  );
  router.get('/', (_req, res, next) => {
    res.set('Cache-Control', 'no-cache');
    res.sendFile(path.join(distDirectory, 'index.html'), (error) => {
      if (error) next();
    });
  });
  return router;
}
