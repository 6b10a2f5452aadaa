/**
 * socket.io for the chat: session-authenticated, same-origin only, shared between server processes through the
 * Redis adapter. Messages are stored before they are broadcast; presence is derived from the live sockets.
 */
import type http from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import type { RequestHandler } from 'express';
import type { SessionData } from 'express-session';
import type { Pool } from 'pg';
import type { RedisClientType } from 'redis';
import { Server } from 'socket.io';
import type { ChatMessage, ClientToServerEvents, PublicUser, ServerToClientEvents } from '../../shared/protocol';
import { findUserById } from '../auth/users';
import { toPublicUser } from '../avatars/urls';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { MessageService } from '../messages/service';
import { RoomService } from '../rooms/service';
import { broadcastRoomUpdated, postAndBroadcast, registerHandlers } from './handlers';
import { isSameOrigin } from './origin';
import { Presence } from './presence';
import { chatRoomOf, roomChannel, sessionChannel, userChannel, type ChatServer, type ChatServerSocket, type InterServerEvents, type SocketData } from './types';

export interface RealtimeDeps {
  config: Config;
  logger: Logger;
  db: Pool;
  redis: RedisClientType;
  sessionMiddleware: RequestHandler;
}

export interface Realtime {
  io: Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
  /** Persists, then broadcasts to the room; idempotent by (userId, clientId): a repeat returns the stored message. */
  postMessage(input: { userId: number; room: string; clientId: string; body: string }): Promise<ChatMessage>;
  /** Tells every client that a user's profile (avatar) changed. */
  broadcastUserUpdated(user: PublicUser): void;
  /** Disconnects the sockets of one login session (on every process); the user's other sessions stay. */
  endSession(sessionId: string): void;
  close(): Promise<void>;
}

/** Chat rooms a socket is in (not its own id or its user channel). */
function chatRoomsOf(rooms: Iterable<string>): string[] {
  return [...rooms].map(chatRoomOf).filter((room): room is string => room !== undefined);
}

/**
 * How often a connected socket checks that its session still exists. A logout ends its sockets at once (endSession);
 * this catches what nobody announces: expiry, and a logout whose broadcast was lost while Redis pub/sub was down.
 */
export const SESSION_RECHECK_MS = 10_000;

const CLOSE_STEP_TIMEOUT_MS = 3_000;

/** Waits for `work`, but no longer than `ms`; its failure is not the caller's concern. */
async function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([work.catch(() => undefined), timeout]);
  clearTimeout(timer);
}

/**
 * The adapter publishes broadcasts without handling the returned promise, so a publish that fails (Redis gone, or
 * this client already closed at shutdown) would be an unhandled rejection and end the process. It is logged instead;
 * the clients it missed catch up through sync.
 */
function logFailedPublishes(client: RedisClientType, logger: Logger): void {
  const publish = client.publish.bind(client);
  client.publish = ((...args: Parameters<typeof publish>) =>
    publish(...args).catch((error: unknown) => {
      logger.warn({ err: { message: (error as Error).message } }, 'socket.io broadcast not published');
      return 0;
    })) as typeof publish;
}

/**
 * The adapter subscribes as soon as it is created and does not handle the result. A subscription queued before the
 * connection is up is lost (an unhandled rejection that ends the process) when the connection fails first, as it does
 * when Redis is down at start. So subscriptions are sent once the client is connected, and again at the next
 * connection if that one drops before Redis confirmed them; established ones node-redis renews after a reconnect.
 */
function subscribeOnceConnected(client: RedisClientType, logger: Logger): void {
  for (const method of ['subscribe', 'pSubscribe'] as const) {
    const original = client[method].bind(client) as (...args: unknown[]) => Promise<void>;
    const subscribe = (args: unknown[]): Promise<void> => {
      if (!client.isReady) return new Promise((resolve) => client.once('ready', () => resolve(subscribe(args))));
      return original(...args).catch((error: unknown) => {
        // A connection that dropped is retried when it is back; anything else would fail the same way again.
        if (!client.isReady && client.isOpen) return subscribe(args);
        logger.error({ err: { message: (error as Error).message } }, 'socket.io adapter subscription failed');
      });
    };
    (client as unknown as Record<typeof method, (...args: unknown[]) => Promise<void>>)[method] = (...args) => subscribe(args);
  }
}

type SessionOnRequest = Partial<SessionData> & { reload(done: (error?: unknown) => void): void };
type RequestWithSession = { session?: SessionOnRequest; sessionID?: string };

function sessionOf(socket: { request: unknown }): SessionOnRequest | undefined {
  return (socket.request as RequestWithSession).session;
}

