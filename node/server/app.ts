import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import express from 'express';
import { createAuthRouter } from './auth/router';
import { createSessionMiddleware } from './auth/session';
import type { Clients } from './clients';
import type { Config } from './config';
import { createHealthRouter } from './health/router';
import { requireCsrfToken } from './http/csrf';
import { errorHandler, notFound } from './http/errors';
import { createAuthRateLimits } from './http/rate-limit';
import { requestLog } from './http/request-log';
import { securityHeaders } from './http/security';
import { createStaticRouter } from './http/static';
import type { Logger } from './logger';
import { createRealtime } from './realtime';

export interface RunningServer {
  port: number;
  url: string;
  /** Stops accepting, lets in-flight requests finish, closes sockets, flushes events; does not close the shared clients. */
  stop(): Promise<void>;
}

/** Wires the HTTP app, socket.io and the event publisher around the given clients, and listens on config.PORT. */
export async function startServer(config: Config, clients: Clients, logger: Logger): Promise<RunningServer> {
  let stopping = false;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.TRUST_PROXY);

  const sessionMiddleware = createSessionMiddleware(config, clients.redis);
  const onEventStored = (): void => undefined;

  app.use(requestLog(logger));
  app.use(securityHeaders(config));
  app.use(createHealthRouter({ db: clients.db, redis: clients.redis, isStopping: () => stopping }));
  app.use(createStaticRouter());

  const api = express.Router();
  api.use(sessionMiddleware);
  api.use(requireCsrfToken);
  api.use(express.json({ limit: config.JSON_BODY_LIMIT }));
  api.use(
    createAuthRouter({
      config,
      db: clients.db,
      logger,
      limits: createAuthRateLimits(config, clients.redis),
      onEventStored,
    }),
  );
  app.use('/api', api);
  app.use(notFound);
  app.use(errorHandler(logger));

  const httpServer = http.createServer(app);
  const openSockets = new Set<Socket>();
  httpServer.on('connection', (socket) => {
    openSockets.add(socket);
    socket.on('close', () => openSockets.delete(socket));
  });
  const realtime = createRealtime(httpServer, { config, logger, db: clients.db, redis: clients.redis, sessionMiddleware });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.PORT, config.HOST, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  logger.info({ port }, 'listening');

  async function stop(): Promise<void> {
    if (stopping) return;
    stopping = true;
    // Stop accepting; the callback fires once every in-flight request has finished.
    const drained = new Promise<void>((resolve) => httpServer.close(() => resolve()));
    httpServer.closeIdleConnections();
    await realtime.close();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        logger.warn({ open: openSockets.size }, 'shutdown timeout: closing remaining connections');
        httpServer.closeAllConnections();
        resolve();
      }, config.SHUTDOWN_TIMEOUT * 1000);
    });
    await Promise.race([drained, deadline]);
    clearTimeout(timer);
    logger.info('server stopped');
  }

  return { port, url, stop };
}
