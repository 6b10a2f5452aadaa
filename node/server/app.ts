import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import express from 'express';
import { createAuthRateLimits, createAuthRouter, createSessionMiddleware, requireCsrfToken, withSessionErrorsAsUnavailable } from './auth';
import { createAvatarServeRouter, createAvatarUploadRouter } from './avatars';
import type { Clients } from './clients';
import type { Config } from './config';
import { startOutboxPublisher } from './events/publisher';
import { createMetricsRouter, Metrics } from './health/metrics';
import { createHealthRouter } from './health/router';
import { errorHandler, notFound } from './http/errors';
import { requestLog } from './http/request-log';
import { securityHeaders } from './http/security';
import { createStaticRouter } from './http/static';
import type { Logger } from './logger';
import { createMessagesRouter, registerMessageHandlers, startBotMessageConsumer } from './messages';
import { createRealtime } from './realtime';
import { createRoomsRouter, joinRoomsOnConnect, MemberCounts, MembershipFanout, registerRoomHandlers } from './rooms';
import { createSearchRouter, registerSearchHandlers } from './search';
import { createServices } from './services';
import { createUsersRouter, registerUserHandlers } from './users';

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
  // The app handles requests before socket.io attaches, so socket.io can take its own path first.
  const httpServer = http.createServer(app);
  const realtime = createRealtime(httpServer, { config, logger, redis: clients.redis, sessionMiddleware });
  const metrics = new Metrics();
  const services = createServices({ config, clients, logger, announcer: realtime, onEventStored: () => publisher.kick(), writerObserver: metrics });
  metrics.watch({
    queueDepth: () => services.messageWriter.depth(),
    poolWaiting: () => clients.db.waitingCount,
    connectedSockets: () => realtime.io.of('/').sockets.size,
  });
  const { users, profiles, rooms, messages, avatars } = services;
  // Membership changes made over REST or the socket reach every process's sockets the same way.
  const memberCounts = new MemberCounts(realtime.io, rooms, logger);
  const membership = new MembershipFanout(realtime.io, realtime.presence, memberCounts);
  // Not fatal: without S3 only avatar uploads fail (503), and they retry creating the bucket.
  services.avatarStorage.ensureBucket().catch((error: unknown) => logger.warn({ err: error }, 'avatar bucket not ready yet'));

  realtime.serve({
    identity: {
      profileOf: async (userId) => {
        const user = await users.findById(userId);
        return user && profiles.publicOf(user);
      },
      prepare: (socket) => joinRoomsOnConnect(socket, { rooms, membership }),
    },
    features: [
      (socket, socketLogger) => registerRoomHandlers(socket, { logger: socketLogger, rooms, reading: services.reading, presence: realtime.presence, membership }),
      (socket, socketLogger) => registerUserHandlers(socket, { logger: socketLogger, directory: services.directory }),
      (socket, socketLogger) => registerMessageHandlers(socket, { logger: socketLogger, messages, onAnswered: (seconds, result) => metrics.messageAnswered(seconds, result) }),
      (socket, socketLogger) => registerSearchHandlers(socket, { logger: socketLogger, search: services.search }),
    ],
  });
  const botMessages = startBotMessageConsumer({ config, logger, users, profiles, messages });

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
  app.use(createMetricsRouter(metrics));
  app.use(createStaticRouter());
  app.use(createAvatarServeRouter(avatars));

  const api = express.Router();
  api.use(withSessionErrorsAsUnavailable(sessionMiddleware));
  api.use(requireCsrfToken);
  // Before the JSON parser: the avatar body is raw bytes whatever its Content-Type says.
  api.use(createAvatarUploadRouter(avatars));
  api.use(express.json({ limit: config.JSON_BODY_LIMIT }));
  api.use(
    createAuthRouter({
      config,
      logger,
      auth: services.auth,
      profiles,
      limits: createAuthRateLimits(config, clients.redis, logger),
      endSession: (sessionId) => realtime.endSession(sessionId),
    }),
  );
  api.use(createRoomsRouter(rooms, services.reading, membership));
  api.use(createUsersRouter(services.directory));
  api.use(createMessagesRouter(messages));
  api.use(createSearchRouter(services.search));
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
    // The counts still due reach the other processes' clients through the adapter, which realtime.close() closes.
    await memberCounts.settled();
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
