import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import express from 'express';
import { createAvatarServeRouter, createAvatarUploadRouter } from './avatars/router';
import { AvatarStorage } from './avatars/storage';
import { requireUser } from './auth/require-user';
import { createAuthRouter } from './auth/router';
import { createSessionMiddleware, withSessionErrorsAs503 } from './auth/session';
import type { Clients } from './clients';
import type { Config } from './config';
import { startBotMessageConsumer } from './events/bot-messages';
import { startOutboxPublisher } from './events/publisher';
import { createHealthRouter } from './health/router';
import { requireCsrfToken } from './http/csrf';
import { errorHandler, notFound } from './http/errors';
import { createAuthRateLimits } from './http/rate-limit';
import { requestLog } from './http/request-log';
import { securityHeaders } from './http/security';
import { createStaticRouter } from './http/static';
import type { Logger } from './logger';
import { createRealtime } from './realtime';
import { createRoomsRouter } from './rooms/router';

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
  const publisher = startOutboxPublisher({ config, db: clients.db, logger });
  const storage = new AvatarStorage(clients.s3, config.S3_BUCKET, config.S3_REGION, logger);
  // Not fatal: without S3 only avatar uploads fail (503), and they retry creating the bucket.
  storage.ensureBucket().catch((error: unknown) => {
    logger.warn({ err: { message: (error as Error).message } }, 'avatar bucket not ready yet');
  });
  // The app handles requests before socket.io attaches, so socket.io can take its own path first.
  const httpServer = http.createServer(app);
  const realtime = createRealtime(httpServer, { config, logger, db: clients.db, redis: clients.redis, sessionMiddleware });
  const botMessages = startBotMessageConsumer({ config, db: clients.db, logger, realtime });
  const avatarDeps = { config, db: clients.db, logger, storage, realtime };

  // In-flight HTTP requests, so that shutdown can wait for them before it closes what they use (socket.io, AMQP).
  let inFlight = 0;
  let onIdle: (() => void) | undefined;
  app.use((_req, res, next) => {
    inFlight += 1;
    res.on('close', () => {
      inFlight -= 1;
      if (!stopping) return;
      // A keep-alive connection is closed as soon as its last response is out, not at its idle timeout.
      setImmediate(() => httpServer.closeIdleConnections());
      if (inFlight === 0) onIdle?.();
    });
    next();
  });
  app.use(requestLog(logger));
  app.use(securityHeaders(config));
  app.use(createHealthRouter({ db: clients.db, redis: clients.redis, isStopping: () => stopping }));
  app.use(createStaticRouter());
  app.use(createAvatarServeRouter(avatarDeps));

  const api = express.Router();
  api.use(withSessionErrorsAs503(sessionMiddleware));
  api.use(requireCsrfToken);
  // Before the JSON parser: the avatar body is raw bytes whatever its Content-Type says.
  api.use(createAvatarUploadRouter(avatarDeps));
  api.use(express.json({ limit: config.JSON_BODY_LIMIT }));
  api.use(
    createAuthRouter({
      config,
      db: clients.db,
      logger,
      limits: createAuthRateLimits(config, clients.redis, logger),
      onEventStored: () => publisher.kick(),
      realtime,
    }),
  );
  // S2's room and history routes: logged-in users only.
  api.use('/rooms', requireUser);
  api.use(createRoomsRouter({ config, db: clients.db }));
  app.use('/api', api);
  app.use(notFound);
  app.use(errorHandler(logger));

  const openSockets = new Set<Socket>();
  httpServer.on('connection', (socket) => {
    openSockets.add(socket);
    socket.on('close', () => openSockets.delete(socket));
  });

  try {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.PORT, config.HOST, () => {
        httpServer.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await Promise.allSettled([realtime.close(), botMessages.stop(), publisher.stop()]);
    throw error;
  }
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  logger.info({ port }, 'listening');

  async function stop(): Promise<void> {
    if (stopping) return;
    stopping = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), config.SHUTDOWN_TIMEOUT * 1000);
    });
    // Stop accepting; the callback fires once every connection (HTTP and WebSocket) has ended.
    const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
    httpServer.closeIdleConnections();
    // First let in-flight requests finish (they may still broadcast), then disconnect the sockets.
    const requestsDone = inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (onIdle = resolve));
    await Promise.race([requestsDone, deadline]);
    // Unacknowledged bot messages go back to the queue for another replica or the next start.
    await botMessages.stop();
    await realtime.close();
    if ((await Promise.race([closed, deadline])) === 'timeout') {
      logger.warn({ open: openSockets.size }, 'shutdown timeout: closing remaining connections');
      httpServer.closeAllConnections();
    }
    clearTimeout(timer);
    await publisher.stop();
    logger.info('server stopped');
  }

  return { port, url, stop };
}
