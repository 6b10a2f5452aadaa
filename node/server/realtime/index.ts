/**
 * Placeholder for S2's realtime module (S2 replaces this body): the interface of the contract and a
 * socket.io server that accepts only sessions with a logged-in user.
 */
import type http from 'node:http';
import type { RequestHandler } from 'express';
import type { Pool } from 'pg';
import type { RedisClientType } from 'redis';
import { Server } from 'socket.io';
import type { ChatMessage, ClientToServerEvents, PublicUser, ServerToClientEvents } from '../../shared/protocol';
import type { Config } from '../config';
import type { Logger } from '../logger';

export interface RealtimeDeps {
  config: Config;
  logger: Logger;
  db: Pool;
  redis: RedisClientType;
  sessionMiddleware: RequestHandler;
}

export interface Realtime {
  io: Server<ClientToServerEvents, ServerToClientEvents>;
  /** Persists, then broadcasts to the room; idempotent by (userId, clientId): a repeat returns the stored message. */
  postMessage(input: { userId: number; room: string; clientId: string; body: string }): Promise<ChatMessage>;
  /** Tells every client that a user's profile (avatar) changed. */
  broadcastUserUpdated(user: PublicUser): void;
  close(): Promise<void>;
}

export function createRealtime(httpServer: http.Server, deps: RealtimeDeps): Realtime {
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(httpServer, { serveClient: false });
  io.engine.use(deps.sessionMiddleware);
  io.use((socket, next) => {
    const session = (socket.request as unknown as { session?: { userId?: number } }).session;
    if (typeof session?.userId !== 'number') return next(new Error('unauthorized'));
    next();
  });
  return {
    io,
    postMessage: () => Promise.reject(new Error('realtime not implemented yet')),
    broadcastUserUpdated: (user) => io.emit('user:updated', user),
    close: () => new Promise<void>((resolve) => io.close(() => resolve())),
  };
}