export function createRealtime(httpServer: http.Server, deps: RealtimeDeps): Realtime {
  const { config, db } = deps;
  const logger = deps.logger.child({ component: 'realtime' });
  const rooms = new RoomService(db);
  const messages = new MessageService(db, config.CDN_PREFIX, rooms);

  const io: ChatServer = new Server(httpServer, {
    serveClient: false,
    // Origin is checked here rather than with CORS: a refused handshake never reaches the session or the database.
    allowRequest: (req, callback) => {
      const allowed = isSameOrigin(req.headers, config.TRUST_PROXY > 0);
      if (!allowed) logger.warn({ origin: req.headers.origin }, 'socket.io request from a foreign origin refused');
      callback(allowed ? null : 'origin not allowed', allowed);
    },
  });

  // Dedicated connections: a subscribed Redis connection can do nothing else, and the shared client stays free.
  const pubClient = deps.redis.duplicate();
  const subClient = deps.redis.duplicate();
  subscribeOnceConnected(subClient, logger);
  for (const client of [pubClient, subClient]) {
    client.on('error', (error: Error) => logger.warn({ err: { message: error.message } }, 'socket.io adapter redis error'));
    // Not awaited: the process serves without Redis (sessions answer 503) and these connect when it is there.
    client.connect().catch((error: unknown) => logger.error({ err: error }, 'socket.io adapter redis connection failed'));
  }
  logFailedPublishes(pubClient, logger);
  io.adapter(createAdapter(pubClient, subClient, { key: `${config.REDIS_PREFIX}socket.io` }));

  const presence = new Presence(io, logger);

  io.engine.use(deps.sessionMiddleware);
  io.use((socket, next) => {
    const userId = sessionOf(socket)?.userId;
    const sessionId = (socket.request as RequestWithSession).sessionID;
    if (typeof userId !== 'number' || !sessionId) return next(new Error('unauthorized'));
    (async () => {
      const user = await findUserById(db, userId);
      // A session of a deleted user.
      if (!user) return next(new Error('unauthorized'));
      socket.data.user = toPublicUser(user, config.CDN_PREFIX);
      const { names, defaultRoomUpdate } = await rooms.roomsOnConnect(userId);
      await socket.join([userChannel(userId), sessionChannel(sessionId), ...names.map(roomChannel)]);
      // A new user just became a member of the default room: everyone's member count for it changed.
      if (defaultRoomUpdate) broadcastRoomUpdated(io, defaultRoomUpdate);
      next();
    })().catch((error: unknown) => {
      logger.error({ err: error, userId }, 'socket handshake failed');
      next(new Error('internal error'));
    });
  });

  io.on('connection', (socket) => {
    registerHandlers(socket, { io, logger, rooms, messages, presence });
    const sessionCheck = setInterval(() => endIfLoggedOut(socket), SESSION_RECHECK_MS);
    for (const room of chatRoomsOf(socket.rooms)) presence.announce(room);
    let roomsAtDisconnect: string[] = [];
    socket.on('disconnecting', () => {
      roomsAtDisconnect = chatRoomsOf(socket.rooms);
    });
    // Announced after the socket has left its rooms, so the new lists no longer hold it.
    socket.on('disconnect', () => {
      clearInterval(sessionCheck);
      for (const room of roomsAtDisconnect) presence.announce(room);
    });
  });

  /** Reloads the session from Redis; once it is gone (logout, expiry) or belongs to someone else, the socket goes. */
  function endIfLoggedOut(socket: ChatServerSocket): void {
    const session = sessionOf(socket);
    if (!session) return;
    session.reload((error) => {
      if (!error && session.userId === socket.data.user.id) return;
      // express-session reports a missing session as an error; a Redis outage is not a logout.
      if (error && !(error instanceof Error && error.message === 'failed to load session')) {
        logger.warn({ err: error, userId: socket.data.user.id }, 'session check failed');
        return;
      }
      logger.info({ userId: socket.data.user.id }, 'session ended: socket disconnected');
      socket.disconnect(true);
    });
  }

  function updateLocalSockets(user: PublicUser): void {
    for (const socket of io.of('/').sockets.values()) if (socket.data.user?.id === user.id) socket.data.user = user;
  }
  // Another process changed a profile: its sockets here must present the new one in presence and typing.
  io.on('user:updated', updateLocalSockets);

  /** Set when close() starts: from then on nothing new is sent, and a new message is refused rather than kept quiet. */
  let closing = false;

  let closed: Promise<void> | undefined;
  async function close(): Promise<void> {
    closing = true;
    // This process's sockets go; the remaining processes' clients get new presence lists before Redis closes.
    io.local.disconnectSockets(true);
    // Bounded: with Redis unreachable, cross-process lookups would wait for it, and shutdown must not.
    await settledWithin(presence.settled(), CLOSE_STEP_TIMEOUT_MS);
    io.engine.close();
    await settledWithin(io.of('/').adapter.close() ?? Promise.resolve(), CLOSE_STEP_TIMEOUT_MS);
    // QUIT lets the adapter's last unsubscribes finish; a connection that cannot say goodbye is cut.
    await settledWithin(Promise.allSettled([pubClient.quit(), subClient.quit()]), CLOSE_STEP_TIMEOUT_MS);
    await Promise.allSettled([pubClient, subClient].filter((client) => client.isOpen).map((client) => client.disconnect()));
  }

  return {
    io,
    async postMessage(input) {
      // Refused before it is stored: a caller such as the bot consumer then leaves it for a process that runs.
      if (closing) throw new Error('realtime is closed: the server is shutting down');
      return postAndBroadcast({ io, messages }, input, { requireMembership: false });
    },
    broadcastUserUpdated(user) {
      // The stored profile is what counts; clients see it when they reconnect to a running process.
      if (closing) {
        logger.debug({ userId: user.id }, 'user update not broadcast: realtime is closed');
        return;
      }
      updateLocalSockets(user);
      io.serverSideEmit('user:updated', user);
      io.emit('user:updated', user);
    },
    endSession(sessionId) {
      const channel = sessionChannel(sessionId);
      // This process's sockets at once, whatever Redis does; the adapter carries the request to the other processes.
      io.local.in(channel).disconnectSockets(true);
      io.in(channel).disconnectSockets(true);
      logger.info('session ended by logout: its sockets disconnected');
    },
    close: () => (closed ??= close()),
  };
}
