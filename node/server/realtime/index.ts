/**
 * socket.io for the chat: session-authenticated, same-origin only, shared between server processes through the
 * Redis Streams adapter. Features bring their own handlers (rooms/socket.ts, messages/socket.ts); this folder holds what
 * is about connections.
 */
import type http from 'node:http';
import type { RequestHandler } from 'express';
import type { RedisClientType } from 'redis';
import { Server } from 'socket.io';
import type { ChatMessage, PublicUser, ReadState } from '../../shared/protocol';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { attachRedisAdapter } from './adapter';
import { authenticateSockets, type SocketIdentity } from './authentication';
import { closeConnections, handleConnections, type RegisterHandlers } from './lifecycle';
import { isSameOrigin } from './origin';
import { plainParser } from './plain-parser';
import { Presence } from './presence';
import { coalesceWrites } from './write-coalescing';
import { roomChannel, sessionChannel, userChannel, type ChatServer } from './types';

export { PRESENCE_INTERVAL_MS } from './presence';
export { SESSION_RECHECK_MS } from './session';

export interface RealtimeDeps {
  config: Config;
  logger: Logger;
  redis: RedisClientType;
  sessionMiddleware: RequestHandler;
}

export interface Realtime {
  io: ChatServer;
  presence: Presence;
  /** Starts taking connections: who may connect, and every feature's handlers. */
  serve(options: { identity: SocketIdentity; features: RegisterHandlers[] }): void;
  /** True once close() has started: nothing new is announced, and a new message is refused rather than kept quiet. */
  isClosing(): boolean;
  /** Tells the room's members, on every process, about a stored message; not `exceptSocket` (the sender's, acknowledged). */
  messageCreated(message: ChatMessage, exceptSocket?: string): void;
  /** Tells the room's members, on every process, about an edited message. */
  messageUpdated(message: ChatMessage): void;
  /** Tells the room's members, on every process, about a deleted message (its placeholder). */
  messageDeleted(message: ChatMessage): void;
  /** Tells every socket of the user, on every process, that their read position in a room moved. */
  readPositionMoved(userId: number, state: ReadState): void;
  /** Tells every client that a user's profile (avatar) changed. */
  userUpdated(user: PublicUser): void;
  /** Disconnects the sockets of one login session (on every process); the user's other sessions stay. */
  endSession(sessionId: string): void;
  close(): Promise<void>;
}

export function createRealtime(httpServer: http.Server, deps: RealtimeDeps): Realtime {
  const { config } = deps;
  const logger = deps.logger.child({ component: 'realtime' });

  const io: ChatServer = new Server(httpServer, {
    serveClient: false,
    // JSON only: no search for binary data in every packet sent.
    parser: plainParser,
    // Origin is checked here rather than with CORS: a refused handshake never reaches the session or the database.
    allowRequest: (req, callback) => {
      const allowed = isSameOrigin(req.headers, config.TRUST_PROXY > 0);
      if (!allowed) logger.warn({ origin: req.headers.origin }, 'socket.io request from a foreign origin refused');
      callback(allowed ? null : 'origin not allowed', allowed);
    },
  });
  coalesceWrites(io, httpServer);
  const adapter = attachRedisAdapter(io, deps.redis, { streamName: `${config.REDIS_PREFIX}socket.io`, maxLength: config.REALTIME_STREAM_MAX_LENGTH, logger });
  const presence = new Presence(io, logger);

  function updateLocalSockets(user: PublicUser): void {
    for (const socket of io.of('/').sockets.values()) if (socket.data.user?.id === user.id) socket.data.user = user;
  }
  // Another process changed a profile: its sockets here must present the new one in presence and typing.
  io.on('user:updated', updateLocalSockets);

  let closing = false;
  let closed: Promise<void> | undefined;

  return {
    io,
    presence,
    serve({ identity, features }) {
      authenticateSockets(io, deps.sessionMiddleware, identity, logger);
      handleConnections(io, { presence, logger, features, messageRate: { capacity: config.SOCKET_MESSAGE_BURST, refillPerSecond: config.SOCKET_MESSAGE_RATE } });
    },
    isClosing: () => closing,
    messageCreated(message, exceptSocket) {
      io.to(roomChannel(message.room))
        .except(exceptSocket ?? [])
        .emit('message:new', message);
    },
    messageUpdated(message) {
      io.to(roomChannel(message.room)).emit('message:updated', message);
    },
    messageDeleted(message) {
      io.to(roomChannel(message.room)).emit('message:deleted', message);
    },
    readPositionMoved(userId, state) {
      io.to(userChannel(userId)).emit('room:read', state);
    },
    userUpdated(user) {
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
    close: () => {
      closing = true;
      return (closed ??= closeConnections(io, presence, adapter));
    },
  };
}
